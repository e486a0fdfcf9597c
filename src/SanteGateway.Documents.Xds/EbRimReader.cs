using System.Globalization;
using System.Xml;
using System.Xml.Linq;

namespace SanteGateway.Documents.Xds;

/// <summary>An XML message that cannot be read (not XML, a DTD, too large, missing element).</summary>
public sealed class XdsFormatException : Exception
{
    /// <summary>Creates the exception.</summary>
    public XdsFormatException()
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong.</param>
    public XdsFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong.</param>
    /// <param name="inner">Cause.</param>
    public XdsFormatException(string message, Exception inner)
        : base(message, inner)
    {
    }
}

/// <summary>Hardened XML loading: DTDs prohibited (so no entity is ever expanded or resolved), no resolver, bounded size.</summary>
public static class XdsXml
{
    /// <summary>Largest XML part read, in characters.</summary>
    public const long MaxCharacters = 16L * 1024 * 1024;

    /// <summary>The reader settings every XML read of this library uses.</summary>
    /// <returns>New settings.</returns>
    public static XmlReaderSettings Settings() => new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        MaxCharactersInDocument = MaxCharacters,
        MaxCharactersFromEntities = 0,
        IgnoreProcessingInstructions = true,
        IgnoreComments = true,
    };

    /// <summary>Loads a document.</summary>
    /// <param name="bytes">UTF-8 (or declared encoding) XML.</param>
    /// <param name="preserveWhitespace">Keep whitespace (needed to check signatures).</param>
    /// <returns>The document.</returns>
    /// <exception cref="XdsFormatException">Not readable XML.</exception>
    public static XDocument Load(ReadOnlyMemory<byte> bytes, bool preserveWhitespace = false)
    {
        try
        {
            using var stream = new MemoryStream(bytes.ToArray(), writable: false);
            using var reader = XmlReader.Create(stream, Settings());
            return XDocument.Load(reader, preserveWhitespace ? LoadOptions.PreserveWhitespace : LoadOptions.None);
        }
        catch (XmlException ex)
        {
            throw new XdsFormatException("Unreadable XML: " + ex.Message, ex);
        }
    }
}

/// <summary>Reads XDS.b bodies (ebRIM objects, RegistryResponse, query and retrieve answers).</summary>
public static class EbRimReader
{
    private static readonly XNamespace Rim = XdsNamespaces.Rim;
    private static readonly XNamespace Rs = XdsNamespaces.Rs;
    private static readonly XNamespace XdsB = XdsNamespaces.XdsB;
    private static readonly XNamespace Xop = XdsNamespaces.Xop;
    private static readonly XNamespace Query = XdsNamespaces.Query;

    /// <summary>Reads a <c>rs:RegistryResponse</c> (or any element with <c>status</c> and an optional <c>RegistryErrorList</c>).</summary>
    /// <param name="element">The element.</param>
    /// <returns>The response.</returns>
    public static XdsRegistryResponse ReadRegistryResponse(XElement element)
    {
        ArgumentNullException.ThrowIfNull(element);
        var status = (string?)element.Attribute("status") ?? throw new XdsFormatException($"{element.Name.LocalName} has no status.");
        var errors = element.Elements(Rs + "RegistryErrorList").Elements(Rs + "RegistryError")
            .Select(e => new XdsRegistryError(
                (string?)e.Attribute("errorCode") ?? "unknown",
                (string?)e.Attribute("codeContext") ?? e.Value,
                (string?)e.Attribute("location"),
                (string?)e.Attribute("severity") ?? XdsUuids.SeverityError))
            .ToList();
        return new XdsRegistryResponse(status, errors);
    }

    /// <summary>Reads an <c>AdhocQueryResponse</c>.</summary>
    /// <param name="element">The element.</param>
    /// <returns>The entries found.</returns>
    public static XdsQueryResponse ReadQueryResponse(XElement element)
    {
        ArgumentNullException.ThrowIfNull(element);
        if (element.Name != Query + "AdhocQueryResponse")
        {
            throw new XdsFormatException($"Expected AdhocQueryResponse, got {element.Name.LocalName}.");
        }

        var entries = element.Elements(Rim + "RegistryObjectList").Elements(Rim + "ExtrinsicObject").Select(ReadExtrinsicObject).ToList();
        return new XdsQueryResponse(ReadRegistryResponse(element), entries);
    }

    /// <summary>Reads a <c>RetrieveDocumentSetResponse</c>, resolving each XOP include against the MIME parts.</summary>
    /// <param name="element">The element.</param>
    /// <param name="parts">MIME parts by Content-ID.</param>
    /// <returns>The documents.</returns>
    public static XdsRetrieveResponse ReadRetrieveResponse(XElement element, IReadOnlyDictionary<string, byte[]> parts)
    {
        ArgumentNullException.ThrowIfNull(element);
        ArgumentNullException.ThrowIfNull(parts);
        var status = element.Element(Rs + "RegistryResponse") ?? throw new XdsFormatException("RetrieveDocumentSetResponse has no RegistryResponse.");
        var docs = element.Elements(XdsB + "DocumentResponse").Select(d => new XdsRetrievedDocument(
            (string?)d.Element(XdsB + "RepositoryUniqueId") ?? string.Empty,
            (string?)d.Element(XdsB + "DocumentUniqueId") ?? string.Empty,
            (string?)d.Element(XdsB + "mimeType"),
            Content(d.Element(XdsB + "Document"), parts))).ToList();
        return new XdsRetrieveResponse(ReadRegistryResponse(status), docs);
    }

    /// <summary>The bytes of an <c>xdsb:Document</c>: an XOP include resolved against the parts, or inline base64.</summary>
    /// <param name="document">The element (null gives an error).</param>
    /// <param name="parts">MIME parts by Content-ID.</param>
    /// <returns>The bytes.</returns>
    public static byte[] Content(XElement? document, IReadOnlyDictionary<string, byte[]> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        if (document is null)
        {
            throw new XdsFormatException("Document element missing.");
        }

        if (document.Element(Xop + "Include") is { } include)
        {
            var href = (string?)include.Attribute("href") ?? string.Empty;
            var cid = Uri.UnescapeDataString(href.StartsWith("cid:", StringComparison.OrdinalIgnoreCase) ? href[4..] : href);
            return parts.TryGetValue(cid, out var bytes) ? bytes : throw new XdsFormatException($"No MIME part for the XOP include {href}.");
        }

        try
        {
            return Convert.FromBase64String(document.Value);
        }
        catch (FormatException ex)
        {
            throw new XdsFormatException("Document content is neither an XOP include nor base64.", ex);
        }
    }

    /// <summary>Reads a submitted <c>SubmitObjectsRequest</c>: its document entries, submission sets and associations.</summary>
    /// <param name="submit">The <c>lcm:SubmitObjectsRequest</c> element.</param>
    /// <returns>The objects.</returns>
    public static XdsSubmittedObjects ReadSubmitObjects(XElement submit)
    {
        ArgumentNullException.ThrowIfNull(submit);
        var list = submit.Element(Rim + "RegistryObjectList") ?? throw new XdsFormatException("SubmitObjectsRequest has no RegistryObjectList.");
        var entries = list.Elements(Rim + "ExtrinsicObject").Select(ReadExtrinsicObject).ToList();
        var nodes = list.Elements(Rim + "Classification")
            .Where(c => (string?)c.Attribute("classificationNode") == XdsUuids.SubmissionSetNode)
            .Select(c => (string?)c.Attribute("classifiedObject")).ToHashSet(StringComparer.Ordinal);
        var sets = list.Elements(Rim + "RegistryPackage")
            .Where(p => nodes.Contains((string?)p.Attribute("id")) || p.Elements(Rim + "ExternalIdentifier").Any(x => (string?)x.Attribute("identificationScheme") == XdsUuids.SubmissionSetUniqueId))
            .Select(ReadRegistryPackage).ToList();
        var associations = list.Elements(Rim + "Association").Select(a => new XdsAssociation(
            (string?)a.Attribute("associationType") ?? string.Empty,
            (string?)a.Attribute("sourceObject") ?? string.Empty,
            (string?)a.Attribute("targetObject") ?? string.Empty)).ToList();
        return new XdsSubmittedObjects(entries, sets, associations);
    }

    /// <summary>Reads one <c>rim:ExtrinsicObject</c> as a document entry (missing parts stay null for the caller to report).</summary>
    /// <param name="e">The element.</param>
    /// <returns>The entry.</returns>
    public static XdsDocumentEntry ReadExtrinsicObject(XElement e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var id = (string?)e.Attribute("id") ?? string.Empty;
        return new XdsDocumentEntry
        {
            EntryUuid = id,
            UniqueId = External(e, XdsUuids.DocumentEntryUniqueId) ?? string.Empty,
            PatientId = External(e, XdsUuids.DocumentEntryPatientId) ?? string.Empty,
            SourcePatientId = Slot(e, "sourcePatientId"),
            ClassCode = Code(e, XdsUuids.ClassCode),
            TypeCode = Code(e, XdsUuids.TypeCode),
            FormatCode = Code(e, XdsUuids.FormatCode),
            ConfidentialityCode = Code(e, XdsUuids.ConfidentialityCode),
            HealthcareFacilityTypeCode = Code(e, XdsUuids.HealthcareFacilityTypeCode),
            PracticeSettingCode = Code(e, XdsUuids.PracticeSettingCode),
            Title = (string?)e.Element(Rim + "Name")?.Element(Rim + "LocalizedString")?.Attribute("value"),
            LanguageCode = Slot(e, "languageCode"),
            MimeType = (string?)e.Attribute("mimeType"),
            CreationTime = Slot(e, "creationTime"),
            ServiceStartTime = Slot(e, "serviceStartTime"),
            Hash = Slot(e, "hash"),
            Size = long.TryParse(Slot(e, "size"), NumberStyles.None, CultureInfo.InvariantCulture, out var size) ? size : null,
            Authors = Authors(e, XdsUuids.DocumentEntryAuthor),
            RepositoryUniqueId = Slot(e, "repositoryUniqueId"),
            Status = (string?)e.Attribute("status"),
        };
    }

    private static XdsSubmissionSet ReadRegistryPackage(XElement p) => new()
    {
        EntryUuid = (string?)p.Attribute("id") ?? string.Empty,
        UniqueId = External(p, XdsUuids.SubmissionSetUniqueId) ?? string.Empty,
        SourceId = External(p, XdsUuids.SubmissionSetSourceId) ?? string.Empty,
        PatientId = External(p, XdsUuids.SubmissionSetPatientId) ?? string.Empty,
        SubmissionTime = Slot(p, "submissionTime") ?? string.Empty,
        ContentTypeCode = Code(p, XdsUuids.ContentTypeCode),
        Title = (string?)p.Element(Rim + "Name")?.Element(Rim + "LocalizedString")?.Attribute("value"),
        Authors = Authors(p, XdsUuids.SubmissionSetAuthor),
    };

    private static string? Slot(XElement owner, string name) =>
        owner.Elements(Rim + "Slot").FirstOrDefault(s => (string?)s.Attribute("name") == name)?.Element(Rim + "ValueList")?.Element(Rim + "Value")?.Value;

    private static string? External(XElement owner, string scheme) =>
        (string?)owner.Elements(Rim + "ExternalIdentifier").FirstOrDefault(x => (string?)x.Attribute("identificationScheme") == scheme)?.Attribute("value");

    private static XdsCode? Code(XElement owner, string scheme)
    {
        var c = owner.Elements(Rim + "Classification").FirstOrDefault(x => (string?)x.Attribute("classificationScheme") == scheme);
        if (c is null)
        {
            return null;
        }

        return new XdsCode(
            (string?)c.Attribute("nodeRepresentation") ?? string.Empty,
            Slot(c, "codingScheme") ?? string.Empty,
            (string?)c.Element(Rim + "Name")?.Element(Rim + "LocalizedString")?.Attribute("value"));
    }

    private static List<XdsAuthor> Authors(XElement owner, string scheme) =>
        owner.Elements(Rim + "Classification").Where(x => (string?)x.Attribute("classificationScheme") == scheme)
            .Select(c => new XdsAuthor(Slot(c, "authorPerson"), Slot(c, "authorInstitution"))).ToList();
}

/// <summary>An association between two registry objects.</summary>
/// <param name="Type">associationType.</param>
/// <param name="Source">sourceObject.</param>
/// <param name="Target">targetObject.</param>
public sealed record XdsAssociation(string Type, string Source, string Target);

/// <summary>The objects of a submitted <c>SubmitObjectsRequest</c>.</summary>
/// <param name="Entries">Document entries.</param>
/// <param name="SubmissionSets">Submission sets.</param>
/// <param name="Associations">Associations.</param>
public sealed record XdsSubmittedObjects(IReadOnlyList<XdsDocumentEntry> Entries, IReadOnlyList<XdsSubmissionSet> SubmissionSets, IReadOnlyList<XdsAssociation> Associations);
