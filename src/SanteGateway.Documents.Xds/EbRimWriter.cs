using System.Globalization;
using System.Xml;

namespace SanteGateway.Documents.Xds;

/// <summary>
/// Writes the XDS.b bodies with <see cref="XmlWriter"/>: <c>ProvideAndRegisterDocumentSetRequest</c> (ebRIM
/// <c>SubmitObjectsRequest</c> + the document as an XOP include), <c>AdhocQueryRequest</c> and
/// <c>RetrieveDocumentSetRequest</c>, and the answers a registry gives (used by the sandbox).
/// </summary>
public static class EbRimWriter
{
    private const string Rim = XdsNamespaces.Rim;

    /// <summary>Writes the ITI-41 body; the document is referenced as <c>cid:<paramref name="contentId"/></c>.</summary>
    /// <param name="w">Writer positioned inside <c>soap:Body</c>.</param>
    /// <param name="request">The submission.</param>
    /// <param name="contentId">Content-ID of the MIME part holding the document.</param>
    public static void WriteProvideAndRegister(XmlWriter w, XdsProvideRequest request, string contentId)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(request);
        var e = request.Entry;
        var s = request.SubmissionSet;
        w.WriteStartElement("xdsb", "ProvideAndRegisterDocumentSetRequest", XdsNamespaces.XdsB);
        w.WriteStartElement("lcm", "SubmitObjectsRequest", XdsNamespaces.Lcm);
        w.WriteStartElement("rim", "RegistryObjectList", Rim);

        // Document entry.
        w.WriteStartElement("rim", "ExtrinsicObject", Rim);
        w.WriteAttributeString("id", e.EntryUuid);
        w.WriteAttributeString("mimeType", e.MimeType ?? "text/xml");
        w.WriteAttributeString("objectType", XdsUuids.StableDocumentEntry);
        Slot(w, "creationTime", e.CreationTime);
        Slot(w, "languageCode", e.LanguageCode);
        Slot(w, "serviceStartTime", e.ServiceStartTime);
        Slot(w, "sourcePatientId", e.SourcePatientId);
        Slot(w, "hash", e.Hash);
        Slot(w, "size", e.Size?.ToString(CultureInfo.InvariantCulture));
        Name(w, e.Title);
        foreach (var a in e.Authors)
        {
            Author(w, XdsUuids.DocumentEntryAuthor, e.EntryUuid, a);
        }

        Code(w, XdsUuids.ClassCode, e.EntryUuid, e.ClassCode);
        Code(w, XdsUuids.ConfidentialityCode, e.EntryUuid, e.ConfidentialityCode);
        Code(w, XdsUuids.FormatCode, e.EntryUuid, e.FormatCode);
        Code(w, XdsUuids.HealthcareFacilityTypeCode, e.EntryUuid, e.HealthcareFacilityTypeCode);
        Code(w, XdsUuids.PracticeSettingCode, e.EntryUuid, e.PracticeSettingCode);
        Code(w, XdsUuids.TypeCode, e.EntryUuid, e.TypeCode);
        ExternalId(w, XdsUuids.DocumentEntryPatientId, e.EntryUuid, e.PatientId, "XDSDocumentEntry.patientId");
        ExternalId(w, XdsUuids.DocumentEntryUniqueId, e.EntryUuid, e.UniqueId, "XDSDocumentEntry.uniqueId");
        w.WriteEndElement();

        // Submission set.
        w.WriteStartElement("rim", "RegistryPackage", Rim);
        w.WriteAttributeString("id", s.EntryUuid);
        Slot(w, "submissionTime", s.SubmissionTime);
        Name(w, s.Title);
        foreach (var a in s.Authors)
        {
            Author(w, XdsUuids.SubmissionSetAuthor, s.EntryUuid, a);
        }

        Code(w, XdsUuids.ContentTypeCode, s.EntryUuid, s.ContentTypeCode);
        ExternalId(w, XdsUuids.SubmissionSetUniqueId, s.EntryUuid, s.UniqueId, "XDSSubmissionSet.uniqueId");
        ExternalId(w, XdsUuids.SubmissionSetSourceId, s.EntryUuid, s.SourceId, "XDSSubmissionSet.sourceId");
        ExternalId(w, XdsUuids.SubmissionSetPatientId, s.EntryUuid, s.PatientId, "XDSSubmissionSet.patientId");
        w.WriteEndElement();

        w.WriteStartElement("rim", "Classification", Rim);
        w.WriteAttributeString("id", Id());
        w.WriteAttributeString("classifiedObject", s.EntryUuid);
        w.WriteAttributeString("classificationNode", XdsUuids.SubmissionSetNode);
        w.WriteEndElement();

        Association(w, XdsUuids.HasMember, s.EntryUuid, e.EntryUuid, "Original");
        if (request.ReplacesEntryUuid is { } replaced)
        {
            Association(w, XdsUuids.Replace, e.EntryUuid, replaced, null);
        }

        w.WriteEndElement(); // RegistryObjectList
        w.WriteEndElement(); // SubmitObjectsRequest
        w.WriteStartElement("xdsb", "Document", XdsNamespaces.XdsB);
        w.WriteAttributeString("id", e.EntryUuid);
        w.WriteStartElement("xop", "Include", XdsNamespaces.Xop);
        w.WriteAttributeString("href", "cid:" + contentId);
        w.WriteEndElement();
        w.WriteEndElement();
        w.WriteEndElement();
    }

    /// <summary>Writes an ITI-18 FindDocuments query (approved documents of the patient, LeafClass).</summary>
    /// <param name="w">Writer.</param>
    /// <param name="patientId">patientId (CX).</param>
    /// <param name="includeDeprecated">Also list replaced documents.</param>
    public static void WriteFindDocuments(XmlWriter w, string patientId, bool includeDeprecated = false)
    {
        ArgumentNullException.ThrowIfNull(w);
        w.WriteStartElement("query", "AdhocQueryRequest", XdsNamespaces.Query);
        w.WriteStartElement("query", "ResponseOption", XdsNamespaces.Query);
        w.WriteAttributeString("returnComposedObjects", "true");
        w.WriteAttributeString("returnType", "LeafClass");
        w.WriteEndElement();
        w.WriteStartElement("rim", "AdhocQuery", Rim);
        w.WriteAttributeString("id", XdsUuids.FindDocuments);
        Slot(w, "$XDSDocumentEntryPatientId", "'" + patientId.Replace("'", "''", StringComparison.Ordinal) + "'");
        Slot(w, "$XDSDocumentEntryStatus", includeDeprecated ? $"('{XdsUuids.Approved}','{XdsUuids.Deprecated}')" : $"('{XdsUuids.Approved}')");
        w.WriteEndElement();
        w.WriteEndElement();
    }

    /// <summary>Writes an ITI-43 request for one document.</summary>
    /// <param name="w">Writer.</param>
    /// <param name="repositoryUniqueId">Repository.</param>
    /// <param name="documentUniqueId">Document.</param>
    public static void WriteRetrieve(XmlWriter w, string repositoryUniqueId, string documentUniqueId)
    {
        ArgumentNullException.ThrowIfNull(w);
        w.WriteStartElement("xdsb", "RetrieveDocumentSetRequest", XdsNamespaces.XdsB);
        w.WriteStartElement("xdsb", "DocumentRequest", XdsNamespaces.XdsB);
        w.WriteElementString("xdsb", "RepositoryUniqueId", XdsNamespaces.XdsB, repositoryUniqueId);
        w.WriteElementString("xdsb", "DocumentUniqueId", XdsNamespaces.XdsB, documentUniqueId);
        w.WriteEndElement();
        w.WriteEndElement();
    }

    /// <summary>Writes a <c>rs:RegistryResponse</c>.</summary>
    /// <param name="w">Writer.</param>
    /// <param name="response">Status and errors.</param>
    public static void WriteRegistryResponse(XmlWriter w, XdsRegistryResponse response)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(response);
        w.WriteStartElement("rs", "RegistryResponse", XdsNamespaces.Rs);
        w.WriteAttributeString("status", response.Status);
        WriteErrors(w, response.Errors);
        w.WriteEndElement();
    }

    /// <summary>Writes an ITI-18 answer with the entries as LeafClass <c>ExtrinsicObject</c>s.</summary>
    /// <param name="w">Writer.</param>
    /// <param name="response">Status and errors.</param>
    /// <param name="entries">Entries.</param>
    public static void WriteQueryResponse(XmlWriter w, XdsRegistryResponse response, IEnumerable<XdsDocumentEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(response);
        ArgumentNullException.ThrowIfNull(entries);
        w.WriteStartElement("query", "AdhocQueryResponse", XdsNamespaces.Query);
        w.WriteAttributeString("status", response.Status);
        WriteErrors(w, response.Errors);
        w.WriteStartElement("rim", "RegistryObjectList", Rim);
        foreach (var e in entries)
        {
            w.WriteStartElement("rim", "ExtrinsicObject", Rim);
            w.WriteAttributeString("id", e.EntryUuid);
            w.WriteAttributeString("mimeType", e.MimeType ?? "text/xml");
            w.WriteAttributeString("objectType", XdsUuids.StableDocumentEntry);
            w.WriteAttributeString("status", e.Status ?? XdsUuids.Approved);
            Slot(w, "creationTime", e.CreationTime);
            Slot(w, "languageCode", e.LanguageCode);
            Slot(w, "sourcePatientId", e.SourcePatientId);
            Slot(w, "hash", e.Hash);
            Slot(w, "size", e.Size?.ToString(CultureInfo.InvariantCulture));
            Slot(w, "repositoryUniqueId", e.RepositoryUniqueId);
            Name(w, e.Title);
            foreach (var a in e.Authors)
            {
                Author(w, XdsUuids.DocumentEntryAuthor, e.EntryUuid, a);
            }

            Code(w, XdsUuids.ClassCode, e.EntryUuid, e.ClassCode);
            Code(w, XdsUuids.ConfidentialityCode, e.EntryUuid, e.ConfidentialityCode);
            Code(w, XdsUuids.FormatCode, e.EntryUuid, e.FormatCode);
            Code(w, XdsUuids.HealthcareFacilityTypeCode, e.EntryUuid, e.HealthcareFacilityTypeCode);
            Code(w, XdsUuids.PracticeSettingCode, e.EntryUuid, e.PracticeSettingCode);
            Code(w, XdsUuids.TypeCode, e.EntryUuid, e.TypeCode);
            ExternalId(w, XdsUuids.DocumentEntryPatientId, e.EntryUuid, e.PatientId, "XDSDocumentEntry.patientId");
            ExternalId(w, XdsUuids.DocumentEntryUniqueId, e.EntryUuid, e.UniqueId, "XDSDocumentEntry.uniqueId");
            w.WriteEndElement();
        }

        w.WriteEndElement();
        w.WriteEndElement();
    }

    /// <summary>Writes an ITI-43 answer; each document is an XOP include of the given Content-ID.</summary>
    /// <param name="w">Writer.</param>
    /// <param name="response">Status and errors.</param>
    /// <param name="documents">Documents with the Content-ID of their MIME part.</param>
    public static void WriteRetrieveResponse(XmlWriter w, XdsRegistryResponse response, IEnumerable<(XdsRetrievedDocument Document, string ContentId)> documents)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(documents);
        w.WriteStartElement("xdsb", "RetrieveDocumentSetResponse", XdsNamespaces.XdsB);
        WriteRegistryResponse(w, response);
        foreach (var (d, cid) in documents)
        {
            w.WriteStartElement("xdsb", "DocumentResponse", XdsNamespaces.XdsB);
            w.WriteElementString("xdsb", "RepositoryUniqueId", XdsNamespaces.XdsB, d.RepositoryUniqueId);
            w.WriteElementString("xdsb", "DocumentUniqueId", XdsNamespaces.XdsB, d.DocumentUniqueId);
            w.WriteElementString("xdsb", "mimeType", XdsNamespaces.XdsB, d.MimeType ?? "text/xml");
            w.WriteStartElement("xdsb", "Document", XdsNamespaces.XdsB);
            w.WriteStartElement("xop", "Include", XdsNamespaces.Xop);
            w.WriteAttributeString("href", "cid:" + cid);
            w.WriteEndElement();
            w.WriteEndElement();
            w.WriteEndElement();
        }

        w.WriteEndElement();
    }

    private static void WriteErrors(XmlWriter w, IReadOnlyList<XdsRegistryError> errors)
    {
        if (errors.Count == 0)
        {
            return;
        }

        w.WriteStartElement("rs", "RegistryErrorList", XdsNamespaces.Rs);
        w.WriteAttributeString("highestSeverity", XdsUuids.SeverityError);
        foreach (var e in errors)
        {
            w.WriteStartElement("rs", "RegistryError", XdsNamespaces.Rs);
            w.WriteAttributeString("errorCode", e.ErrorCode);
            w.WriteAttributeString("codeContext", e.CodeContext ?? string.Empty);
            w.WriteAttributeString("severity", e.Severity);
            if (e.Location is not null)
            {
                w.WriteAttributeString("location", e.Location);
            }

            w.WriteEndElement();
        }

        w.WriteEndElement();
    }

    private static string Id() => "urn:uuid:" + Guid.NewGuid().ToString("D");

    private static void Slot(XmlWriter w, string name, string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return;
        }

        Slot(w, name, [value]);
    }

    private static void Slot(XmlWriter w, string name, IEnumerable<string> values)
    {
        w.WriteStartElement("rim", "Slot", Rim);
        w.WriteAttributeString("name", name);
        w.WriteStartElement("rim", "ValueList", Rim);
        foreach (var v in values)
        {
            w.WriteElementString("rim", "Value", Rim, v);
        }

        w.WriteEndElement();
        w.WriteEndElement();
    }

    private static void Name(XmlWriter w, string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return;
        }

        w.WriteStartElement("rim", "Name", Rim);
        w.WriteStartElement("rim", "LocalizedString", Rim);
        w.WriteAttributeString("value", text);
        w.WriteEndElement();
        w.WriteEndElement();
    }

    private static void Author(XmlWriter w, string scheme, string owner, XdsAuthor author)
    {
        w.WriteStartElement("rim", "Classification", Rim);
        w.WriteAttributeString("classificationScheme", scheme);
        w.WriteAttributeString("classifiedObject", owner);
        w.WriteAttributeString("nodeRepresentation", string.Empty);
        w.WriteAttributeString("id", Id());
        Slot(w, "authorPerson", author.Person);
        Slot(w, "authorInstitution", author.Institution);
        w.WriteEndElement();
    }

    private static void Code(XmlWriter w, string scheme, string owner, XdsCode? code)
    {
        if (code is null)
        {
            return;
        }

        w.WriteStartElement("rim", "Classification", Rim);
        w.WriteAttributeString("classificationScheme", scheme);
        w.WriteAttributeString("classifiedObject", owner);
        w.WriteAttributeString("nodeRepresentation", code.Code);
        w.WriteAttributeString("id", Id());
        Slot(w, "codingScheme", code.Scheme);
        Name(w, code.Display ?? code.Code);
        w.WriteEndElement();
    }

    private static void ExternalId(XmlWriter w, string scheme, string owner, string value, string name)
    {
        w.WriteStartElement("rim", "ExternalIdentifier", Rim);
        w.WriteAttributeString("identificationScheme", scheme);
        w.WriteAttributeString("value", value);
        w.WriteAttributeString("id", Id());
        w.WriteAttributeString("registryObject", owner);
        Name(w, name);
        w.WriteEndElement();
    }

    private static void Association(XmlWriter w, string type, string source, string target, string? status)
    {
        w.WriteStartElement("rim", "Association", Rim);
        w.WriteAttributeString("associationType", type);
        w.WriteAttributeString("sourceObject", source);
        w.WriteAttributeString("targetObject", target);
        w.WriteAttributeString("id", Id());
        if (status is not null)
        {
            Slot(w, "SubmissionSetStatus", status);
        }

        w.WriteEndElement();
    }
}
