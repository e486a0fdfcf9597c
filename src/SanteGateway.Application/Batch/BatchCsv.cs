using System.Collections;
using System.Text;

namespace SanteGateway.Application.Batch;

/// <summary>One data row of a batch CSV, or why it was refused.</summary>
/// <param name="Line">1-based line number in the file (the header is line 1).</param>
/// <param name="Fields">Values by lower-cased header name (empty cells left out).</param>
/// <param name="Error">Rule and reason when the row cannot be read.</param>
public sealed record CsvRow(int Line, IReadOnlyDictionary<string, string> Fields, (string Rule, string Reason)? Error);

/// <summary>
/// The batch CSV dialect: UTF-8 (a BOM is allowed), first line = header names (case-insensitive), separator <c>;</c> or
/// <c>,</c> detected on the header (the one that occurs more), fields optionally in double quotes (<c>""</c> inside
/// quotes is one quote; a quoted field cannot span lines), blank lines ignored. Bad rows are returned with their line
/// number and reason; they never stop the file.
/// </summary>
public static class BatchCsv
{
    /// <summary>Known columns.</summary>
    public static readonly IReadOnlyList<string> Columns = ["localid", "ins", "insoid", "birthname", "birthfirstnames", "firstfirstname", "sex", "birthdate", "birthplacecog"];

    /// <summary>Reads a file.</summary>
    /// <param name="content">Raw bytes.</param>
    /// <param name="header">The header names, lower-cased.</param>
    /// <param name="error">Why the whole file is refused (no header, no localId column, unknown column).</param>
    /// <returns>The rows (lazily).</returns>
    public static IEnumerable<CsvRow> Read(byte[] content, out IReadOnlyList<string> header, out string? error)
    {
        ArgumentNullException.ThrowIfNull(content);
        return Read(SplitLines(content).GetEnumerator(), Display, out header, out error);
    }

    /// <summary>Reads a stream line by line (files larger than memory), with another set of known columns.</summary>
    /// <param name="content">The file.</param>
    /// <param name="columns">Known column names as documented (case-insensitive; must include localId).</param>
    /// <param name="header">The header names, lower-cased.</param>
    /// <param name="error">Why the whole file is refused.</param>
    /// <returns>The rows (lazily, reading the stream).</returns>
    public static IEnumerable<CsvRow> Read(Stream content, IReadOnlyList<string> columns, out IReadOnlyList<string> header, out string? error)
    {
        ArgumentNullException.ThrowIfNull(content);
        return Read(SplitLines(content).GetEnumerator(), columns, out header, out error);
    }

    private static readonly string[] Display = ["localId", "ins", "insOid", "birthName", "birthFirstNames", "firstFirstName", "sex", "birthDate", "birthPlaceCog"];

    private static IEnumerable<CsvRow> Read(IEnumerator<(int Line, ReadOnlyMemory<byte> Bytes)> lines, IReadOnlyList<string> display, out IReadOnlyList<string> header, out string? error)
    {
        var known = display.Select(c => c.ToLowerInvariant()).ToList();
        header = [];
        error = null;
        if (!lines.MoveNext() || lines.Current.Bytes.Length == 0)
        {
            error = "The file is empty: line 1 must be the header (localId and the trait or INS columns).";
            return [];
        }

        if (!TryDecode(lines.Current.Bytes.Span, out var head))
        {
            error = "Line 1 is not valid UTF-8.";
            return [];
        }

        var sep = head.Count(c => c == ';') >= head.Count(c => c == ',') ? ';' : ',';
        if (!TrySplit(head, sep, out var names, out var why))
        {
            error = "Line 1: " + why;
            return [];
        }

        var cols = names.Select(n => n.Trim().ToLowerInvariant()).ToList();
        var unknown = cols.Where(c => !known.Contains(c)).ToList();
        if (unknown.Count > 0)
        {
            error = $"Line 1: unknown column(s) {string.Join(", ", unknown)}; known: {string.Join(", ", display)}.";
            return [];
        }

        if (!cols.Contains("localid"))
        {
            error = "Line 1: the localId column is required.";
            return [];
        }

        if (cols.Distinct(StringComparer.Ordinal).Count() != cols.Count)
        {
            error = "Line 1: a column is named twice.";
            return [];
        }

        header = cols;
        return Rows(lines, cols, sep);
    }

    private static IEnumerable<CsvRow> Rows(IEnumerator<(int Line, ReadOnlyMemory<byte> Bytes)> lines, List<string> cols, char sep)
    {
        var columns = cols.Select(c => string.IsInterned(c) ?? c).ToArray(); // the callers' literal names match by reference
        while (lines.MoveNext())
        {
            var (line, bytes) = lines.Current;
            if (!TryDecode(bytes.Span, out var text))
            {
                yield return new CsvRow(line, new Dictionary<string, string>(), ("csv.encoding", "The line is not valid UTF-8."));
                continue;
            }

            if (string.IsNullOrWhiteSpace(text))
            {
                continue;
            }

            // One array of values per row, read through the shared header (CsvFields): a dictionary per row was the
            // largest object of a row in flight in an import of millions of rows.
            var values = new string?[columns.Length];
            string? why = null;
            var count = text.Contains('"', StringComparison.Ordinal) ? SplitQuoted(text, sep, values, out why) : SplitPlain(text, sep, values);
            if (count < 0)
            {
                yield return new CsvRow(line, new Dictionary<string, string>(), ("csv.quote", why!));
                continue;
            }

            var fields = new CsvFields(columns, values);

            // A row with the wrong field count keeps what it has (its localId for the report) but is refused.
            yield return count != columns.Length
                ? new CsvRow(line, fields, ("csv.columns", $"{count} field(s) where the header has {columns.Length}."))
                : new CsvRow(line, fields, null);
        }
    }

    /// <summary>
    /// Splits a line without quotes: each field trimmed, empty ones left null, those past the header's count dropped.
    /// Returns the number of fields.
    /// </summary>
    private static int SplitPlain(string line, char sep, string?[] values)
    {
        var rest = line.AsSpan();
        var n = 0;
        while (true)
        {
            var end = rest.IndexOf(sep);
            var field = (end < 0 ? rest : rest[..end]).Trim();
            if (n < values.Length && field.Length > 0)
            {
                values[n] = field.Length == line.Length ? line : new string(field);
            }

            n++;
            if (end < 0)
            {
                return n;
            }

            rest = rest[(end + 1)..];
        }
    }

    /// <summary>The general case (<see cref="TrySplit"/>), into the same array; -1 with the reason when a quote is wrong.</summary>
    private static int SplitQuoted(string line, char sep, string?[] values, out string? error)
    {
        if (!TrySplit(line, sep, out var split, out var why))
        {
            error = why;
            return -1;
        }

        error = null;
        for (var i = 0; i < Math.Min(values.Length, split.Count); i++)
        {
            var v = split[i].Trim();
            if (v.Length > 0)
            {
                values[i] = v;
            }
        }

        return split.Count;
    }

    private static bool TryDecode(ReadOnlySpan<byte> bytes, out string text)
    {
        try
        {
            text = Strict.GetString(bytes);
            return true;
        }
        catch (DecoderFallbackException)
        {
            text = "";
            return false;
        }
    }

    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static IEnumerable<(int Line, ReadOnlyMemory<byte> Bytes)> SplitLines(Stream content)
    {
        // Same splitting as for a byte array (BOM, \n or \r\n), over a buffered stream. A line is handed out as a slice of
        // the buffer (valid until the next line is asked for: the reader decodes it at once); only a line that straddles
        // two reads is copied.
        var buffer = new byte[1 << 16];
        var pending = new MemoryStream();
        var line = 1;
        var first = true;
        int n;
        while ((n = content.Read(buffer, 0, buffer.Length)) > 0)
        {
            var start = 0;
            if (first)
            {
                first = false;
                if (n >= 3 && buffer[0] == 0xEF && buffer[1] == 0xBB && buffer[2] == 0xBF)
                {
                    start = 3;
                }
            }

            while (start < n)
            {
                var at = Array.IndexOf(buffer, (byte)'\n', start, n - start);
                if (at < 0)
                {
                    break;
                }

                ReadOnlyMemory<byte> bytes;
                if (pending.Length > 0)
                {
                    pending.Write(buffer, start, at - start);
                    bytes = pending.ToArray();
                    pending.SetLength(0);
                }
                else
                {
                    bytes = buffer.AsMemory(start, at - start);
                }

                yield return (line++, bytes.Length > 0 && bytes.Span[^1] == (byte)'\r' ? bytes[..^1] : bytes);
                start = at + 1;
            }

            pending.Write(buffer, start, n - start);
        }

        if (pending.Length > 0)
        {
            ReadOnlyMemory<byte> bytes = pending.ToArray();
            yield return (line, bytes.Span[^1] == (byte)'\r' ? bytes[..^1] : bytes);
        }
    }

    private static IEnumerable<(int Line, ReadOnlyMemory<byte> Bytes)> SplitLines(byte[] content)
    {
        var start = content.Length >= 3 && content[0] == 0xEF && content[1] == 0xBB && content[2] == 0xBF ? 3 : 0;
        var line = 1;
        for (var i = start; i <= content.Length; i++)
        {
            if (i == content.Length || content[i] == (byte)'\n')
            {
                var end = i > start && content[i - 1] == (byte)'\r' ? i - 1 : i;
                if (i < content.Length || end > start)
                {
                    yield return (line, content.AsMemory(start, end - start));
                }

                line++;
                start = i + 1;
            }
        }
    }

    /// <summary>Splits one line on the separator, honouring double quotes.</summary>
    internal static bool TrySplit(string line, char sep, out List<string> values, out string error)
    {
        values = [];
        error = "";
        var sb = new StringBuilder();
        var i = 0;
        while (true)
        {
            sb.Clear();
            if (i < line.Length && line[i] == '"')
            {
                i++;
                while (true)
                {
                    if (i >= line.Length)
                    {
                        error = "A quoted field is not closed.";
                        return false;
                    }

                    if (line[i] == '"')
                    {
                        if (i + 1 < line.Length && line[i + 1] == '"')
                        {
                            sb.Append('"');
                            i += 2;
                            continue;
                        }

                        i++;
                        break;
                    }

                    sb.Append(line[i++]);
                }

                if (i < line.Length && line[i] != sep)
                {
                    error = $"Text after a closing quote at column {i + 1}.";
                    return false;
                }
            }
            else
            {
                while (i < line.Length && line[i] != sep)
                {
                    sb.Append(line[i++]);
                }
            }

            values.Add(sb.ToString());
            if (i >= line.Length)
            {
                return true;
            }

            i++; // separator
        }
    }
}

/// <summary>
/// The fields of one row: the header's names (shared by every row) and this row's values (null for an empty or missing
/// cell, which the dictionary leaves out, as before). Lookups compare at most a dozen names: cheaper than hashing.
/// </summary>
internal sealed class CsvFields(string[] columns, string?[] values) : IReadOnlyDictionary<string, string>
{
    public int Count
    {
        get
        {
            var n = 0;
            foreach (var v in values)
            {
                n += v is null ? 0 : 1;
            }

            return n;
        }
    }

    public IEnumerable<string> Keys => this.Select(kv => kv.Key);

    public IEnumerable<string> Values => this.Select(kv => kv.Value);

    public string this[string key] => TryGetValue(key, out var v) ? v : throw new KeyNotFoundException($"No value for the column '{key}'.");

    public bool ContainsKey(string key) => TryGetValue(key, out _);

    public bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out string value)
    {
        for (var i = 0; i < columns.Length; i++)
        {
            if (ReferenceEquals(columns[i], key) || string.Equals(columns[i], key, StringComparison.Ordinal))
            {
                value = values[i];
                return value is not null;
            }
        }

        value = null;
        return false;
    }

    public IEnumerator<KeyValuePair<string, string>> GetEnumerator()
    {
        for (var i = 0; i < columns.Length; i++)
        {
            if (values[i] is { } v)
            {
                yield return new(columns[i], v);
            }
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
