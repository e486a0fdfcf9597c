using System.Collections.Concurrent;
using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Hl7.Fhir.Specification.Source;
using Task = System.Threading.Tasks.Task;

namespace SanteGateway.Interop.Fhir.Validation;

/// <summary>
/// Conformance resources (StructureDefinition, ValueSet, CodeSystem…) read from IG folders and FHIR packages
/// (<c>package.tgz</c>) at run time, so the official profiles are not copied into the repository.
/// </summary>
/// <remarks>
/// <para>Each path is a folder (its <c>*.json</c> and <c>*.tgz</c> files, not recursive) or a single <c>.tgz</c>/<c>.json</c> file.
/// Files are indexed once (resource type, <c>url</c>, <c>version</c>); a resource is parsed into a POCO the first time it is
/// asked for and kept. The first path that defines a canonical wins the unversioned lookup, so list the preferred IG version first
/// (e.g. FR Core 2.2.0 before the 2.1.0 package PDSm depends on); <c>url|version</c> lookups are exact.</para>
/// <para>Thread-safe once built.</para>
/// </remarks>
public sealed class FhirDefinitionSource : IAsyncResourceResolver
{
    private static readonly HashSet<string> ConformanceTypes = new(StringComparer.Ordinal)
    {
        "StructureDefinition", "ValueSet", "CodeSystem", "ConceptMap", "NamingSystem", "SearchParameter",
        "CapabilityStatement", "OperationDefinition", "ImplementationGuide",
    };

    private readonly Dictionary<string, Entry> _byCanonical = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Entry, Resource?> _parsed = new();
    private readonly FhirJsonDeserializer _deserializer = new(new DeserializerSettings().UsingMode(DeserializationMode.Recoverable, null));

    /// <summary>Indexes the conformance resources of the given folders and package files.</summary>
    /// <param name="paths">Folders, <c>.tgz</c> packages or <c>.json</c> files, in priority order.</param>
    /// <exception cref="DirectoryNotFoundException">A path does not exist.</exception>
    public FhirDefinitionSource(IEnumerable<string> paths)
        : this([], paths)
    {
    }

    /// <summary>Indexes conformance resources given as JSON texts (first, so they win), then those of the given folders and package files.</summary>
    /// <param name="resources">Conformance resources as JSON (e.g. corrected copies made in memory, see <see cref="RorProfileSet"/>).</param>
    /// <param name="paths">Folders, <c>.tgz</c> packages or <c>.json</c> files, in priority order.</param>
    /// <exception cref="DirectoryNotFoundException">A path does not exist.</exception>
    public FhirDefinitionSource(IEnumerable<string> resources, IEnumerable<string> paths)
    {
        ArgumentNullException.ThrowIfNull(resources);
        ArgumentNullException.ThrowIfNull(paths);
        foreach (var json in resources)
        {
            Index(json);
        }

        foreach (var path in paths)
        {
            if (Directory.Exists(path))
            {
                foreach (var file in Directory.EnumerateFiles(path).Order(StringComparer.Ordinal))
                {
                    AddFile(file);
                }
            }
            else if (File.Exists(path))
            {
                AddFile(path);
            }
            else
            {
                throw new DirectoryNotFoundException($"FHIR definition path not found: {path}");
            }
        }
    }

    /// <summary>How many distinct canonical keys (with and without version) were indexed.</summary>
    public int Count => _byCanonical.Count;

    /// <summary>The indexed canonical URLs (unversioned), for diagnostics.</summary>
    public IEnumerable<string> Canonicals => _byCanonical.Keys.Where(k => !k.Contains('|', StringComparison.Ordinal));

    /// <summary>Resolves a canonical URL, with an optional <c>|version</c>.</summary>
    /// <param name="uri">The canonical.</param>
    /// <returns>The resource or null.</returns>
    public Resource? ResolveByCanonicalUri(string uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        return _byCanonical.TryGetValue(uri, out var entry) ? Parse(entry) : null;
    }

    /// <inheritdoc/>
    public System.Threading.Tasks.Task<Resource?> ResolveByCanonicalUriAsync(string uri) => Task.FromResult(ResolveByCanonicalUri(uri));

    /// <inheritdoc/>
    public System.Threading.Tasks.Task<Resource?> ResolveByUriAsync(string uri) => Task.FromResult(ResolveByCanonicalUri(uri));

    /// <inheritdoc/>
    public System.Threading.Tasks.Task<ResolverResult> TryResolveByUriAsync(string uri) => TryResolveByCanonicalUriAsync(uri);

    /// <inheritdoc/>
    public System.Threading.Tasks.Task<ResolverResult> TryResolveByCanonicalUriAsync(string uri)
    {
        var r = ResolveByCanonicalUri(uri);
        return Task.FromResult(r is not null
            ? new ResolverResult(r)
            : new ResolverResult(ResolverException.NotFound()));
    }

    private Resource? Parse(Entry entry) => _parsed.GetOrAdd(entry, e =>
    {
        try
        {
            return _deserializer.DeserializeResource(e.Json);
        }
        catch (DeserializationFailedException ex)
        {
            // Recoverable mode still throws with the partial result when some elements were wrong: keep what was read.
            return ex.PartialResult as Resource;
        }
    });

    private void AddFile(string file)
    {
        if (file.EndsWith(".tgz", StringComparison.OrdinalIgnoreCase) || file.EndsWith(".tar.gz", StringComparison.OrdinalIgnoreCase))
        {
            using var gz = new GZipStream(File.OpenRead(file), CompressionMode.Decompress);
            using var tar = new TarReader(gz);
            while (tar.GetNextEntry() is { } te)
            {
                // Only the package's own resources: not examples, not other/ or openapi/ folders.
                if (te.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile
                    && te.DataStream is not null
                    && te.Name.StartsWith("package/", StringComparison.Ordinal)
                    && te.Name.Count(c => c == '/') == 1
                    && te.Name.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
                {
                    using var reader = new StreamReader(te.DataStream);
                    Index(reader.ReadToEnd());
                }
            }
        }
        else if (file.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
        {
            Index(File.ReadAllText(file));
        }
    }

    private void Index(string json)
    {
        string? type;
        string? url;
        string? version;
        try
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return;
            }

            type = root.TryGetProperty("resourceType", out var t) ? t.GetString() : null;
            url = root.TryGetProperty("url", out var u) && u.ValueKind == JsonValueKind.String ? u.GetString() : null;
            version = root.TryGetProperty("version", out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        }
        catch (JsonException)
        {
            return; // package.json, .index.json and other non-resource files
        }

        if (type is null || url is null || !ConformanceTypes.Contains(type))
        {
            return;
        }

        var entry = new Entry(json);
        _byCanonical.TryAdd(url, entry);
        if (version is not null)
        {
            _byCanonical.TryAdd(url + "|" + version, entry);
        }
    }

    private sealed class Entry(string json)
    {
        public string Json { get; } = json;
    }
}
