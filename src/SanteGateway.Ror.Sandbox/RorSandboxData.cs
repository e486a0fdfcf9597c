using System.Reflection;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace SanteGateway.Ror.Sandbox;

/// <summary>
/// The sandbox's resources, in memory: the five main resources by type and id, in insertion order. Every write sets
/// <c>meta.lastUpdated</c> and bumps <c>meta.versionId</c>. Thread-safe (one lock; reads return the stored objects, which
/// callers must copy before changing).
/// </summary>
public sealed class RorSandboxData
{
    private static readonly string[] Types = ["Organization", "HealthcareService", "Location", "Practitioner", "PractitionerRole"];
    private readonly Dictionary<string, Dictionary<string, Resource>> _byType = Types.ToDictionary(t => t, _ => new Dictionary<string, Resource>(StringComparer.Ordinal), StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> _order = Types.ToDictionary(t => t, _ => new List<string>(), StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly TimeProvider _time;

    /// <summary>Creates an empty store.</summary>
    /// <param name="time">Clock for <c>meta.lastUpdated</c>.</param>
    public RorSandboxData(TimeProvider? time = null) => _time = time ?? TimeProvider.System;

    /// <summary>The five resource types served.</summary>
    public static IReadOnlyList<string> ResourceTypes => Types;

    /// <summary>Resources held.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _byType.Values.Sum(d => d.Count);
            }
        }
    }

    /// <summary>Resources of one type, in insertion order (a snapshot list).</summary>
    /// <param name="type">Resource type.</param>
    /// <returns>The resources.</returns>
    public IReadOnlyList<Resource> All(string type)
    {
        lock (_lock)
        {
            if (!_byType.TryGetValue(type, out var map))
            {
                return [];
            }

            var order = _order[type];
            var list = new List<Resource>(map.Count);
            foreach (var id in order)
            {
                if (map.TryGetValue(id, out var r))
                {
                    list.Add(r);
                }
            }

            return list;
        }
    }

    /// <summary>One resource, or null.</summary>
    /// <param name="type">Type.</param>
    /// <param name="id">Id.</param>
    /// <returns>The stored resource.</returns>
    public Resource? Get(string type, string id)
    {
        lock (_lock)
        {
            return _byType.TryGetValue(type, out var map) && map.TryGetValue(id, out var r) ? r : null;
        }
    }

    /// <summary>Resolves a relative reference (<c>Type/id</c>).</summary>
    /// <param name="reference">The reference.</param>
    /// <returns>The resource or null.</returns>
    public Resource? Resolve(ResourceReference? reference)
    {
        if (reference?.Reference is not { } text)
        {
            return null;
        }

        var parts = text.Split('/');
        return parts.Length >= 2 ? Get(parts[^2], parts[^1]) : null;
    }

    /// <summary>Adds or replaces a resource as it is (seed: keeps its <c>meta.lastUpdated</c>, or sets it when absent).</summary>
    /// <param name="resource">The resource (with an id).</param>
    public void Seed(Resource resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        resource.Meta ??= new Meta();
        resource.Meta.LastUpdated ??= _time.GetUtcNow();
        resource.Meta.VersionId ??= "1";
        Store(resource);
    }

    /// <summary>Stores a changed resource: sets <c>meta.lastUpdated</c> to now and bumps the version (the region tag is kept).</summary>
    /// <param name="resource">The resource.</param>
    public void Touch(Resource resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        resource.Meta ??= new Meta();
        resource.Meta.LastUpdated = _time.GetUtcNow();
        resource.Meta.VersionId = (int.TryParse(resource.Meta.VersionId, out var v) ? v + 1 : 2).ToString(System.Globalization.CultureInfo.InvariantCulture);
        Store(resource);
    }

    /// <summary>Removes a resource (a hard deletion, which the ROR reveals only through full resynchronisation).</summary>
    /// <param name="type">Type.</param>
    /// <param name="id">Id.</param>
    /// <returns>True when it existed.</returns>
    public bool Remove(string type, string id)
    {
        lock (_lock)
        {
            if (_byType.TryGetValue(type, out var map) && map.Remove(id))
            {
                _order[type].Remove(id);
                return true;
            }

            return false;
        }
    }

    /// <summary>Loads the embedded IG examples and rewires their dangling references into one graph (see Data/README.md).</summary>
    public void LoadExamples()
    {
        var parser = new FhirJsonDeserializer(new DeserializerSettings { Validator = null });
        var assembly = typeof(RorSandboxData).Assembly;
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.EndsWith(".json", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var reader = new StreamReader(stream);
            var resource = parser.DeserializeResource(reader.ReadToEnd());
            switch (resource)
            {
                case Organization { Id: "ror-organisation-exemple-eg" } eg:
                    eg.PartOf = new ResourceReference("Organization/ror-organization-exemple-ej");
                    Tag(eg, "11");
                    break;
                case Organization ej:
                    Tag(ej, "11");
                    break;
                case HealthcareService hs:
                    hs.ProvidedBy = new ResourceReference("Organization/ror-organisation-exemple-eg");
                    hs.Location = [new ResourceReference("Location/ror-location-exemple")];
                    break;
                case Location loc:
                    loc.ManagingOrganization = new ResourceReference("Organization/ror-organisation-exemple-eg");
                    Tag(loc, "11");
                    break;
                case PractitionerRole role:
                    role.Practitioner = new ResourceReference("Practitioner/ror-practitioner-exemple");
                    role.HealthcareService = [new ResourceReference("HealthcareService/1234564")];
                    Tag(role, "11");
                    break;
                case Practitioner p:
                    Tag(p, "11");
                    break;
            }

            Seed(resource);
        }
    }

    private static void Tag(Resource r, string region)
    {
        r.Meta ??= new Meta();
        if (!r.Meta.Tag.Any(t => t.System == Ror.RorConstants.RegionSystem))
        {
            r.Meta.Tag.Add(new Coding(Ror.RorConstants.RegionSystem, region));
        }
    }

    private void Store(Resource resource)
    {
        var type = resource.TypeName;
        if (string.IsNullOrEmpty(resource.Id))
        {
            throw new ArgumentException("The resource has no id.", nameof(resource));
        }

        lock (_lock)
        {
            if (!_byType.TryGetValue(type, out var map))
            {
                throw new ArgumentException($"The sandbox does not hold {type} resources.", nameof(resource));
            }

            if (!map.ContainsKey(resource.Id))
            {
                _order[type].Add(resource.Id);
            }

            map[resource.Id] = resource;
        }
    }

    internal static Assembly Assembly => typeof(RorSandboxData).Assembly;
}
