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

    private static IEnumerable<CsvRow> Read(IEnumerator<(int Line, byte[] Bytes)> lines, IReadOnlyList<string> display, out IReadOnlyList<string> header, out string? error)
    {
        var known = display.Select(c => c.ToLowerInvariant()).ToList();
        header = [];
        error = null;
        if (!lines.MoveNext() || lines.Current.Bytes.Length == 0)
        {
            error = "The file is empty: line 1 must be the header (localId and the trait or INS columns).";
            return [];
        }

        if (!TryDecode(lines.Current.Bytes, out var head))
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

    private static IEnumerable<CsvRow> Rows(IEnumerator<(int Line, byte[] Bytes)> lines, List<string> cols, char sep)
    {
        while (lines.MoveNext())
        {
            var (line, bytes) = lines.Current;
            if (!TryDecode(bytes, out var text))
            {
                yield return new CsvRow(line, new Dictionary<string, string>(), ("csv.encoding", "The line is not valid UTF-8."));
                continue;
            }

            if (string.IsNullOrWhiteSpace(text))
            {
                continue;
            }

            if (!TrySplit(text, sep, out var values, out var why))
            {
                yield return new CsvRow(line, new Dictionary<string, string>(), ("csv.quote", why));
                continue;
            }

            var fields = new Dictionary<string, string>(StringComparer.Ordinal);
            for (var i = 0; i < Math.Min(cols.Count, values.Count); i++)
            {
                var v = values[i].Trim();
                if (v.Length > 0)
                {
                    fields[cols[i]] = v;
                }
            }

            // A row with the wrong field count keeps what it has (its localId for the report) but is refused.
            yield return values.Count != cols.Count
                ? new CsvRow(line, fields, ("csv.columns", $"{values.Count} field(s) where the header has {cols.Count}."))
                : new CsvRow(line, fields, null);
        }
    }

    private static bool TryDecode(byte[] bytes, out string text)
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

    private static IEnumerable<(int Line, byte[] Bytes)> SplitLines(Stream content)
    {
        // Same splitting as for a byte array (BOM, \n or \r\n), over a buffered stream.
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

            for (var i = start; i < n; i++)
            {
                if (buffer[i] != (byte)'\n')
                {
                    continue;
                }

                pending.Write(buffer, start, i - start);
                var bytes = pending.ToArray();
                pending.SetLength(0);
                yield return (line++, bytes.Length > 0 && bytes[^1] == (byte)'\r' ? bytes[..^1] : bytes);
                start = i + 1;
            }

            pending.Write(buffer, start, n - start);
        }

        if (pending.Length > 0)
        {
            var bytes = pending.ToArray();
            yield return (line, bytes[^1] == (byte)'\r' ? bytes[..^1] : bytes);
        }
    }

    private static IEnumerable<(int Line, byte[] Bytes)> SplitLines(byte[] content)
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
                    yield return (line, content[start..end]);
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
