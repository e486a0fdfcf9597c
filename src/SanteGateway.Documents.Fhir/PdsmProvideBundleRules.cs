using Hl7.Fhir.Model;

namespace SanteGateway.Documents.Fhir;

/// <summary>One rule of the ITI-65 provide bundle that a bundle breaks.</summary>
/// <param name="Location">Where, as a FHIRPath-like location (e.g. <c>Bundle.entry[1].resource.content[0].attachment.url</c>).</param>
/// <param name="Rule">The rule's key (e.g. <c>mhd-binary-pairing</c>).</param>
/// <param name="Message">What is wrong, in words.</param>
public sealed record PdsmRuleViolation(string Location, string Rule, string Message)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Rule} at {Location}: {Message}";
}

/// <summary>
/// The structural rules of the IHE MHD "Comprehensive Provide Document Bundle" (ITI-65) as PDSm 3.1.1 constrains it
/// (profile <c>pdsm-comprehensive-provide-document-bundle</c> and <c>pdsm-submissionset-comprehensive</c>), checked in
/// code: those profiles derive from the IHE MHD 4.2 package (<c>ihe.iti.mhd</c>), which this gateway cannot load, so the
/// Firely validator cannot compile them. The DocumentReference itself is validated against the official PDSm profile
/// elsewhere; this checks the bundle around it.
/// </summary>
/// <remarks>
/// <para>Rules (from the PDSm snapshots, which carry MHD's constraints, and MHD ITI-65 §2:3.65.4.1):</para>
/// <list type="bullet">
/// <item><c>mhd-transaction</c>: <c>Bundle.type</c> is <c>transaction</c>, with at least one entry.</item>
/// <item><c>mhd-entry</c>: every entry has a unique <c>fullUrl</c>, a resource and a <c>request</c> (method and url);
/// SubmissionSet and DocumentReference entries are <c>POST</c> to their type, Binary entries <c>POST Binary</c> or
/// <c>PUT Binary/id</c>; only the resources the profile's closed slicing allows (List, DocumentReference, Binary, Bundle,
/// Patient, Parameters).</item>
/// <item><c>mhd-submissionset</c>: exactly one List coded <c>MHDlistTypes#submissionset</c>, with the
/// <c>ihe-designationType</c> (CodeableConcept) and <c>ihe-sourceId</c> (Identifier) extensions, status <c>current</c>,
/// mode <c>working</c>, a subject, a date, a source (PDSm 1..1) and at least one contained resource (PDSm); its
/// <c>entryUUID</c> identifier (use official) and <c>uniqueId</c> (use usual), when present, are URIs
/// (<c>urn:ietf:rfc:3986</c>).</item>
/// <item><c>mhd-submissionset-entries</c>: every <c>List.entry.item</c> points at a DocumentReference (or folder List)
/// of the bundle by its <c>fullUrl</c>, and every DocumentReference of the bundle is listed.</item>
/// <item><c>mhd-binary-pairing</c>: every DocumentReference's <c>content.attachment.url</c> is the <c>fullUrl</c> of a
/// Binary (or FHIR document Bundle) of the bundle, and every Binary is the content of exactly one DocumentReference.</item>
/// <item><c>mhd-same-patient</c>: each DocumentReference's subject is the SubmissionSet's.</item>
/// <item><c>iti-mhd-repl</c>: a <c>relatesTo</c> of code <c>replaces</c> has a target.</item>
/// </list>
/// </remarks>
public static class PdsmProvideBundleRules
{
    private const string UriSystem = Pdsm.UriSystem;

    private static readonly HashSet<string> AllowedTypes = new(StringComparer.Ordinal)
    {
        "List", "DocumentReference", "Binary", "Bundle", "Patient", "Parameters",
    };

    /// <summary>Checks an ITI-65 provide bundle.</summary>
    /// <param name="bundle">The bundle.</param>
    /// <returns>The rules it breaks; empty when none.</returns>
    public static IReadOnlyList<PdsmRuleViolation> Check(Bundle bundle)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        var found = new List<PdsmRuleViolation>();
        void Add(string location, string rule, string message) => found.Add(new PdsmRuleViolation(location, rule, message));

        if (bundle.Type != Bundle.BundleType.Transaction)
        {
            Add("Bundle.type", "mhd-transaction", "An ITI-65 provide bundle is a transaction Bundle.");
        }

        if (bundle.Entry.Count == 0)
        {
            Add("Bundle.entry", "mhd-transaction", "The bundle has no entry.");
            return found;
        }

        var byUrl = new Dictionary<string, Resource>(StringComparer.Ordinal);
        for (var i = 0; i < bundle.Entry.Count; i++)
        {
            var e = bundle.Entry[i];
            var at = $"Bundle.entry[{i}]";
            if (string.IsNullOrEmpty(e.FullUrl))
            {
                Add(at + ".fullUrl", "mhd-entry", "Every entry needs a fullUrl (the SubmissionSet and the DocumentReferences point at each other by it).");
            }
            else if (e.Resource is not null && !byUrl.TryAdd(e.FullUrl, e.Resource))
            {
                Add(at + ".fullUrl", "mhd-entry", $"fullUrl {e.FullUrl} is used by two entries.");
            }

            if (e.Resource is null)
            {
                Add(at + ".resource", "mhd-entry", "The entry has no resource.");
                continue;
            }

            var type = e.Resource.TypeName;
            if (!AllowedTypes.Contains(type))
            {
                Add(at + ".resource", "mhd-entry", $"A {type} is not allowed in a provide bundle (SubmissionSet, DocumentReference, Binary, folder, Patient).");
            }

            if (e.Request is not { Method: { } method } request || string.IsNullOrEmpty(request.Url))
            {
                Add(at + ".request", "mhd-entry", "Every entry of a transaction needs request.method and request.url.");
                continue;
            }

            var expectsPost = e.Resource is List or DocumentReference;
            if (expectsPost && (method != Bundle.HTTPVerb.POST || request.Url != type))
            {
                Add(at + ".request", "mhd-entry", $"A new {type} is created with POST {type}.");
            }
            else if (e.Resource is Binary && !((method == Bundle.HTTPVerb.POST && request.Url == "Binary") || (method == Bundle.HTTPVerb.PUT && request.Url.StartsWith("Binary/", StringComparison.Ordinal))))
            {
                Add(at + ".request", "mhd-entry", "A document's Binary is sent with POST Binary (or PUT Binary/id).");
            }
        }

        var sets = bundle.Entry.Select((e, i) => (Entry: e, Index: i))
            .Where(x => x.Entry.Resource is List l && l.Code?.Coding.Any(c => c.System == Pdsm.ListTypes && c.Code == "submissionset") == true)
            .ToList();
        var docs = bundle.Entry.Select((e, i) => (Entry: e, Index: i)).Where(x => x.Entry.Resource is DocumentReference).ToList();
        if (sets.Count != 1)
        {
            Add("Bundle.entry", "mhd-submissionset", $"Exactly one SubmissionSet List (code {Pdsm.ListTypes}#submissionset) is required; found {sets.Count}.");
        }

        List? set = null;
        if (sets.Count == 1)
        {
            set = (List)sets[0].Entry.Resource!;
            CheckSubmissionSet(set, $"Bundle.entry[{sets[0].Index}].resource", byUrl, docs.Select(d => d.Entry.FullUrl).ToList(), Add);
        }

        var referenced = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (entry, index) in docs)
        {
            var d = (DocumentReference)entry.Resource!;
            var at = $"Bundle.entry[{index}].resource";
            if (d.Content.Count == 0)
            {
                Add(at + ".content", "mhd-binary-pairing", "The DocumentReference has no content.");
            }

            for (var c = 0; c < d.Content.Count; c++)
            {
                var url = d.Content[c].Attachment?.Url;
                if (url is null || !byUrl.TryGetValue(url, out var target) || target is not (Binary or Bundle))
                {
                    Add($"{at}.content[{c}].attachment.url", "mhd-binary-pairing", "content.attachment.url must be the fullUrl of a Binary of the bundle (the document).");
                }
                else
                {
                    referenced[url] = referenced.GetValueOrDefault(url) + 1;
                }
            }

            if (set?.Subject?.Reference is { } patient && d.Subject?.Reference != patient)
            {
                Add(at + ".subject", "mhd-same-patient", "The DocumentReference's subject is not the SubmissionSet's patient.");
            }

            for (var r = 0; r < d.RelatesTo.Count; r++)
            {
                if (d.RelatesTo[r].Code == DocumentRelationshipType.Replaces && string.IsNullOrEmpty(d.RelatesTo[r].Target?.Reference) && d.RelatesTo[r].Target?.Identifier is null)
                {
                    Add($"{at}.relatesTo[{r}].target", "iti-mhd-repl", "A replacement (relatesTo replaces) names the replaced DocumentReference.");
                }
            }
        }

        for (var i = 0; i < bundle.Entry.Count; i++)
        {
            var e = bundle.Entry[i];
            if (e.Resource is Binary && e.FullUrl is { } url && referenced.GetValueOrDefault(url) != 1)
            {
                Add($"Bundle.entry[{i}]", "mhd-binary-pairing", referenced.ContainsKey(url)
                    ? "This Binary is the content of more than one DocumentReference."
                    : "This Binary is the content of no DocumentReference of the bundle.");
            }
        }

        return found;
    }

    private static void CheckSubmissionSet(List set, string at, Dictionary<string, Resource> byUrl, List<string?> documentUrls, Action<string, string, string> add)
    {
        const string rule = "mhd-submissionset";
        if (set.GetExtension(Pdsm.DesignationTypeExtension) is not { Value: CodeableConcept { Coding.Count: > 0 } })
        {
            add(at + ".extension", rule, "The SubmissionSet needs the ihe-designationType extension (contentTypeCode, a CodeableConcept).");
        }

        if (set.GetExtension(Pdsm.SourceIdExtension) is not { Value: Identifier { Value.Length: > 0 } })
        {
            add(at + ".extension", rule, "The SubmissionSet needs the ihe-sourceId extension (the sending system's OID, an Identifier).");
        }

        foreach (var (identifier, index) in set.Identifier.Select((x, i) => (x, i)))
        {
            if (identifier.Use is Identifier.IdentifierUse.Official or Identifier.IdentifierUse.Usual && identifier.System != UriSystem)
            {
                add($"{at}.identifier[{index}].system", rule, $"The SubmissionSet's {(identifier.Use == Identifier.IdentifierUse.Official ? "entryUUID" : "uniqueId")} identifier has the system {UriSystem}.");
            }
        }

        if (set.Status != List.ListStatus.Current)
        {
            add(at + ".status", rule, "The SubmissionSet's status is current.");
        }

        if (set.Mode != ListMode.Working)
        {
            add(at + ".mode", rule, "The SubmissionSet's mode is working.");
        }

        if (string.IsNullOrEmpty(set.Subject?.Reference) && set.Subject?.Identifier is null)
        {
            add(at + ".subject", rule, "The SubmissionSet names its patient (subject).");
        }

        if (string.IsNullOrEmpty(set.Date))
        {
            add(at + ".date", rule, "The SubmissionSet has its submission time (date).");
        }

        if (set.Source is null)
        {
            add(at + ".source", rule, "The SubmissionSet names its author (source, PDSm 1..1).");
        }

        if (set.Contained.Count == 0)
        {
            add(at + ".contained", rule, "The SubmissionSet contains its author (PDSm: contained 1..*).");
        }

        var listed = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < set.Entry.Count; i++)
        {
            var item = set.Entry[i].Item?.Reference;
            if (item is null || !byUrl.TryGetValue(item, out var target) || target is not (DocumentReference or List))
            {
                add($"{at}.entry[{i}].item", "mhd-submissionset-entries", "Each SubmissionSet entry points at a DocumentReference of the bundle by its fullUrl.");
            }
            else
            {
                listed.Add(item);
            }
        }

        foreach (var url in documentUrls.Where(u => u is not null && !listed.Contains(u)))
        {
            add(at + ".entry", "mhd-submissionset-entries", $"The DocumentReference {url} is not listed in the SubmissionSet.");
        }
    }
}
