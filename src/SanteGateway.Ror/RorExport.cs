using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace SanteGateway.Ror;

/// <summary>An $export kick-off.</summary>
public sealed record RorExportRequest
{
    /// <summary><c>_type</c>: resource types to export (the ROR always adds the associated resources).</summary>
    public IReadOnlyList<string> Types { get; init; } = ["HealthcareService"];

    /// <summary><c>_typeFilter</c> values, e.g. <c>HealthcareService?_tag=…|27</c>.</summary>
    public IReadOnlyList<string> TypeFilters { get; init; } = [];

    /// <summary><c>_since</c> (support by the national ROR is UNCONFIRMED).</summary>
    public DateTimeOffset? Since { get; init; }

    /// <summary><c>_outputFormat</c>; the ROR accepts <c>application/fhir+json</c> or <c>application/json</c>, not ndjson.</summary>
    public string OutputFormat { get; init; } = "application/fhir+json";

    /// <summary>Adds <c>includeAssociatedData=_myCompleteExtract</c> (the ROR exports the associated set anyway).</summary>
    public bool IncludeAssociatedData { get; init; } = true;

    internal string ToQueryString()
    {
        var parts = new List<string> { "_outputFormat=" + Uri.EscapeDataString(OutputFormat) };
        if (Types.Count > 0)
        {
            parts.Add("_type=" + Uri.EscapeDataString(string.Join(',', Types)));
        }

        parts.AddRange(TypeFilters.Select(f => "_typeFilter=" + Uri.EscapeDataString(f)));
        if (Since is { } since)
        {
            parts.Add("_since=" + Uri.EscapeDataString(RorSearch.Instant(since)));
        }

        if (IncludeAssociatedData)
        {
            parts.Add("includeAssociatedData=_myCompleteExtract");
        }

        return string.Join('&', parts);
    }
}

/// <summary>A running $export job: the status URL the kick-off returned in <c>Content-Location</c>.</summary>
/// <param name="StatusUri">The poll URL (followed as an opaque URL).</param>
public sealed record RorExportJob(Uri StatusUri);

/// <summary>One output file of a finished export.</summary>
/// <param name="Type">Resource type in the file.</param>
/// <param name="Url">Download URL.</param>
/// <param name="Count">Resources in the file, when the server says.</param>
public sealed record RorExportFile(string Type, Uri Url, long? Count);

/// <summary>The manifest of a finished export.</summary>
/// <param name="TransactionTime">The server's snapshot time: deltas continue from it.</param>
/// <param name="Files">Output files.</param>
/// <param name="RequiresAccessToken">Files need the bearer token.</param>
public sealed record RorExportManifest(DateTimeOffset TransactionTime, IReadOnlyList<RorExportFile> Files, bool RequiresAccessToken);

/// <summary>One poll's answer.</summary>
/// <param name="Manifest">Set when the export is complete.</param>
/// <param name="Progress">The server's <c>X-Progress</c> text while running.</param>
/// <param name="RetryAfter">The server's <c>Retry-After</c>, when given.</param>
public sealed record RorExportStatus(RorExportManifest? Manifest, string? Progress, TimeSpan? RetryAfter)
{
    /// <summary>True when the manifest is there.</summary>
    public bool IsComplete => Manifest is not null;
}

/// <summary>One resource of an export file and its JSON text.</summary>
public sealed class RorExportEntry
{
    /// <summary>Creates an entry.</summary>
    /// <param name="resource">The parsed resource.</param>
    /// <param name="json">Its JSON text.</param>
    public RorExportEntry(Resource resource, string json)
    {
        Resource = resource;
        Json = json;
    }

    /// <summary>The parsed resource.</summary>
    public Resource Resource { get; }

    /// <summary>Its JSON text, as received when the file is NDJSON.</summary>
    public string Json { get; }
}

/// <summary>
/// Reads an export file as a stream of resources: NDJSON (one resource per line, the Bulk Data format) or, as the national
/// ROR is documented to return, a single JSON Bundle whose entries are the resources. Never holds more than one line
/// (NDJSON) in memory; a Bundle file is read whole.
/// </summary>
public static class RorExportReader
{
    private static readonly FhirJsonDeserializer Deserializer = new(new DeserializerSettings { Validator = null });

    private static readonly FhirJsonSerializer Serializer = new();

    /// <summary>Enumerates the resources of <paramref name="stream"/>.</summary>
    /// <param name="stream">The file content.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    /// <returns>The resources in file order.</returns>
    /// <exception cref="RorException">A line is not a FHIR resource (the message gives its number).</exception>
    public static async IAsyncEnumerable<Resource> ReadAsync(Stream stream, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var entry in ReadEntriesAsync(stream, cancellationToken).ConfigureAwait(false))
        {
            yield return entry.Resource;
        }
    }

    /// <summary>
    /// Enumerates the resources of <paramref name="stream"/> with their JSON as the server wrote it (an NDJSON line is kept
    /// as is, so a mirror stores what it received without serialising it again; a Bundle entry is serialised).
    /// </summary>
    /// <param name="stream">The file content.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    /// <returns>The resources in file order.</returns>
    /// <exception cref="RorException">A line is not a FHIR resource (the message gives its number).</exception>
    public static async IAsyncEnumerable<RorExportEntry> ReadEntriesAsync(Stream stream, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16, leaveOpen: true);
        var first = await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false);
        while (first is not null && first.Trim().Length == 0)
        {
            first = await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false);
        }

        if (first is null)
        {
            yield break;
        }

        var firstResource = TryParse(first);
        if (firstResource is null)
        {
            // Not one resource per line: the whole file is one JSON document (a pretty-printed Bundle).
            var rest = await reader.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
            var whole = Parse(first + "\n" + rest, 1);
            foreach (var r in Unwrap(whole))
            {
                yield return new RorExportEntry(r, ReferenceEquals(r, whole) ? first + "\n" + rest : Serializer.SerializeToString(r));
            }

            yield break;
        }

        foreach (var e in Entries(firstResource, first))
        {
            yield return e;
        }

        var number = 1;
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            number++;
            if (line.Length == 0 || string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            foreach (var e in Entries(Parse(line, number), line))
            {
                yield return e;
            }
        }
    }

    private static IEnumerable<RorExportEntry> Entries(Resource resource, string line) =>
        Unwrap(resource).Select(r => new RorExportEntry(r, ReferenceEquals(r, resource) ? line : Serializer.SerializeToString(r)));

    private static IEnumerable<Resource> Unwrap(Resource resource) =>
        resource is Bundle { Type: Bundle.BundleType.Collection or Bundle.BundleType.Searchset } bundle
            ? bundle.Entry.Select(e => e.Resource).OfType<Resource>().Where(r => r is not OperationOutcome)
            : [resource];

    private static Resource? TryParse(string line)
    {
        try
        {
            var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(line), new JsonReaderOptions { MaxDepth = 64 });
            Deserializer.TryDeserializeResource(ref reader, out var resource, out _);
            return resource;
        }
        catch (Exception ex) when (ex is JsonException or DeserializationFailedException or FormatException)
        {
            return null;
        }
    }

    private static Resource Parse(string text, int line) =>
        TryParse(text) ?? throw new RorException($"Export file: line {line} is not a FHIR resource.");
}
