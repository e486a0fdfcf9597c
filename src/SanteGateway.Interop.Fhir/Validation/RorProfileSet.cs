using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hl7.Fhir.Model;

namespace SanteGateway.Interop.Fhir.Validation;

/// <summary>
/// The official ROR profiles (IG <c>ans.fhir.fr.ror</c>) made compilable by the Firely validator, and the check of one
/// mirrored resource against the ROR profile of its type.
/// </summary>
/// <remarks>
/// <para>The IG is read at run time (a folder of its JSON definitions, or its <c>package.tgz</c>); the files are never changed:
/// the corrections below are made in memory and listed in <see cref="Corrections"/>. Without them the Firely schema compiler
/// (rightly) refuses the published profiles and nothing could be validated at all:</para>
/// <list type="number">
/// <item>Slicings discriminated on <c>url</c> of an element that has no <c>url</c> (Coding <c>meta.tag</c>, string <c>alias</c>,
/// CodeableConcept) cannot be compiled: the slicing and its slices are dropped (the base element's rules stay).</item>
/// <item>Value/pattern slicings whose slices do not fix the discriminated element (<c>Organization.type</c> on
/// <c>coding.system</c>) cannot be compiled either: dropped the same way.</item>
/// <item>Profiles of the IG's dependencies that are not loaded (FR Core 1.1.0, Annuaire 0.2.0 for release 0.1.0): extension
/// slices typed with such a profile are dropped (all are optional); other elements keep their type without the missing
/// profile; reference target profiles that cannot be found are removed (the reference's type is still checked).</item>
/// <item>A base profile that is not loaded (0.1.0 <c>ror-organization</c> derives from FR Core 1.1.0 <c>FrOrganization</c>):
/// the complete snapshot stands on its own, so its base becomes the core resource.</item>
/// </list>
/// <para>Release 0.1.0, the only complete release available, contradicts the current IG on three points that every current
/// resource meets: those error texts are tolerated (<see cref="ToleratedMessages"/>, only when the loaded IG is 0.1.0).</para>
/// <para>Build once and share: loading and the first validation of each type compile the schemas (seconds); later validations
/// take milliseconds. Thread-safe: concurrent validations run on separate validators (at most one per processor, each built
/// on first need and kept), never on one validator at once.</para>
/// </remarks>
public sealed class RorProfileSet
{
    /// <summary>Canonical prefix of the ROR StructureDefinitions.</summary>
    public const string StructureDefinitionBase = "https://interop.esante.gouv.fr/ig/fhir/ror/StructureDefinition/";

    /// <summary>The five resource types the ROR mirror keeps.</summary>
    private static readonly string[] MirroredTypes = ["Organization", "HealthcareService", "Location", "Practitioner", "PractitionerRole"];

    private readonly string[] _definitions;
    private readonly System.Collections.Concurrent.ConcurrentBag<FhirProfileValidator> _idle = [];
    // One permit per validator that may exist (one per processor): a caller holding a permit always finds an idle validator
    // or room to build one, so nobody spins while every validator is busy.
    private readonly SemaphoreSlim _permits = new(Math.Max(1, Environment.ProcessorCount));

    private RorProfileSet(string[] definitions, FhirProfileValidator validator, string? version, IReadOnlyDictionary<string, string> profiles, IReadOnlyList<string> corrections, IReadOnlyList<string> tolerated)
    {
        _definitions = definitions;
        Validator = validator;
        _idle.Add(validator);
        Version = version;
        Profiles = profiles;
        Corrections = corrections;
        ToleratedMessages = tolerated;
    }

    /// <summary>
    /// Error texts tolerated with release 0.1.0 because 0.1.0 itself contradicts the current IG (0.4.0–0.7.0) that the
    /// national ROR and the sandbox follow: <c>ror-meta-creation-date</c> is a <c>date</c> allowed only on PractitionerRole in
    /// 0.1.0 (yet required 1..1 on the five profiles), a <c>dateTime</c> on the five resources since; the telecom extensions
    /// are allowed only inside <c>ror-healthcareservice-contact</c> in 0.1.0, on every ContactPoint since.
    /// </summary>
    public static IReadOnlyList<string> Release010Drift { get; } =
    [
        "Extension used outside of appropriate contexts. Expected context to be one of: {ELEMENT,PractitionerRole}",
        "The declared type of the element (date) is incompatible with that of the instance (dateTime)",
        "Expected context to be one of: {EXTENSION,https://interop.esante.gouv.fr/ig/fhir/ror/StructureDefinition/ror-healthcareservice-contact}",
    ];

    /// <summary>The validator over the corrected definitions (also the first of those <see cref="Errors(Resource)"/> uses: one thread at a time on it).</summary>
    public FhirProfileValidator Validator { get; }

    /// <summary>Version of the loaded ROR profiles (e.g. <c>0.1.0</c>), when they declare one.</summary>
    public string? Version { get; }

    /// <summary>The ROR profile of each mirrored resource type (<c>Location</c> → <c>…/ror-location</c>).</summary>
    public IReadOnlyDictionary<string, string> Profiles { get; }

    /// <summary>What was corrected in memory, one line each (<c>ror-location: slicing Location.meta.tag dropped (…)</c>).</summary>
    public IReadOnlyList<string> Corrections { get; }

    /// <summary>Error texts not counted as errors (see <see cref="Release010Drift"/>).</summary>
    public IReadOnlyList<string> ToleratedMessages { get; }

    /// <summary>Reads the ROR IG definitions and corrects them in memory.</summary>
    /// <param name="paths">Folders (their <c>*.json</c> and <c>*.tgz</c> files), <c>.tgz</c> packages or <c>.json</c> files.</param>
    /// <returns>The profile set.</returns>
    /// <exception cref="DirectoryNotFoundException">A path does not exist.</exception>
    /// <exception cref="InvalidOperationException">No ROR profile was found in the paths.</exception>
    public static RorProfileSet Load(IEnumerable<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var nodes = new List<JsonObject>();
        foreach (var path in paths)
        {
            foreach (var text in ReadTexts(path))
            {
                if (TryParse(text) is { } node)
                {
                    nodes.Add(node);
                }
            }
        }

        var known = nodes.Select(n => Str(n, "url")).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var corrections = new List<string>();
        foreach (var node in nodes)
        {
            if (Str(node, "resourceType") == "StructureDefinition" && node["snapshot"]?["element"] is JsonArray elements)
            {
                var name = Str(node, "id") ?? Str(node, "url") ?? "?";
                Correct(name, elements, known, corrections);
                if (Str(node, "baseDefinition") is { } baseDefinition && !known.Contains(baseDefinition) && !IsCore(baseDefinition) && Str(node, "type") is { } type)
                {
                    node["baseDefinition"] = "http://hl7.org/fhir/StructureDefinition/" + type;
                    corrections.Add($"{name}: base {baseDefinition} not loaded, the snapshot stands on its own (base {type})");
                }
            }
        }

        var profiles = new Dictionary<string, string>(StringComparer.Ordinal);
        string? version = null;
        foreach (var type in MirroredTypes)
        {
            var candidates = nodes.Where(n => Str(n, "resourceType") == "StructureDefinition" && Str(n, "type") == type && Str(n, "derivation") == "constraint"
                                              && Str(n, "kind") == "resource" && Str(n, "url") is { } u && u.StartsWith(StructureDefinitionBase, StringComparison.Ordinal))
                .ToList();
            var chosen = candidates.FirstOrDefault(n => Str(n, "url") == StructureDefinitionBase + "ror-" + type.ToLowerInvariant()) ?? candidates.FirstOrDefault();
            if (chosen is not null)
            {
                profiles[type] = Str(chosen, "url")!;
                version ??= Str(chosen, "version");
            }
        }

        if (profiles.Count == 0)
        {
            throw new InvalidOperationException("No ROR profile (" + StructureDefinitionBase + "ror-*) found in " + string.Join(", ", paths));
        }

        var texts = nodes.Select(n => n.ToJsonString()).ToArray();
        var definitions = new FhirDefinitionSource(texts, []);
        var tolerated = version == "0.1.0" ? Release010Drift : [];
        return new RorProfileSet(texts, new FhirProfileValidator(definitions), version, profiles, corrections, tolerated);
    }

    /// <summary>
    /// Validates a resource against the ROR profile of its type (and the profiles it declares in <c>meta.profile</c>); returns
    /// the errors, tolerated texts left out. A type without a ROR profile is checked against its base definition.
    /// </summary>
    /// <param name="resource">The resource.</param>
    /// <returns>Errors (<c>error</c> and <c>fatal</c>), empty when the resource conforms.</returns>
    public IReadOnlyList<FhirValidationIssue> Errors(Resource resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        var profile = Profiles.TryGetValue(resource.TypeName, out var p) ? p : null;
        var lane = Rent();
        FhirValidationReport report;
        try
        {
            report = lane.Validate(resource, profile);
        }
        finally
        {
            _idle.Add(lane);
            _permits.Release();
        }

        return report.Errors
            .Where(e => !ToleratedMessages.Any(t => e.Message.Contains(t, StringComparison.Ordinal)))
            .ToArray();
    }

    /// <summary>
    /// Reads a resource as the ROR served it (FHIR JSON) and validates it: what the parser refuses (unknown elements, malformed
    /// values) comes first as errors (code <c>structure</c>), then the profile's errors.
    /// </summary>
    /// <param name="json">The resource as FHIR JSON.</param>
    /// <returns>The errors, empty when the resource conforms.</returns>
    /// <exception cref="FhirFormatException">Not a FHIR resource at all.</exception>
    public IReadOnlyList<FhirValidationIssue> Errors(string json)
    {
        var parsed = FhirFormats.ParseJson<Resource>(json, checkValues: true);
        var parse = parsed.Issues.Select(i => new FhirValidationIssue("error", "structure", parsed.Resource.TypeName, i));
        return parse.Concat(Errors(parsed.Resource)).ToArray();
    }

    /// <summary>
    /// An idle validator, or a new one while fewer than one per processor exist. Each validator is used by one thread at a time
    /// and has its own definitions, resolver cache, terminology and compiled schemas (nothing of the Firely validator is relied
    /// on to be thread-safe), so concurrent validations give the verdicts one validator would.
    /// </summary>
    private FhirProfileValidator Rent()
    {
        // Waits only while callers outnumber the processors. With a permit in hand, an empty bag means every existing
        // validator is rented by another permit holder, so fewer than one per processor exist and one more may be built.
        _permits.Wait();
        try
        {
            return _idle.TryTake(out var lane) ? lane : new FhirProfileValidator(new FhirDefinitionSource(_definitions, []));
        }
        catch
        {
            _permits.Release();
            throw;
        }
    }

    private static bool IsCore(string url) => url.StartsWith("http://hl7.org/fhir/", StringComparison.Ordinal);

    private static string? Str(JsonNode? node, string name) =>
        node is JsonObject o && o.TryGetPropertyValue(name, out var v) && v is JsonValue value && value.TryGetValue<string>(out var s) ? s : null;

    private static JsonObject? TryParse(string text)
    {
        try
        {
            return JsonNode.Parse(text) is JsonObject o && Str(o, "resourceType") is not null ? o : null;
        }
        catch (JsonException)
        {
            return null; // package.json, .index.json and other non-resource files
        }
    }

    private static IEnumerable<string> ReadTexts(string path)
    {
        if (Directory.Exists(path))
        {
            return Directory.EnumerateFiles(path).Order(StringComparer.Ordinal).SelectMany(ReadFile).ToList();
        }

        if (File.Exists(path))
        {
            return ReadFile(path);
        }

        throw new DirectoryNotFoundException($"ROR profile path not found: {path}");
    }

    private static List<string> ReadFile(string file)
    {
        var texts = new List<string>();
        if (file.EndsWith(".tgz", StringComparison.OrdinalIgnoreCase) || file.EndsWith(".tar.gz", StringComparison.OrdinalIgnoreCase))
        {
            using var gz = new GZipStream(File.OpenRead(file), CompressionMode.Decompress);
            using var tar = new TarReader(gz);
            while (tar.GetNextEntry() is { } entry)
            {
                // The package's own resources only: not examples, not other/ or openapi/ folders.
                if (entry.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile && entry.DataStream is not null
                    && entry.Name.StartsWith("package/", StringComparison.Ordinal) && entry.Name.Count(c => c == '/') == 1
                    && entry.Name.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
                {
                    using var reader = new StreamReader(entry.DataStream);
                    texts.Add(reader.ReadToEnd());
                }
            }
        }
        else if (file.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
        {
            texts.Add(File.ReadAllText(file));
        }

        return texts;
    }

    /// <summary>Corrections (1) to (3) of the class remarks on one snapshot.</summary>
    private static void Correct(string name, JsonArray elements, HashSet<string> known, List<string> corrections)
    {
        var slicingsDropped = new List<string>();
        var slicesDropped = new List<string>();
        foreach (var e in elements.OfType<JsonObject>().ToList())
        {
            var id = Str(e, "id") ?? string.Empty;
            var types = e["type"] as JsonArray;
            var isExtension = types?.OfType<JsonObject>().Any(t => Str(t, "code") == "Extension") == true;
            if (e["slicing"]?["discriminator"] is JsonArray d)
            {
                var onMissingUrl = !isExtension && d.OfType<JsonObject>().Any(x => Str(x, "path") == "url");
                if (onMissingUrl || !SlicesCarryTheirDiscriminator(elements, id, d))
                {
                    e.Remove("slicing");
                    slicingsDropped.Add(id + ":");
                    corrections.Add(onMissingUrl
                        ? $"{name}: slicing {id} dropped (discriminator url on an element without url)"
                        : $"{name}: slicing {id} dropped (its slices do not fix the discriminated value)");
                }
            }

            foreach (var t in types?.OfType<JsonObject>() ?? [])
            {
                if (t["targetProfile"] is JsonArray targets)
                {
                    foreach (var missing in targets.Where(p => p is JsonValue v && v.TryGetValue<string>(out var u) && !known.Contains(u) && !IsCore(u)).ToList())
                    {
                        targets.Remove(missing);
                        corrections.Add($"{name}: target profile {missing!.GetValue<string>()} of {id} not loaded, removed");
                    }

                    if (targets.Count == 0)
                    {
                        t.Remove("targetProfile");
                    }
                }

                if (t["profile"] is JsonArray profiles)
                {
                    var missing = profiles.Select(p => p is JsonValue v && v.TryGetValue<string>(out var u) ? u : null)
                        .Where(p => p is not null && !known.Contains(p) && !IsCore(p)).ToList();
                    if (missing.Count > 0 && isExtension && id.Contains(':', StringComparison.Ordinal))
                    {
                        slicesDropped.Add(id);
                        corrections.Add($"{name}: extension slice {id} dropped ({string.Join(", ", missing)} not loaded)");
                    }
                    else if (missing.Count > 0)
                    {
                        t.Remove("profile");
                        corrections.Add($"{name}: profile {string.Join(", ", missing)} of {id} not loaded, the element keeps its type");
                    }
                }
            }
        }

        foreach (var e in elements.OfType<JsonObject>().ToList())
        {
            var id = Str(e, "id") ?? string.Empty;
            if (slicingsDropped.Any(prefix => id.StartsWith(prefix, StringComparison.Ordinal))
                || slicesDropped.Any(x => id == x || id.StartsWith(x + ".", StringComparison.Ordinal) || id.StartsWith(x + ":", StringComparison.Ordinal)))
            {
                elements.Remove(e);
            }
        }
    }

    private static bool SlicesCarryTheirDiscriminator(JsonArray elements, string id, JsonArray discriminators)
    {
        var byId = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        foreach (var x in elements.OfType<JsonObject>())
        {
            byId.TryAdd(Str(x, "id") ?? string.Empty, x);
        }

        var slices = byId.Keys.Where(k => k.StartsWith(id + ":", StringComparison.Ordinal)
                                          && !k[(id.Length + 1)..].Contains('.', StringComparison.Ordinal)
                                          && !k[(id.Length + 1)..].Contains(':', StringComparison.Ordinal)).ToList();
        foreach (var disc in discriminators.OfType<JsonObject>())
        {
            var type = Str(disc, "type");
            var path = Str(disc, "path") ?? string.Empty;
            if (type is not ("value" or "pattern") || path == "url")
            {
                continue;
            }

            foreach (var slice in slices)
            {
                var target = path == "$this" ? slice : slice + "." + path;
                if (!byId.TryGetValue(target, out var t)
                    || !t.Select(kv => kv.Key).Any(k => k.StartsWith("fixed", StringComparison.Ordinal) || k.StartsWith("pattern", StringComparison.Ordinal) || k == "binding"))
                {
                    return false;
                }
            }
        }

        return true;
    }
}
