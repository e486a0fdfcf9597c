using System.Globalization;
using System.Security.Cryptography;
using Hl7.Fhir.Model;
using Microsoft.AspNetCore.Http;
using SanteGateway.Documents.Fhir;
using SanteGateway.Documents.Xds;

namespace SanteGateway.Documents.Sandbox;

/// <summary>
/// The PDSm side of the sandbox (document-sharing manager, IHE MHD): <c>POST /fhir</c> ITI-65 provide bundle,
/// <c>POST /fhir/DocumentReference</c> ITI-105 simplified publish, <c>GET /fhir/DocumentReference</c> ITI-67, <c>GET /fhir/Binary/{id}</c> ITI-68, <c>GET /fhir/Patient?identifier=</c>
/// the DMP state (PDSm4DMP draft). Documents land in the same registry as XDS.b submissions, so either transport finds
/// what the other sent. Refusals are <c>OperationOutcome</c>s (400 bad bundle, 422 business rule, 409 duplicate uniqueId).
/// </summary>
public sealed class PdsmSandboxHandler
{
    private const string FhirJson = "application/fhir+json";
    private readonly DocumentsSandboxHandler registry;
    private readonly DocumentsSandboxOptions options;

    /// <summary>Creates the handler over the sandbox's registry.</summary>
    /// <param name="registry">The XDS handler (store and DMP states).</param>
    /// <param name="options">Settings (optional profile validator).</param>
    public PdsmSandboxHandler(DocumentsSandboxHandler registry, DocumentsSandboxOptions options)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(options);
        this.registry = registry;
        this.options = options;
    }

    /// <summary>Bundles (ITI-65) and DocumentReferences (ITI-105) received (the last 100), for tests that validate what clients send.</summary>
    public IReadOnlyList<string> ReceivedBundles
    {
        get
        {
            lock (received)
            {
                return received.ToList();
            }
        }
    }

    private readonly Queue<string> received = new();

    private void Remember(string json)
    {
        lock (received)
        {
            received.Enqueue(json);
            while (received.Count > 100)
            {
                received.Dequeue();
            }
        }
    }

    /// <summary>ITI-65.</summary>
    /// <param name="context">HTTP context.</param>
    /// <returns>A task.</returns>
    public async System.Threading.Tasks.Task ProvideAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        byte[] body;
        using (var ms = new MemoryStream())
        {
            await context.Request.Body.CopyToAsync(ms, context.RequestAborted).ConfigureAwait(false);
            body = ms.ToArray();
        }

        Remember(System.Text.Encoding.UTF8.GetString(body));

        var bundle = PdsmClient.Parse<Bundle>(body);
        if (bundle is null || bundle.Type != Bundle.BundleType.Transaction)
        {
            await OutcomeAsync(context, 400, ("structure", "Bundle de type transaction attendu (ITI-65).", "Bundle")).ConfigureAwait(false);
            return;
        }

        if (options.PdsmValidator?.Invoke(bundle) is { Count: > 0 } invalid)
        {
            await OutcomeAsync(context, 422, invalid.Select(i => ("invariant", i, "Bundle")).ToArray()).ConfigureAwait(false);
            return;
        }

        // The MHD / PDSm structure of the bundle first (the official MHD profiles cannot be loaded: checked in code).
        var errors = PdsmProvideBundleRules.Check(bundle).Select(v => (Code: "invalid", Text: $"{v.Rule}: {v.Message}", Location: v.Location)).ToList();
        var lists = bundle.Entry.Where(e => e.Resource is List l && l.Code?.Coding.Any(c => c.Code == "submissionset") == true).ToList();
        var docs = bundle.Entry.Where(e => e.Resource is DocumentReference).ToList();
        var binaries = bundle.Entry.Where(e => e.Resource is Binary).GroupBy(e => e.FullUrl ?? string.Empty, StringComparer.Ordinal).ToDictionary(g => g.Key, g => (Binary)g.First().Resource!, StringComparer.Ordinal);
        if (docs.Count == 0)
        {
            errors.Add(("required", "Aucune DocumentReference.", "Bundle.entry"));
        }

        var set = lists.Count == 1 ? (List)lists[0].Resource! : null;
        var setUniqueId = set?.Identifier.FirstOrDefault(i => i.Use == Identifier.IdentifierUse.Usual)?.Value?.Replace("urn:oid:", string.Empty, StringComparison.Ordinal);
        if (set is not null && string.IsNullOrEmpty(setUniqueId))
        {
            errors.Add(("required", "SubmissionSet.identifier (uniqueId, use usual) manquant.", "List.identifier"));
        }

        var documents = new List<SandboxDocument>();
        var replacements = new List<(string Source, string Target)>();
        var now = DateTimeOffset.UtcNow;
        foreach (var entry in docs)
        {
            var d = (DocumentReference)entry.Resource!;
            var where = $"Bundle.entry[{bundle.Entry.IndexOf(entry)}].resource";
            var url = d.Content.FirstOrDefault()?.Attachment?.Url;
            var bytes = url is not null && binaries.TryGetValue(url, out var binary) ? binary?.Data : null;
            if (Document(d, where, bytes, "content.attachment.url doit désigner un Binary du Bundle.", ".content.attachment.url", set is null ? null : PatientCx(set.Subject?.Reference), set is not null, setUniqueId, binaries.GetValueOrDefault(url ?? string.Empty)?.ContentType, requireAuthenticator: true, errors, replacements, now) is { } document)
            {
                documents.Add(document);
            }
        }

        if (errors.Count > 0)
        {
            registry.Store.CountRefused();
            await OutcomeAsync(context, errors.Any(e => e.Code == "structure") ? 400 : 422, errors.ToArray()).ConfigureAwait(false);
            return;
        }

        if (!await RegisterAsync(context, documents, replacements).ConfigureAwait(false))
        {
            return;
        }

        // transaction-response: one entry per request entry, in order (IHE ProvideDocumentBundleResponse).
        var byUrl = docs.Zip(documents).ToDictionary(p => p.First.FullUrl ?? string.Empty, p => p.Second.Entry.EntryUuid[9..], StringComparer.Ordinal);
        var response = new Bundle { Type = Bundle.BundleType.TransactionResponse, Id = Guid.NewGuid().ToString("D") };
        foreach (var e in bundle.Entry)
        {
            var location = e.Resource switch
            {
                DocumentReference => "DocumentReference/" + byUrl[e.FullUrl ?? string.Empty],
                Binary => "Binary/" + byUrl.Values.FirstOrDefault(),
                List => "List/" + Guid.NewGuid().ToString("D"),
                _ => e.Resource?.TypeName + "/" + Guid.NewGuid().ToString("D"),
            };
            response.Entry.Add(new Bundle.EntryComponent { Response = new Bundle.ResponseComponent { Status = "201 Created", Location = location, LastModified = now } });
        }

        await WriteAsync(context, 200, response).ConfigureAwait(false);
    }

    /// <summary>The DMP state, then one copy per uniqueId and known replaced documents; writes the refusal and answers false.</summary>
    private async System.Threading.Tasks.Task<bool> RegisterAsync(HttpContext context, List<SandboxDocument> documents, List<(string Source, string Target)> replacements)
    {
        var matricule = DocumentsSandboxHandler.Matricule(documents[0].Entry.PatientId)!;
        var dmp = registry.DmpState(matricule);
        if (dmp != XdsDmpState.Active)
        {
            registry.Store.CountRefused();
            await OutcomeAsync(context, dmp == XdsDmpState.None ? 404 : 422, ("business-rule", dmp switch
            {
                XdsDmpState.None => "Aucun DMP pour cet INS.",
                XdsDmpState.Closed => "DMP fermé: alimentation impossible (DMP_FERME).",
                _ => "Opposition du patient à l'alimentation (DMP_OPPOSITION).",
            }, "Bundle")).ConfigureAwait(false);
            return false;
        }

        var registered = registry.Store.Register(documents, replacements, (byUniqueId, byEntryUuid) =>
        {
            var found = new List<XdsRegistryError>();
            foreach (var doc in documents.Where(x => byUniqueId(x.Entry.UniqueId) is not null))
            {
                found.Add(new("duplicate", $"uniqueId {doc.Entry.UniqueId} déjà enregistré.", doc.Entry.EntryUuid));
            }

            foreach (var (_, target) in replacements.Where(r => byEntryUuid(r.Target) is null))
            {
                found.Add(new("not-found", "Le document remplacé (relatesTo) est inconnu.", target));
            }

            return found;
        });
        if (registered.Count > 0)
        {
            await OutcomeAsync(context, registered.Any(e => e.ErrorCode == "duplicate") ? 409 : 422, registered.Select(e => (e.ErrorCode, e.CodeContext ?? string.Empty, e.Location ?? "Bundle")).ToArray()).ConfigureAwait(false);
            return false;
        }

        return true;
    }

    /// <summary>ITI-105 simplified publish: one DocumentReference (profile <c>pdsm-simplified-publish</c>) with the
    /// document in <c>content.attachment.data</c>; the same registry checks as ITI-65; <c>201</c> with the stored resource
    /// (id = entryUUID, <c>meta.versionId</c>, <c>meta.lastUpdated</c>) and its <c>Location</c>.</summary>
    /// <param name="context">HTTP context.</param>
    /// <returns>A task.</returns>
    public async System.Threading.Tasks.Task PublishAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        byte[] body;
        using (var ms = new MemoryStream())
        {
            await context.Request.Body.CopyToAsync(ms, context.RequestAborted).ConfigureAwait(false);
            body = ms.ToArray();
        }

        Remember(System.Text.Encoding.UTF8.GetString(body));
        var d = PdsmClient.Parse<DocumentReference>(body);
        if (d is null)
        {
            await OutcomeAsync(context, 400, ("structure", "DocumentReference attendue (ITI-105).", "DocumentReference")).ConfigureAwait(false);
            return;
        }

        var errors = new List<(string Code, string Text, string Location)>();
        var replacements = new List<(string Source, string Target)>();
        var now = DateTimeOffset.UtcNow;
        var bytes = d.Content.FirstOrDefault()?.Attachment?.Data;
        var document = Document(d, "DocumentReference", bytes, "content.attachment.data (le document) manquant.", ".content.attachment.data", null, false, "2.25." + new System.Numerics.BigInteger(Guid.NewGuid().ToByteArray(), isUnsigned: true), null, requireAuthenticator: false, errors, replacements, now);
        if (errors.Count > 0 || document is null)
        {
            registry.Store.CountRefused();
            await OutcomeAsync(context, 422, errors.ToArray()).ConfigureAwait(false);
            return;
        }

        if (!await RegisterAsync(context, [document], replacements).ConfigureAwait(false))
        {
            return;
        }

        // What the manager stored: the resource with its server id (the entryUUID), version and time, without the bytes.
        d.Id = document.Entry.EntryUuid[9..];
        d.Meta ??= new Meta();
        d.Meta.VersionId = "1";
        d.Meta.LastUpdated = now;
        var self = new Uri(new Uri(context.Request.Scheme + "://" + context.Request.Host), context.Request.PathBase + "/fhir/");
        var attachment = d.Content[0].Attachment;
        attachment.Data = null;
        attachment.Url = new Uri(self, "Binary/" + d.Id).AbsoluteUri;
        context.Response.Headers.Location = new Uri(self, $"DocumentReference/{d.Id}/_history/1").AbsoluteUri;
        await WriteAsync(context, 201, d).ConfigureAwait(false);
    }

    /// <summary>The registry checks of one DocumentReference (ITI-65 entry or ITI-105 resource) and its registry entry.</summary>
    private SandboxDocument? Document(DocumentReference d, string where, byte[]? bytes, string missingContent, string missingAt, string? setPatientCx, bool hasSet, string? setUniqueId, string? binaryType,
        bool requireAuthenticator, List<(string Code, string Text, string Location)> errors, List<(string Source, string Target)> replacements, DateTimeOffset now)
    {
        var uniqueId = Pdsm.UniqueId(d.MasterIdentifier?.System, d.MasterIdentifier?.Value);
        if (uniqueId is null)
        {
            errors.Add(("required", "masterIdentifier (uniqueId) manquant ou illisible.", where + ".masterIdentifier"));
            return null;
        }

        var patientCx = PatientCx(d.Subject?.Reference);
        if (patientCx is null || DocumentsSandboxHandler.Matricule(patientCx) is null)
        {
            errors.Add(("invalid", "subject doit désigner le patient par son INS (Patient?identifier=urn:oid:1.2.250.1.213.1.4.x|matricule, clé valide).", where + ".subject"));
            return null;
        }

        if (hasSet && setPatientCx != patientCx)
        {
            errors.Add(("invalid", "Le patient du SubmissionSet et celui du document diffèrent.", where + ".subject"));
        }

        Need(errors, d.Type?.Coding.FirstOrDefault(), where + ".type");
        Need(errors, d.Category.FirstOrDefault()?.Coding.FirstOrDefault(), where + ".category");
        Need(errors, d.SecurityLabel.FirstOrDefault()?.Coding.FirstOrDefault(), where + ".securityLabel");
        Need(errors, d.Context?.FacilityType?.Coding.FirstOrDefault(), where + ".context.facilityType");
        Need(errors, d.Context?.PracticeSetting?.Coding.FirstOrDefault(), where + ".context.practiceSetting");
        var content = d.Content.FirstOrDefault();
        Need(errors, content?.Format, where + ".content.format");
        if (d.Author.Count == 0)
        {
            errors.Add(("required", "author manquant.", where + ".author"));
        }

        if (d.Custodian is null)
        {
            errors.Add(("required", "custodian manquant.", where + ".custodian"));
        }

        CheckAuthenticator(d, where, requireAuthenticator, errors);

        if (d.Context?.Period?.Start is null)
        {
            errors.Add(("required", "context.period.start manquant.", where + ".context.period"));
        }

        var attachment = content?.Attachment;
        if (content is null || attachment is null || bytes is null)
        {
            errors.Add(("required", missingContent, where + missingAt));
            return null;
        }

        if (string.IsNullOrEmpty(attachment.Title))
        {
            errors.Add(("required", "content.attachment.title manquant.", where + ".content.attachment.title"));
        }

        if (attachment.Hash is not { } hash || !hash.AsSpan().SequenceEqual(SHA1.HashData(bytes)))
        {
            errors.Add(("invalid", "content.attachment.hash (SHA-1) ne correspond pas au document.", where + ".content.attachment.hash"));
        }

        if (SizeOf(attachment) is not { } size || size != bytes.Length)
        {
            errors.Add(("invalid", "content.attachment.size ne correspond pas au document.", where + ".content.attachment.size"));
        }

        // The entry's id: the entryUUID the source gave (official identifier), else a new one.
        var official = d.Identifier.FirstOrDefault(i => i.Use == Identifier.IdentifierUse.Official && i.Value?.StartsWith("urn:uuid:", StringComparison.Ordinal) == true)?.Value;
        var id = official is not null && Guid.TryParse(official[9..], out var g) ? g.ToString("D") : Guid.NewGuid().ToString("D");
        var replaces = d.RelatesTo.FirstOrDefault(r => r.Code == DocumentRelationshipType.Replaces)?.Target?.Reference;
        if (replaces is not null)
        {
            replacements.Add(("urn:uuid:" + id, "urn:uuid:" + replaces.Replace("DocumentReference/", string.Empty, StringComparison.Ordinal)));
        }

        var xdsEntry = new XdsDocumentEntry
        {
            EntryUuid = "urn:uuid:" + id,
            UniqueId = uniqueId,
            PatientId = patientCx,
            SourcePatientId = SourcePatient(d),
            ClassCode = Code(d.Category.FirstOrDefault()?.Coding.FirstOrDefault()),
            TypeCode = Code(d.Type?.Coding.FirstOrDefault()),
            FormatCode = Code(content?.Format),
            ConfidentialityCode = Code(d.SecurityLabel.FirstOrDefault()?.Coding.FirstOrDefault()),
            HealthcareFacilityTypeCode = Code(d.Context?.FacilityType?.Coding.FirstOrDefault()),
            PracticeSettingCode = Code(d.Context?.PracticeSetting?.Coding.FirstOrDefault()),
            Title = attachment.Title,
            LanguageCode = attachment.Language,
            MimeType = attachment.ContentType ?? binaryType,
            CreationTime = attachment.CreationElement?.ToDateTimeOffset(TimeSpan.Zero) is { } c ? XdsTime.Format(c) : null,
            Hash = Convert.ToHexStringLower(SHA1.HashData(bytes)),
            Size = bytes.Length,
            Authors = [new XdsAuthor(AuthorId(d), null)],
            RepositoryUniqueId = registry.RepositoryUniqueId,
            Status = XdsUuids.Approved,
        };
        return new SandboxDocument(xdsEntry, setUniqueId ?? string.Empty, bytes, now);
    }

    /// <summary>ITI-67 (<c>patient.identifier</c> required; <c>status</c> current, superseded or both).</summary>
    /// <param name="context">HTTP context.</param>
    /// <returns>A task.</returns>
    public async System.Threading.Tasks.Task FindAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var identifier = context.Request.Query["patient.identifier"].FirstOrDefault();
        var cx = identifier is null ? null : PatientCx("Patient?identifier=" + identifier);
        if (cx is null || DocumentsSandboxHandler.Matricule(cx) is null)
        {
            await OutcomeAsync(context, 400, ("required", "patient.identifier=urn:oid:OID-INS|matricule est requis.", "patient.identifier")).ConfigureAwait(false);
            return;
        }

        var statuses = (context.Request.Query["status"].FirstOrDefault() ?? "current").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var wanted = statuses.Select(s => s == "superseded" ? XdsUuids.Deprecated : XdsUuids.Approved).ToHashSet(StringComparer.Ordinal);
        var bundle = new Bundle { Type = Bundle.BundleType.Searchset, Id = Guid.NewGuid().ToString("D"), Meta = new Meta { Profile = [Pdsm.FindResponseProfile] } };
        var matches = registry.Store.All().Where(d => d.Entry.PatientId == cx && wanted.Contains(d.Entry.Status ?? XdsUuids.Approved)).OrderBy(d => d.RegisteredAt).ToList();
        var self = new Uri(new Uri(context.Request.Scheme + "://" + context.Request.Host), context.Request.PathBase + "/fhir/");
        foreach (var d in matches)
        {
            bundle.Entry.Add(new Bundle.EntryComponent { FullUrl = new Uri(self, "DocumentReference/" + d.Entry.EntryUuid[9..]).AbsoluteUri, Resource = ToDocumentReference(d, self), Search = new Bundle.SearchComponent { Mode = Bundle.SearchEntryMode.Match } });
        }

        bundle.Total = bundle.Entry.Count;
        await WriteAsync(context, 200, bundle).ConfigureAwait(false);
    }

    /// <summary>ITI-68: the document bytes.</summary>
    /// <param name="context">HTTP context.</param>
    /// <param name="id">Document id (the DocumentReference's).</param>
    /// <returns>A task.</returns>
    public async System.Threading.Tasks.Task RetrieveAsync(HttpContext context, string id)
    {
        ArgumentNullException.ThrowIfNull(context);
        var d = registry.Store.FindByEntryUuid("urn:uuid:" + id);
        if (d is null)
        {
            await OutcomeAsync(context, 404, ("not-found", "Document inconnu.", "Binary")).ConfigureAwait(false);
            return;
        }

        context.Response.StatusCode = 200;
        context.Response.ContentType = d.Entry.MimeType ?? "application/octet-stream";
        await context.Response.Body.WriteAsync(d.Content, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>The DMP state as a Patient search (PDSm4DMP draft).</summary>
    /// <param name="context">HTTP context.</param>
    /// <returns>A task.</returns>
    public async System.Threading.Tasks.Task PatientAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var identifier = context.Request.Query["identifier"].FirstOrDefault();
        var cx = identifier is null ? null : PatientCx("Patient?identifier=" + identifier);
        var matricule = cx is null ? null : DocumentsSandboxHandler.Matricule(cx);
        if (matricule is null)
        {
            await OutcomeAsync(context, 400, ("required", "identifier=urn:oid:OID-INS|matricule est requis.", "identifier")).ConfigureAwait(false);
            return;
        }

        var bundle = new Bundle { Type = Bundle.BundleType.Searchset, Id = Guid.NewGuid().ToString("D") };
        var state = registry.DmpState(matricule);
        if (state != XdsDmpState.None)
        {
            var oid = identifier![8..identifier!.IndexOf('|', StringComparison.Ordinal)];
            // The traits of the DMP are never exposed (the LPS must not display them): only the INS and the state.
            var patient = new Patient { Id = Guid.NewGuid().ToString("D"), Identifier = [new Identifier("urn:oid:" + oid, matricule)], Active = state != XdsDmpState.Closed };
            if (state == XdsDmpState.Closed)
            {
                patient.Extension.Add(new Extension { Url = Pdsm.DmpClosedExtension, Extension = [new Extension("motifFermeture", new FhirString("FERMETURE_SANDBOX"))] });
            }
            else if (state == XdsDmpState.Opposed)
            {
                patient.Extension.Add(new Extension(Pdsm.DmpOppositionExtension, new FhirBoolean(true)));
            }

            bundle.Entry.Add(new Bundle.EntryComponent { Resource = patient, Search = new Bundle.SearchComponent { Mode = Bundle.SearchEntryMode.Match } });
        }

        bundle.Total = bundle.Entry.Count;
        await WriteAsync(context, 200, bundle).ConfigureAwait(false);
    }

    private static DocumentReference ToDocumentReference(SandboxDocument d, Uri self)
    {
        var e = d.Entry;
        var id = e.EntryUuid[9..];
        var hat = e.PatientId.IndexOf('^', StringComparison.Ordinal);
        var oidStart = e.PatientId.IndexOf('&', StringComparison.Ordinal) + 1;
        var oid = e.PatientId[oidStart..e.PatientId.IndexOf('&', oidStart)];
        return new DocumentReference
        {
            Id = id,
            Meta = new Meta { Profile = [Pdsm.DocumentReferenceProfile] },
            MasterIdentifier = PdsmBundles.MasterIdentifier(e.UniqueId),
            Identifier = [new Identifier(Pdsm.UriSystem, e.EntryUuid) { Use = Identifier.IdentifierUse.Official }],
            Status = e.Status == XdsUuids.Deprecated ? DocumentReferenceStatus.Superseded : DocumentReferenceStatus.Current,
            Type = Concept(e.TypeCode),
            Category = Concept(e.ClassCode) is { } category ? [category] : [],
            Subject = new ResourceReference($"Patient?identifier=urn:oid:{oid}|{e.PatientId[..hat]}"),
            Date = d.RegisteredAt,
            SecurityLabel = Concept(e.ConfidentialityCode) is { } label ? [label] : [],
            Content =
            [
                new DocumentReference.ContentComponent
                {
                    Attachment = new Attachment
                    {
                        ContentType = e.MimeType,
                        Language = e.LanguageCode,
                        Url = new Uri(self, "Binary/" + id).AbsoluteUri,
                        Size = (int?)e.Size,
                        Hash = e.Hash is null ? null : Convert.FromHexString(e.Hash),
                        Title = e.Title,
                    },
                    Format = e.FormatCode is null ? null : new Coding(Pdsm.System(e.FormatCode.Scheme), e.FormatCode.Code, e.FormatCode.Display),
                },
            ],
            Context = new DocumentReference.ContextComponent
            {
                FacilityType = Concept(e.HealthcareFacilityTypeCode),
                PracticeSetting = Concept(e.PracticeSettingCode),
            },
        };
    }

    /// <summary>
    /// <c>attachment.size</c> as read: the R4 parser stores an <c>unsignedInt</c> where the shared POCO property expects an
    /// <c>integer64</c>, so the property getter cannot be used on a parsed resource.
    /// </summary>
    private static long? SizeOf(Attachment attachment)
    {
        foreach (var (name, value) in attachment.EnumerateElements())
        {
            if (name == "size" && value is PrimitiveType { JsonValue: { } v })
            {
                return Convert.ToInt64(v, CultureInfo.InvariantCulture);
            }
        }

        return null;
    }

    private static CodeableConcept? Concept(XdsCode? c) => c is null ? null : new CodeableConcept { Coding = [new Coding(Pdsm.System(c.Scheme), c.Code, c.Display)] };

    private static XdsCode? Code(Coding? c) => c?.Code is null ? null : new XdsCode(c.Code, Pdsm.Oid(c.System), c.Display);

    private static void Need(List<(string, string, string)> errors, Coding? coding, string location)
    {
        if (coding is null || string.IsNullOrWhiteSpace(coding.Code) || string.IsNullOrWhiteSpace(coding.System))
        {
            errors.Add(("required", location + ": code et system requis.", location));
        }
    }

    /// <summary>The INS CX of a conditional reference <c>Patient?identifier=urn:oid:OID|MATRICULE</c>.</summary>
    private static string? PatientCx(string? reference)
    {
        const string prefix = "Patient?identifier=";
        if (reference is null || !reference.StartsWith(prefix, StringComparison.Ordinal))
        {
            return null;
        }

        var token = Uri.UnescapeDataString(reference[prefix.Length..]);
        var bar = token.IndexOf('|', StringComparison.Ordinal);
        if (bar < 0 || !token.StartsWith("urn:oid:", StringComparison.Ordinal))
        {
            return null;
        }

        return $"{token[(bar + 1)..]}^^^&{token[8..bar]}&ISO^NH";
    }

    private static string? SourcePatient(DocumentReference d)
    {
        var reference = d.Context?.SourcePatientInfo?.Reference;
        var patient = reference is { Length: > 1 } && reference[0] == '#' ? d.Contained.OfType<Patient>().FirstOrDefault(p => p.Id == reference[1..]) : null;
        var id = patient?.Identifier.FirstOrDefault();
        return id?.Value is null ? null : $"{id.Value}^^^&{Pdsm.Oid(id.System)}&ISO^PI";
    }

    /// <summary>The contained resource a local reference (<c>#id</c>) points at, or null.</summary>
    private static Resource? Contained(DomainResource container, string? reference) =>
        reference is { Length: > 1 } && reference[0] == '#' ? container.Contained.FirstOrDefault(r => r.Id == reference[1..]) : null;

    /// <summary>The professional behind an author or authenticator reference: a contained Practitioner, directly or through a contained PractitionerRole.</summary>
    private static Practitioner? Person(DomainResource container, string? reference) => Contained(container, reference) switch
    {
        Practitioner p => p,
        PractitionerRole role => Contained(container, role.Practitioner?.Reference) as Practitioner,
        _ => null,
    };

    private static string? AuthorId(DocumentReference d)
    {
        var author = Person(d, d.Author.FirstOrDefault()?.Reference);
        var id = author?.Identifier.FirstOrDefault();
        return id?.Value is null ? null : string.Create(CultureInfo.InvariantCulture, $"{id.Value}^{author!.Name.FirstOrDefault()?.Family}^^^^^^^&{Pdsm.Oid(id.System)}&ISO");
    }

    /// <summary>
    /// PDSm <c>DocumentReference.authenticator</c> (1..1 in ITI-65, 0..1 in ITI-105): a contained <c>PractitionerRole</c>
    /// whose contained <c>Practitioner</c> is identified, or a contained <c>Organization</c> (annuaire targets, aggregation contained).
    /// </summary>
    private static void CheckAuthenticator(DocumentReference d, string where, bool required, List<(string Code, string Text, string Location)> errors)
    {
        var at = where + ".authenticator";
        if (d.Authenticator is null)
        {
            if (required)
            {
                errors.Add(("required", "authenticator manquant: le responsable du document (CDA legalAuthenticator) est requis par PDSm (1..1).", at));
            }

            return;
        }

        switch (Contained(d, d.Authenticator.Reference))
        {
            case PractitionerRole role:
                if (Contained(d, role.Practitioner?.Reference) is not Practitioner { Identifier.Count: > 0 })
                {
                    errors.Add(("invalid", "authenticator: le PractitionerRole doit désigner un Practitioner contenu et identifié (idNat_PS).", at));
                }

                break;
            case Organization { Identifier.Count: > 0 }:
                break;
            case Organization:
                errors.Add(("invalid", "authenticator: l'Organization doit être identifiée (idNat_Struct).", at));
                break;
            default:
                errors.Add(("invalid", "authenticator doit désigner une ressource contenue (#id) PractitionerRole ou Organization.", at));
                break;
        }
    }

    private static async System.Threading.Tasks.Task OutcomeAsync(HttpContext context, int status, params (string Code, string Text, string Location)[] issues)
    {
        var outcome = new OperationOutcome();
        foreach (var (code, text, location) in issues)
        {
            outcome.Issue.Add(new OperationOutcome.IssueComponent
            {
                Severity = OperationOutcome.IssueSeverity.Error,
                Code = Hl7.Fhir.Utility.EnumUtility.ParseLiteral<OperationOutcome.IssueType>(code) ?? OperationOutcome.IssueType.Processing,
                Diagnostics = text,
                Expression = [location],
            });
        }

        await WriteAsync(context, status, outcome).ConfigureAwait(false);
    }

    private static async System.Threading.Tasks.Task WriteAsync(HttpContext context, int status, Resource resource)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = FhirJson;
        await context.Response.WriteAsync(PdsmClient.ToJson(resource), context.RequestAborted).ConfigureAwait(false);
    }
}
