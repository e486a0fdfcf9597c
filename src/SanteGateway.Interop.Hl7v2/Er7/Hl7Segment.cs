using System.Text;

namespace SanteGateway.Interop.Hl7v2.Er7;

/// <summary>
/// One segment of a message: its encoded text (kept exactly as read), the line terminator that followed it, and 1-based
/// field access. A segment read and written back unchanged gives the same characters.
/// </summary>
/// <remarks>For MSH, field 1 is the field separator itself and field 2 the encoding characters, as in the specification.</remarks>
public sealed class Hl7Segment
{
    private ReadOnlyMemory<char> _text;
    private int[]? _separators;

    internal Hl7Segment(ReadOnlyMemory<char> text, string terminator, Hl7Delimiters delimiters, Encoding encoding)
    {
        _text = text;
        Terminator = terminator;
        Delimiters = delimiters;
        Encoding = encoding;
        Name = text.Length >= 3 ? Intern(text.Span[..3]) : text.ToString();
    }

    /// <summary>The segment identifier (<c>MSH</c>, <c>PID</c>, <c>ZFD</c>…).</summary>
    public string Name { get; }

    /// <summary>The encoded text of the segment, without its terminator.</summary>
    public ReadOnlyMemory<char> Text => _text;

    /// <summary>What followed the segment in the input (<c>\r</c>, <c>\n</c>, <c>\r\n</c>, blank lines, or nothing for the
    /// last segment); written back as is.</summary>
    public string Terminator { get; set; }

    /// <summary>The delimiters of the message.</summary>
    public Hl7Delimiters Delimiters { get; }

    /// <summary>The character set of the message, for <c>\X…\</c> escapes.</summary>
    public Encoding Encoding { get; }

    /// <summary>True for the MSH segment.</summary>
    public bool IsHeader => Name == "MSH";

    /// <summary>The number of the last field present (trailing empty fields count: they are written back).</summary>
    public int FieldCount
    {
        get
        {
            var seps = Separators();
            return IsHeader ? seps.Length : seps.Length;
        }
    }

    /// <summary>Field <paramref name="n"/> (1-based); empty when absent.</summary>
    /// <param name="n">1-based field number.</param>
    /// <returns>The field.</returns>
    public Hl7Element this[int n] => Field(n);

    /// <summary>Field <paramref name="n"/> (1-based); empty when absent.</summary>
    /// <param name="n">1-based field number.</param>
    /// <returns>The field.</returns>
    public Hl7Element Field(int n)
    {
        if (n < 1)
        {
            return default;
        }

        if (IsHeader && n == 1)
        {
            return new Hl7Element(_text.Slice(3, 1), Hl7Level.SubComponent, Delimiters, Encoding);
        }

        if (IsHeader && n == 2)
        {
            // MSH-2 holds the delimiters themselves: never split it.
            var (s2, l2) = Bounds(1);
            return l2 < 0 ? default : new Hl7Element(_text.Slice(s2, l2), Hl7Level.SubComponent, Delimiters, Encoding);
        }

        var (start, length) = Bounds(IsHeader ? n - 1 : n);
        return length < 0 ? default : new Hl7Element(_text.Slice(start, length), Hl7Level.Field, Delimiters, Encoding);
    }

    /// <summary>Replaces field <paramref name="n"/> with already encoded text (adding empty fields when needed).</summary>
    /// <param name="n">1-based field number (3 or more for MSH).</param>
    /// <param name="encoded">The encoded field (use <see cref="Hl7Escaping.Encode"/> for text).</param>
    public void SetFieldRaw(int n, string encoded)
    {
        ArgumentNullException.ThrowIfNull(encoded);
        if (n < 1 || (IsHeader && n < 3))
        {
            throw new ArgumentOutOfRangeException(nameof(n), n, IsHeader ? "MSH-1 and MSH-2 are the delimiters; set fields 3 and above." : "Fields are numbered from 1.");
        }

        var index = IsHeader ? n - 1 : n;
        var seps = Separators();
        var sb = new StringBuilder(_text.Length + encoded.Length + 8);
        if (index <= seps.Length)
        {
            var (start, length) = Bounds(index);
            sb.Append(_text.Span[..start]).Append(encoded).Append(_text.Span[(start + length)..]);
        }
        else
        {
            sb.Append(_text.Span);
            sb.Append(Delimiters.Field, index - seps.Length);
            sb.Append(encoded);
        }

        _text = sb.ToString().AsMemory();
        _separators = null;
    }

    /// <summary>Replaces field <paramref name="n"/> with a text value, escaping delimiters.</summary>
    /// <param name="n">1-based field number.</param>
    /// <param name="value">The text (null or empty for an empty field).</param>
    public void SetField(int n, string? value) => SetFieldRaw(n, Hl7Escaping.Encode(value, Delimiters));

    /// <inheritdoc/>
    public override string ToString() => _text.ToString();

    private static readonly string[] KnownNames =
        ["MSH", "EVN", "PID", "PD1", "PV1", "PV2", "MRG", "ZFD", "ZBE", "ZFA", "ZFM", "ZFP", "ZFV", "ROL", "OBX", "OBR", "ORC", "TXA", "PRT", "NTE", "MSA", "ERR", "NK1", "IN1", "AL1", "DG1", "ACC"];

    /// <summary>The segment identifier, without allocating for the usual ones (parsing is a hot path).</summary>
    private static string Intern(ReadOnlySpan<char> name)
    {
        foreach (var known in KnownNames)
        {
            if (name.SequenceEqual(known))
            {
                return known;
            }
        }

        return new string(name);
    }

    /// <summary>Start and length of the <paramref name="index"/>-th part after the segment name (1-based), or length −1.</summary>
    private (int Start, int Length) Bounds(int index)
    {
        var seps = Separators();
        if (index > seps.Length)
        {
            return (0, -1);
        }

        var start = seps[index - 1] + 1;
        var end = index < seps.Length ? seps[index] : _text.Length;
        return (start, end - start);
    }

    private int[] Separators()
    {
        if (_separators is not null)
        {
            return _separators;
        }

        var span = _text.Span;
        var sep = Delimiters.Field;
        var count = span.Count(sep);
        var result = new int[count];
        var k = 0;
        for (var i = 0; i < span.Length; i++)
        {
            if (span[i] == sep)
            {
                result[k++] = i;
            }
        }

        // MSH: the first '|' is MSH-1 itself and also the separator before MSH-2.
        _separators = result;
        return result;
    }
}
