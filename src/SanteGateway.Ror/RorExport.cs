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
/// One resource of an export file as received, read with System.Text.Json only (no FHIR object model): its JSON text, to
/// store as is, and the parsed document, to extract what an index needs. Dispose it once read: the document uses pooled memory.
/// </summary>
public sealed class RorExportRecord : IDisposable
{
    private readonly JsonDocument? _owned;

    internal RorExportRecord(JsonElement root, string resourceType, string json, int line, JsonDocument? owned)
    {
        Root = root;
        ResourceType = resourceType;
        Json = json;
        Line = line;
        _owned = owned;
    }

    /// <summary>The resource's JSON object (valid until the record is disposed).</summary>
    public JsonElement Root { get; }

    /// <summary><c>resourceType</c>.</summary>
    public string ResourceType { get; }

    /// <summary>The resource's JSON text: the NDJSON line as received (a Bundle entry's resource as it stands in the file).</summary>
    public string Json { get; }

    /// <summary>Line of the file where the resource starts (1-based).</summary>
    public int Line { get; }

    /// <inheritdoc />
    public void Dispose() => _owned?.Dispose();
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

    /// <summary>Longest NDJSON line accepted (bytes): a line is one resource, and memory stays bounded whatever the server sends.</summary>
    public const int MaxLineBytes = 16 * 1024 * 1024;

    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 64 };

    /// <summary>
    /// Enumerates the resources of <paramref name="stream"/> as JSON, without building FHIR objects: each NDJSON line is read
    /// as UTF-8 bytes, parsed once with System.Text.Json and kept as text. A file that is one JSON document (a pretty-printed
    /// Bundle, as the national ROR documents) is read whole and its entries' resources are returned. Each record must be
    /// disposed before the next is asked for.
    /// </summary>
    /// <param name="stream">The file content.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    /// <returns>The resources in file order.</returns>
    /// <exception cref="RorException">A line is not a JSON object with a <c>resourceType</c>, or is longer than <see cref="MaxLineBytes"/> (the message gives its number).</exception>
    public static async IAsyncEnumerable<RorExportRecord> ReadRecordsAsync(Stream stream, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var lines = new Utf8LineReader(stream);
        var number = 0;
        var first = true;
        while (await lines.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            number++;
            var (blank, doc, text) = ParseLine(line, stripBom: number == 1);
            if (blank)
            {
                continue;
            }

            if (doc is null)
            {
                if (!first)
                {
                    throw new RorException($"Export file: line {number} is not a FHIR resource (not one JSON object).");
                }

                // Not one resource per line: the whole file is one JSON document (a pretty-printed Bundle).
                var whole = await lines.ReadRestAsync(number == 1 && line.Span.StartsWith("\uFEFF"u8) ? line[3..] : line, cancellationToken).ConfigureAwait(false);
                foreach (var r in WholeDocument(whole))
                {
                    yield return r;
                }

                yield break;
            }

            first = false;
            foreach (var r in Records(doc, text, number, own: true))
            {
                yield return r;
            }
        }
    }

    /// <summary>One line: blank, or parsed (the document and the text), or not one JSON value (no document).</summary>
    private static (bool Blank, JsonDocument? Doc, string? Text) ParseLine(ReadOnlyMemory<byte> line, bool stripBom)
    {
        var bytes = Trim(line.Span, stripBom);
        if (bytes.IsEmpty)
        {
            return (true, null, null);
        }

        var doc = TryParseLine(bytes);
        return (false, doc, doc is null ? null : Encoding.UTF8.GetString(bytes));
    }

    private static ReadOnlySpan<byte> Trim(ReadOnlySpan<byte> line, bool first)
    {
        if (first && line.StartsWith("\uFEFF"u8))
        {
            line = line[3..];
        }

        return line.Trim(" \t\r"u8);
    }

    private static JsonDocument? TryParseLine(ReadOnlySpan<byte> bytes)
    {
        try
        {
            var reader = new Utf8JsonReader(bytes, ReaderOptions);
            // ParseValue copies the bytes: the line buffer is reused for the next line.
            var doc = JsonDocument.ParseValue(ref reader);
            if (reader.BytesConsumed != bytes.Length)
            {
                doc.Dispose();
                return null;
            }

            return doc;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static IEnumerable<RorExportRecord> WholeDocument(byte[] whole)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(whole, new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException ex)
        {
            throw new RorException($"Export file: line {(ex.LineNumber ?? 0) + 1} is not a FHIR resource.", ex);
        }

        using (doc)
        {
            // Entries are cloned so that each record outlives the file's document.
            foreach (var r in Records(doc, null, 1, own: false))
            {
                yield return r;
            }
        }
    }

    /// <summary>The resource of a parsed line, or the resources of a Bundle (collection or searchset) it holds.</summary>
    private static IEnumerable<RorExportRecord> Records(JsonDocument doc, string? text, int line, bool own)
    {
        var root = doc.RootElement;
        var type = ResourceTypeOf(root);
        if (type is null)
        {
            doc.Dispose();
            throw new RorException($"Export file: line {line} is not a FHIR resource (no resourceType).");
        }

        if (type == "Bundle" && root.TryGetProperty("type", out var bt) && bt.ValueKind == JsonValueKind.String && (bt.ValueEquals("collection"u8) || bt.ValueEquals("searchset"u8)))
        {
            var entries = new List<RorExportRecord>();
            if (root.TryGetProperty("entry", out var es) && es.ValueKind == JsonValueKind.Array)
            {
                foreach (var e in es.EnumerateArray())
                {
                    if (e.ValueKind == JsonValueKind.Object && e.TryGetProperty("resource", out var r) && ResourceTypeOf(r) is { } t && t != "OperationOutcome")
                    {
                        var clone = r.Clone();
                        entries.Add(new RorExportRecord(clone, t, clone.GetRawText(), line, null));
                    }
                }
            }

            doc.Dispose();
            return entries;
        }

        if (own)
        {
            return [new RorExportRecord(root, type, text ?? root.GetRawText(), line, doc)];
        }

        var copy = root.Clone();
        return [new RorExportRecord(copy, type, text ?? copy.GetRawText(), line, null)];
    }

    private static string? ResourceTypeOf(JsonElement e) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty("resourceType", out var t) && t.ValueKind == JsonValueKind.String && t.GetString() is { Length: > 0 } s ? s : null;

    /// <summary>Splits a stream into lines of UTF-8 bytes over one reused buffer (a line is valid until the next read).</summary>
    private sealed class Utf8LineReader(Stream stream)
    {
        private byte[] _buffer = new byte[1 << 16];
        private int _start;
        private int _end;
        private bool _eof;

        public async ValueTask<ReadOnlyMemory<byte>?> ReadLineAsync(CancellationToken ct)
        {
            var scanned = 0;
            while (true)
            {
                var i = _buffer.AsSpan(_start + scanned, _end - _start - scanned).IndexOf((byte)'\n');
                if (i >= 0)
                {
                    var line = new ReadOnlyMemory<byte>(_buffer, _start, scanned + i);
                    _start += scanned + i + 1;
                    return line;
                }

                scanned = _end - _start;
                if (_eof)
                {
                    if (scanned == 0)
                    {
                        return null;
                    }

                    var last = new ReadOnlyMemory<byte>(_buffer, _start, scanned);
                    _start = _end;
                    return last;
                }

                if (scanned > MaxLineBytes)
                {
                    throw new RorException($"Export file: a line is longer than {MaxLineBytes} bytes.");
                }

                await FillAsync(ct).ConfigureAwait(false);
            }
        }

        /// <summary>The given (last returned) line and everything after it.</summary>
        public async Task<byte[]> ReadRestAsync(ReadOnlyMemory<byte> line, CancellationToken ct)
        {
            using var all = new MemoryStream();
            all.Write(line.Span);
            all.WriteByte((byte)'\n');
            all.Write(_buffer, _start, _end - _start);
            _start = _end;
            await stream.CopyToAsync(all, ct).ConfigureAwait(false);
            return all.ToArray();
        }

        private async ValueTask FillAsync(CancellationToken ct)
        {
            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }

            if (_end == _buffer.Length)
            {
                Array.Resize(ref _buffer, _buffer.Length * 2);
            }

            var n = await stream.ReadAsync(_buffer.AsMemory(_end), ct).ConfigureAwait(false);
            if (n == 0)
            {
                _eof = true;
            }

            _end += n;
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
