using System.Text.Json.Nodes;
using Hl7.Fhir.Model;
using SanteGateway.Interop.Fhir.Validation;
using SanteGateway.Testing;

[assembly: AssemblyFixture(typeof(SanteGateway.Ror.Tests.RorValidatorFixture))]

namespace SanteGateway.Ror.Tests;

/// <summary>
/// The Firely validator loaded with the official ROR IG 0.1.0 definitions (the only complete release in shared/), with one
/// the corrections of <see cref="Correct"/>, without which the Firely schema compiler (rightly) refuses the profiles and no
/// resource could be validated at all. The files in shared/ stay untouched (a corrected copy is written to a temp folder).
/// </summary>
public sealed class RorValidatorFixture
{
    /// <summary>
    /// Errors that come from the gap between release 0.1.0 and the current IG (0.7.0) the sandbox follows, not from our
    /// resources: in 0.1.0 <c>ror-meta-creation-date</c> is a <c>date</c> allowed only on PractitionerRole (yet required 1..1
    /// on the five profiles, so 0.1.0 itself contradicts it); 0.7.0 makes it a dateTime on the five resources.
    /// </summary>
    public static readonly string[] KnownDrift =
    [
        "Extension used outside of appropriate contexts. Expected context to be one of: {ELEMENT,PractitionerRole}",
        "The declared type of the element (date) is incompatible with that of the instance (dateTime)",
        // 0.1.0 allows the telecom extensions only inside ror-healthcareservice-contact; 0.7.0 on every ContactPoint.
        "Expected context to be one of: {EXTENSION,https://interop.esante.gouv.fr/ig/fhir/ror/StructureDefinition/ror-healthcareservice-contact}",
    ];

    private readonly Lazy<FhirProfileValidator> _validator = new(Build);

    public FhirProfileValidator Validator => _validator.Value;

    public static string CorrectedDirectory { get; } = Path.Combine(Path.GetTempPath(), "santegw-ror-ig-0.1.0-corrected-" + Environment.ProcessId);

    public IReadOnlyList<FhirValidationIssue> Errors(Resource resource) =>
        Validator.Validate(resource).Errors.Where(e => !KnownDrift.Any(k => e.Message.Contains(k, StringComparison.Ordinal))).ToArray();

    private static FhirProfileValidator Build()
    {
        Directory.CreateDirectory(CorrectedDirectory);
        var sources = Directory.GetFiles(TestPaths.SharedFile("data", "fhir", "ror", "ROR-IG_0.1.0"), "*.json");
        var nodes = sources.ToDictionary(f => f, f => JsonNode.Parse(File.ReadAllText(f))!);
        var known = nodes.Values.Select(n => n["url"]?.GetValue<string>()).OfType<string>().ToHashSet(StringComparer.Ordinal);
        foreach (var (source, node) in nodes)
        {
            if (node["resourceType"]?.GetValue<string>() == "StructureDefinition" && node["snapshot"]?["element"] is JsonArray elements)
            {
                Correct(elements, known);
                // (4) A base profile of a dependency not in shared/ (FR Core 1.1.0 FrOrganization): the complete snapshot
                // stands on its own, the base becomes the core resource.
                if (node["baseDefinition"]?.GetValue<string>() is { } baseDefinition && !known.Contains(baseDefinition)
                    && !baseDefinition.StartsWith("http://hl7.org/fhir/", StringComparison.Ordinal))
                {
                    node["baseDefinition"] = "http://hl7.org/fhir/StructureDefinition/" + node["type"]!.GetValue<string>();
                }
            }

            File.WriteAllText(Path.Combine(CorrectedDirectory, Path.GetFileName(source)), node.ToJsonString());
        }

        return new FhirProfileValidator(new FhirValidatorOptions { DefinitionPaths = [CorrectedDirectory] });
    }

    private static bool SlicesCarryTheirDiscriminator(JsonArray elements, string id, JsonArray discriminators)
    {
        var byId = elements.OfType<JsonObject>().ToDictionary(x => x["id"]!.GetValue<string>(), StringComparer.Ordinal);
        var slices = byId.Keys.Where(k => k.StartsWith(id + ":", StringComparison.Ordinal) && !k[(id.Length + 1)..].Contains('.', StringComparison.Ordinal) && !k[(id.Length + 1)..].Contains(':', StringComparison.Ordinal)).ToList();
        foreach (var disc in discriminators.OfType<JsonObject>())
        {
            var type = disc["type"]?.GetValue<string>();
            var path = disc["path"]?.GetValue<string>() ?? string.Empty;
            if (type is not ("value" or "pattern") || path == "url")
            {
                continue;
            }

            foreach (var slice in slices)
            {
                var target = path == "$this" ? slice : slice + "." + path;
                if (!byId.TryGetValue(target, out var t) || !t.Select(kv => kv.Key).Any(k => k.StartsWith("fixed", StringComparison.Ordinal) || k.StartsWith("pattern", StringComparison.Ordinal) || k == "binding"))
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>
    /// (1) Slicings discriminated on <c>url</c> of an element that has no <c>url</c> (Coding <c>meta.tag</c>, string <c>alias</c>)
    /// cannot be compiled: the slicing and its slices are dropped. (2) Extension profiles of the IG's dependencies that are not in
    /// shared/ (FR Core 1.1.0, Annuaire 0.2.0) are unchecked: such extension slices are dropped (all optional), other elements
    /// keep their type without the missing profile. (3) Value slicings whose slices do not fix the discriminated element
    /// (<c>Organization.type</c> on <c>coding.system</c>) are dropped the same way.
    /// </summary>
    private static void Correct(JsonArray elements, HashSet<string> known)
    {
        var dropped = new List<string>();
        var drop = new List<string>();
        foreach (var e in elements.OfType<JsonObject>().ToList())
        {
            var id = e["id"]?.GetValue<string>() ?? string.Empty;
            var types = e["type"] as JsonArray;
            var isExtension = types?.OfType<JsonObject>().Any(t => t["code"]?.GetValue<string>() == "Extension") == true;
            if (e["slicing"]?["discriminator"] is JsonArray d
                && ((!isExtension && d.OfType<JsonObject>().Any(x => x["path"]?.GetValue<string>() == "url")) || !SlicesCarryTheirDiscriminator(elements, id, d)))
            {
                e.Remove("slicing");
                dropped.Add(id + ":");
            }

            foreach (var t in types?.OfType<JsonObject>() ?? [])
            {
                if (t["targetProfile"] is JsonArray targets)
                {
                    foreach (var missingTarget in targets.Where(p => p?.GetValue<string>() is { } u && !known.Contains(u) && !u.StartsWith("http://hl7.org/fhir/", StringComparison.Ordinal)).ToList())
                    {
                        targets.Remove(missingTarget);
                    }

                    if (targets.Count == 0)
                    {
                        t.Remove("targetProfile");
                    }
                }

                if (t["profile"] is JsonArray profiles)
                {
                    var missing = profiles.Select(p => p?.GetValue<string>()).Where(p => p is not null && !known.Contains(p) && !p.StartsWith("http://hl7.org/fhir/", StringComparison.Ordinal)).ToList();
                    if (missing.Count > 0 && isExtension && id.Contains(':', StringComparison.Ordinal))
                    {
                        drop.Add(id);
                    }
                    else if (missing.Count > 0)
                    {
                        t.Remove("profile");
                    }
                }
            }
        }

        foreach (var e in elements.OfType<JsonObject>().ToList())
        {
            var id = e["id"]?.GetValue<string>() ?? string.Empty;
            if (dropped.Any(prefix => id.StartsWith(prefix, StringComparison.Ordinal))
                || drop.Any(x => id == x || id.StartsWith(x + ".", StringComparison.Ordinal) || id.StartsWith(x + ":", StringComparison.Ordinal)))
            {
                elements.Remove(e);
            }
        }
    }
}
