using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Microsoft.AspNetCore.Http;
using SanteGateway.Documents.Xds;
using SanteGateway.Identity;

namespace SanteGateway.Documents.Sandbox;

/// <summary>
/// Answers the XDS.b transactions like the DMP registry would for the rules that are public: VIHF signed by a trusted
/// certificate with its attributes, patientId an INS CX with a valid key and an INS OID (the legacy INS-C is refused),
/// complete metadata with coding schemes, hash and size matching the document, one copy per uniqueId, the DMP state of
/// the patient, then storage, stored queries and retrieval. Errors are <c>RegistryError</c>s with the IHE codes.
/// </summary>
public sealed partial class DocumentsSandboxHandler
{
    private readonly DocumentsSandboxOptions options;
    private readonly ConcurrentDictionary<string, XdsDmpState> states = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<(string Code, string? Subcode, string Reason)> injected = new();

    /// <summary>Creates the handler.</summary>
    /// <param name="options">Settings.</param>
    public DocumentsSandboxHandler(DocumentsSandboxOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        this.options = options;
        foreach (var (matricule, state) in options.DmpStates)
        {
            states[matricule] = state;
        }
    }

    /// <summary>The registry and repository.</summary>
    public DocumentsSandboxStore Store { get; } = new();

    /// <summary>The repositoryUniqueId of the sandbox.</summary>
    public string RepositoryUniqueId => options.RepositoryUniqueId;

    /// <summary>Sets the DMP state of a patient (by matricule, 15 characters).</summary>
    /// <param name="matricule">Matricule.</param>
    /// <param name="state">State.</param>
    public void SetDmpState(string matricule, XdsDmpState state) => states[matricule] = state;

    /// <summary>
    /// Makes the next <paramref name="count"/> SOAP requests (any action, once read) answer with this fault instead: an
    /// outage of the DMP (<c>Receiver</c>, HTTP 500) or a refusal of the request (<c>Sender</c>, HTTP 400), so that a
    /// publisher can see how its software retries one and reports the other.
    /// </summary>
    /// <param name="count">How many requests get the fault.</param>
    /// <param name="code"><c>Sender</c> or <c>Receiver</c>.</param>
    /// <param name="reason">Reason text.</param>
    /// <param name="subcode">Qualified subcode, or null.</param>
    public void InjectFaults(int count, string code, string reason, string? subcode = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentException.ThrowIfNullOrWhiteSpace(code);
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        for (var i = 0; i < count; i++)
        {
            injected.Enqueue((code, subcode, reason));
        }
    }

    /// <summary>The DMP state of a patient.</summary>
    /// <param name="matricule">Matricule.</param>
    /// <returns>The state (default <see cref="DocumentsSandboxOptions.DefaultDmpState"/>).</returns>
    public XdsDmpState DmpState(string matricule) => states.TryGetValue(matricule, out var s) ? s : options.DefaultDmpState;

    /// <summary>Handles one POST.</summary>
    /// <param name="context">HTTP context.</param>
    /// <returns>A task.</returns>
    public async Task HandleAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        byte[] body;
        using (var ms = new MemoryStream())
        {
            await context.Request.Body.CopyToAsync(ms, context.RequestAborted).ConfigureAwait(false);
            body = ms.ToArray();
        }

        SoapMessage message;
        MtomMessage mtom;
        try
        {
            mtom = Mtom.Read(context.Request.ContentType, body);
            message = SoapEnvelope.Read(mtom.Envelope);
        }
        catch (XdsFormatException ex)
        {
            await FaultAsync(context, "Sender", null, "Message illisible: " + ex.Message, null).ConfigureAwait(false);
            return;
        }

        if (injected.TryDequeue(out var fault))
        {
            await FaultAsync(context, fault.Code, fault.Subcode, fault.Reason, message.MessageId).ConfigureAwait(false);
            return;
        }

        if (message.Security is not { } assertion || assertion.Name != XName.Get("Assertion", XdsNamespaces.Saml2))
        {
            await FaultAsync(context, "Sender", "wsse:InvalidSecurity", "VIHF absent (wsse:Security/saml:Assertion).", message.MessageId).ConfigureAwait(false);
            return;
        }

        var vihf = VihfVerifier.Verify(assertion, options.TrustAnchors!, DateTimeOffset.UtcNow);
        if (!vihf.Valid)
        {
            await FaultAsync(context, "Sender", "wsse:FailedAuthentication", vihf.Error ?? "VIHF invalide.", message.MessageId).ConfigureAwait(false);
            return;
        }

        var resource = vihf.Attributes[VihfAttributes.ResourceId];
        switch (message.Action)
        {
            case XdsActions.ProvideAndRegister:
                await ReplyAsync(context, XdsActions.ProvideAndRegisterResponse, message.MessageId, w => EbRimWriter.WriteRegistryResponse(w, Provide(message.Body, mtom.Attachments, resource))).ConfigureAwait(false);
                return;
            case XdsActions.RegistryStoredQuery:
            {
                var (response, entries) = Query(message.Body, resource);
                await ReplyAsync(context, XdsActions.RegistryStoredQueryResponse, message.MessageId, w => EbRimWriter.WriteQueryResponse(w, response, entries)).ConfigureAwait(false);
                return;
            }

            case XdsActions.RetrieveDocumentSet:
                await RetrieveAsync(context, message, resource).ConfigureAwait(false);
                return;
            default:
                if (message.Action == options.DmpStatusAction)
                {
                    await DmpStatusAsync(context, message, resource).ConfigureAwait(false);
                    return;
                }

                await FaultAsync(context, "Sender", "wsa:ActionNotSupported", $"Action non supportée: {message.Action}", message.MessageId).ConfigureAwait(false);
                return;
        }
    }

    private XdsRegistryResponse Provide(XElement? body, IReadOnlyDictionary<string, byte[]> attachments, string vihfPatient)
    {
        XNamespace xdsb = XdsNamespaces.XdsB;
        XNamespace lcm = XdsNamespaces.Lcm;
        if (body is null || body.Name != xdsb + "ProvideAndRegisterDocumentSetRequest" || body.Element(lcm + "SubmitObjectsRequest") is not { } submit)
        {
            return Failure(new XdsRegistryError("XDSRepositoryError", "ProvideAndRegisterDocumentSetRequest/SubmitObjectsRequest attendu."));
        }

        XdsSubmittedObjects objects;
        try
        {
            objects = EbRimReader.ReadSubmitObjects(submit);
        }
        catch (XdsFormatException ex)
        {
            return Failure(new XdsRegistryError("XDSRegistryMetadataError", ex.Message));
        }

        var errors = new List<XdsRegistryError>();
        if (objects.SubmissionSets.Count != 1)
        {
            errors.Add(new("XDSRegistryMetadataError", "Exactly one submission set is required."));
        }

        if (objects.Entries.Count == 0)
        {
            errors.Add(new("XDSRegistryMetadataError", "No document entry."));
        }

        var set = objects.SubmissionSets.FirstOrDefault();
        if (set is not null)
        {
            Require(errors, set.EntryUuid, "XDSSubmissionSet.uniqueId", set.UniqueId);
            Require(errors, set.EntryUuid, "XDSSubmissionSet.sourceId", set.SourceId);
            if (!XdsTime.IsValid(set.SubmissionTime))
            {
                errors.Add(new("XDSRegistryMetadataError", "XDSSubmissionSet.submissionTime missing or not a DTM.", set.EntryUuid));
            }

            RequireCode(errors, set.EntryUuid, "XDSSubmissionSet.contentTypeCode", set.ContentTypeCode);
            CheckPatientId(errors, set.EntryUuid, set.PatientId);
        }

        var documents = new List<SandboxDocument>();
        var documentElements = body.Elements(xdsb + "Document").ToDictionary(d => (string?)d.Attribute("id") ?? string.Empty, StringComparer.Ordinal);
        foreach (var e in objects.Entries)
        {
            Require(errors, e.EntryUuid, "XDSDocumentEntry.uniqueId", e.UniqueId);
            Require(errors, e.EntryUuid, "XDSDocumentEntry.sourcePatientId", e.SourcePatientId);
            Require(errors, e.EntryUuid, "XDSDocumentEntry.languageCode", e.LanguageCode);
            Require(errors, e.EntryUuid, "XDSDocumentEntry.mimeType", e.MimeType);
            if (!XdsTime.IsValid(e.CreationTime))
            {
                errors.Add(new("XDSRegistryMetadataError", "XDSDocumentEntry.creationTime missing or not a DTM.", e.EntryUuid));
            }

            RequireCode(errors, e.EntryUuid, "XDSDocumentEntry.classCode", e.ClassCode);
            RequireCode(errors, e.EntryUuid, "XDSDocumentEntry.typeCode", e.TypeCode);
            RequireCode(errors, e.EntryUuid, "XDSDocumentEntry.formatCode", e.FormatCode);
            RequireCode(errors, e.EntryUuid, "XDSDocumentEntry.confidentialityCode", e.ConfidentialityCode);
            RequireCode(errors, e.EntryUuid, "XDSDocumentEntry.healthcareFacilityTypeCode", e.HealthcareFacilityTypeCode);
            RequireCode(errors, e.EntryUuid, "XDSDocumentEntry.practiceSettingCode", e.PracticeSettingCode);
            if (e.Authors.Count == 0 || e.Authors.All(a => string.IsNullOrEmpty(a.Person) && string.IsNullOrEmpty(a.Institution)))
            {
                errors.Add(new("XDSRegistryMetadataError", "XDSDocumentEntry.author missing.", e.EntryUuid));
            }

            CheckPatientId(errors, e.EntryUuid, e.PatientId);
            if (set is not null && e.PatientId != set.PatientId)
            {
                errors.Add(new("XDSPatientIdDoesNotMatch", "The document entry and submission set patientIds differ.", e.EntryUuid));
            }

            if (e.PatientId != vihfPatient)
            {
                errors.Add(new("XDSPatientIdDoesNotMatch", "The VIHF resource-id is not the document's patientId.", e.EntryUuid));
            }

            if (set is not null && !objects.Associations.Any(a => a.Type == XdsUuids.HasMember && a.Source == set.EntryUuid && a.Target == e.EntryUuid))
            {
                errors.Add(new("XDSRegistryMetadataError", "No HasMember association from the submission set to the document entry.", e.EntryUuid));
            }

            if (!documentElements.TryGetValue(e.EntryUuid, out var documentElement))
            {
                errors.Add(new("XDSMissingDocument", "No document for this document entry.", e.EntryUuid));
                continue;
            }

            byte[] content;
            try
            {
                content = EbRimReader.Content(documentElement, attachments);
            }
            catch (XdsFormatException ex)
            {
                errors.Add(new("XDSMissingDocument", ex.Message, e.EntryUuid));
                continue;
            }

            var hash = Convert.ToHexStringLower(SHA1.HashData(content));
            if (e.Hash is not null && !string.Equals(e.Hash, hash, StringComparison.OrdinalIgnoreCase))
            {
                errors.Add(new("XDSNonIdenticalHash", "The hash does not match the document.", e.EntryUuid));
            }

            if (e.Size is { } size && size != content.Length)
            {
                errors.Add(new("XDSNonIdenticalSize", "The size does not match the document.", e.EntryUuid));
            }

            documents.Add(new SandboxDocument(e with { Hash = hash, Size = content.Length, RepositoryUniqueId = options.RepositoryUniqueId, Status = XdsUuids.Approved }, set?.UniqueId ?? string.Empty, content, DateTimeOffset.UtcNow));
        }

        foreach (var extra in documentElements.Keys.Where(k => objects.Entries.All(e => e.EntryUuid != k)))
        {
            errors.Add(new("XDSMissingDocumentMetadata", "A document has no document entry.", extra));
        }

        if (errors.Count == 0 && set is not null && Matricule(set.PatientId) is { } matricule)
        {
            switch (DmpState(matricule))
            {
                case XdsDmpState.None:
                    errors.Add(new("XDSUnknownPatientId", "Aucun DMP pour cet INS."));
                    break;
                case XdsDmpState.Closed:
                    errors.Add(new("XDSRegistryError", "DMP fermé: alimentation impossible (DMP_FERME)."));
                    break;
                case XdsDmpState.Opposed:
                    errors.Add(new("XDSRegistryError", "Opposition du patient à l'alimentation (DMP_OPPOSITION)."));
                    break;
            }
        }

        if (errors.Count > 0)
        {
            Store.CountRefused();
            return Failure([.. errors]);
        }

        var replacements = objects.Associations.Where(a => a.Type == XdsUuids.Replace).Select(a => (a.Source, a.Target)).ToList();
        var registered = Store.Register(documents, replacements, (find, findEntry) =>
        {
            var e = new List<XdsRegistryError>();
            foreach (var d in documents)
            {
                if (find(d.Entry.UniqueId) is not null)
                {
                    e.Add(new("XDSDuplicateUniqueIdInRegistry", $"uniqueId {d.Entry.UniqueId} already registered.", d.Entry.EntryUuid));
                }
            }

            foreach (var (source, target) in replacements)
            {
                var old = findEntry(target);
                if (old is null || old.Entry.Status != XdsUuids.Approved || old.Entry.PatientId != set!.PatientId)
                {
                    e.Add(new("XDSRegistryError", "The replaced document is unknown, not approved, or of another patient (RPLC).", source));
                }
            }

            return e;
        });
        return registered.Count > 0 ? Failure([.. registered]) : new XdsRegistryResponse(XdsUuids.Success, []);
    }

    private (XdsRegistryResponse Response, IReadOnlyList<XdsDocumentEntry> Entries) Query(XElement? body, string vihfPatient)
    {
        XNamespace rim = XdsNamespaces.Rim;
        XNamespace query = XdsNamespaces.Query;
        var adhoc = body?.Name == query + "AdhocQueryRequest" ? body.Element(rim + "AdhocQuery") : null;
        if (adhoc is null)
        {
            return (Failure(new XdsRegistryError("XDSRegistryError", "AdhocQueryRequest/AdhocQuery attendu.")), []);
        }

        var slots = adhoc.Elements(rim + "Slot").ToDictionary(
            s => (string?)s.Attribute("name") ?? string.Empty,
            s => s.Element(rim + "ValueList")?.Elements(rim + "Value").Select(v => v.Value).ToList() ?? [],
            StringComparer.Ordinal);
        var id = (string?)adhoc.Attribute("id");
        if (id == XdsUuids.FindDocuments)
        {
            if (!slots.TryGetValue("$XDSDocumentEntryPatientId", out var p) || p.Count != 1)
            {
                return (Failure(new XdsRegistryError("XDSStoredQueryParamNumber", "$XDSDocumentEntryPatientId is required once.")), []);
            }

            var patient = Unquote(p[0]);
            if (patient != vihfPatient)
            {
                return (Failure(new XdsRegistryError("XDSPatientIdDoesNotMatch", "The VIHF resource-id is not the queried patient.")), []);
            }

            var statuses = slots.TryGetValue("$XDSDocumentEntryStatus", out var s) ? ParseList(s) : [XdsUuids.Approved];
            var found = Store.All().Where(d => d.Entry.PatientId == patient && statuses.Contains(d.Entry.Status ?? XdsUuids.Approved))
                .OrderBy(d => d.RegisteredAt).Select(d => d.Entry).ToList();
            return (new XdsRegistryResponse(XdsUuids.Success, []), found);
        }

        if (id == XdsUuids.GetDocuments)
        {
            var ids = slots.TryGetValue("$XDSDocumentEntryUniqueId", out var u) ? ParseList(u) : [];
            var found = ids.Select(Store.Find).OfType<SandboxDocument>().Where(d => d.Entry.PatientId == vihfPatient).Select(d => d.Entry).ToList();
            return (new XdsRegistryResponse(XdsUuids.Success, []), found);
        }

        return (Failure(new XdsRegistryError("XDSUnknownStoredQuery", $"Stored query {id} not supported.")), []);
    }

    private async Task RetrieveAsync(HttpContext context, SoapMessage message, string vihfPatient)
    {
        XNamespace xdsb = XdsNamespaces.XdsB;
        var requests = message.Body?.Name == xdsb + "RetrieveDocumentSetRequest" ? message.Body.Elements(xdsb + "DocumentRequest").ToList() : [];
        var errors = new List<XdsRegistryError>();
        var found = new List<(XdsRetrievedDocument, string)>();
        if (requests.Count == 0)
        {
            errors.Add(new("XDSRepositoryError", "RetrieveDocumentSetRequest/DocumentRequest attendu."));
        }

        foreach (var r in requests)
        {
            var repository = r.Element(xdsb + "RepositoryUniqueId")?.Value;
            var uniqueId = r.Element(xdsb + "DocumentUniqueId")?.Value ?? string.Empty;
            if (repository != options.RepositoryUniqueId)
            {
                errors.Add(new("XDSUnknownRepositoryId", $"Unknown repository {repository}.", uniqueId));
                continue;
            }

            var d = Store.Find(uniqueId);
            if (d is null || d.Entry.PatientId != vihfPatient)
            {
                errors.Add(new("XDSDocumentUniqueIdError", $"Unknown document {uniqueId}.", uniqueId));
                continue;
            }

            found.Add((new XdsRetrievedDocument(options.RepositoryUniqueId, uniqueId, d.Entry.MimeType, d.Content), $"doc{found.Count + 1}.{Guid.NewGuid():N}@sandbox"));
        }

        var status = errors.Count == 0 ? XdsUuids.Success : found.Count > 0 ? XdsUuids.PartialSuccess : XdsUuids.Failure;
        var envelope = SoapEnvelope.Write(XdsActions.RetrieveDocumentSetResponse, null, message.MessageId, null,
            w => EbRimWriter.WriteRetrieveResponse(w, new XdsRegistryResponse(status, errors), found));
        var bytes = Mtom.Write(envelope, found.Select(f => new MimePart(f.Item2, f.Item1.MimeType ?? "text/xml", f.Item1.Content)), XdsActions.RetrieveDocumentSetResponse, out var contentType);
        context.Response.StatusCode = 200;
        context.Response.ContentType = contentType;
        await context.Response.Body.WriteAsync(bytes, context.RequestAborted).ConfigureAwait(false);
    }

    private async Task DmpStatusAsync(HttpContext context, SoapMessage message, string vihfPatient)
    {
        var patient = message.Body?.Element(XName.Get("PatientId", XdsNamespaces.DmpStatus))?.Value;
        if (patient is null || patient != vihfPatient || Matricule(patient) is not { } matricule)
        {
            await FaultAsync(context, "Sender", null, "PatientId absent, invalide, ou différent du VIHF.", message.MessageId).ConfigureAwait(false);
            return;
        }

        var state = DmpState(matricule);
        await ReplyAsync(context, options.DmpStatusAction + "Response", message.MessageId, w =>
        {
            w.WriteStartElement("dmp", "StatutDmp", XdsNamespaces.DmpStatus);
            w.WriteElementString("dmp", "Etat", XdsNamespaces.DmpStatus, DmpStates.ToWire(state));
            w.WriteEndElement();
        }).ConfigureAwait(false);
    }

    private static async Task ReplyAsync(HttpContext context, string action, string? relatesTo, Action<System.Xml.XmlWriter> body)
    {
        var bytes = SoapEnvelope.Write(action, null, relatesTo, null, body);
        context.Response.StatusCode = 200;
        context.Response.ContentType = $"application/soap+xml; charset=utf-8; action=\"{action}\"";
        await context.Response.Body.WriteAsync(bytes, context.RequestAborted).ConfigureAwait(false);
    }

    private static async Task FaultAsync(HttpContext context, string code, string? subcode, string reason, string? relatesTo)
    {
        var bytes = SoapEnvelope.WriteFault(code, subcode, reason, relatesTo);
        context.Response.StatusCode = code == "Sender" ? 400 : 500;
        context.Response.ContentType = "application/soap+xml; charset=utf-8";
        await context.Response.Body.WriteAsync(bytes, context.RequestAborted).ConfigureAwait(false);
    }

    private static XdsRegistryResponse Failure(params XdsRegistryError[] errors) => new(XdsUuids.Failure, errors);

    private static void Require(List<XdsRegistryError> errors, string location, string name, string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            errors.Add(new("XDSRegistryMetadataError", name + " missing.", location));
        }
    }

    private static void RequireCode(List<XdsRegistryError> errors, string location, string name, XdsCode? code)
    {
        if (code is null || string.IsNullOrWhiteSpace(code.Code) || string.IsNullOrWhiteSpace(code.Scheme))
        {
            errors.Add(new("XDSRegistryMetadataError", name + " missing or without codingScheme.", location));
        }
    }

    private static void CheckPatientId(List<XdsRegistryError> errors, string location, string patientId)
    {
        if (Matricule(patientId) is null)
        {
            errors.Add(new("XDSRegistryMetadataError", "patientId must be an INS: matricule^^^&1.2.250.1.213.1.4.x&ISO^NH with a valid key (the INS-C is not accepted).", location));
        }
    }

    /// <summary>The matricule of an INS CX, or null when it is not one (wrong layout, non-INS OID, bad key).</summary>
    internal static string? Matricule(string? cx)
    {
        var m = cx is null ? null : InsCx().Match(cx);
        if (m is null || !m.Success || !InsOids.TryGetKind(m.Groups[2].Value, out _))
        {
            return null;
        }

        return InsMatricule.TryParse(m.Groups[1].Value, out var parsed, out _) && parsed.Value == m.Groups[1].Value ? m.Groups[1].Value : null;
    }

    private static string Unquote(string v) => v.Trim().Trim('\'').Replace("''", "'", StringComparison.Ordinal);

    private static HashSet<string> ParseList(IEnumerable<string> values) =>
        values.SelectMany(v => v.Trim().TrimStart('(').TrimEnd(')').Split(',')).Select(Unquote).ToHashSet(StringComparer.Ordinal);

    // Fifteen characters, not fifteen digits: the matricule of a person born in Corsica carries 2A or 2B as its
    // department (e.g. 160012B020777 13); InsMatricule.TryParse then checks the layout and the key.
    [GeneratedRegex(@"^([0-9AB]{15})\^\^\^&([0-9.]+)&ISO\^NH$", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex InsCx();
}
