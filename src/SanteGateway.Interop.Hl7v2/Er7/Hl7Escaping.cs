using System.Globalization;
using System.Text;

namespace SanteGateway.Interop.Hl7v2.Er7;

/// <summary>ER7 escape sequences: <c>\F\ \S\ \T\ \R\ \E\</c> (and <c>\P\</c> for the v2.7 truncation character), <c>\Xhh…\</c>.</summary>
/// <remarks>Formatting and character-set escapes (<c>\.br\</c>, <c>\H\</c>, <c>\N\</c>, <c>\Cxxyy\</c>, <c>\Mxxyyzz\</c>…) are kept
/// literally when decoding: they carry meaning for the receiving display, not for identity data, and keeping them loses nothing.
/// Malformed escapes (unterminated, odd hex) are kept literally too: the reader never fails on a value.</remarks>
public static class Hl7Escaping
{
    /// <summary>Decodes the escape sequences of an encoded value.</summary>
    /// <param name="encoded">The value as it is written in the message.</param>
    /// <param name="delimiters">The message delimiters.</param>
    /// <param name="encoding">The message character set, for <c>\X…\</c> byte sequences.</param>
    /// <returns>The text.</returns>
    public static string Decode(ReadOnlySpan<char> encoded, Hl7Delimiters delimiters, Encoding encoding)
    {
        ArgumentNullException.ThrowIfNull(delimiters);
        ArgumentNullException.ThrowIfNull(encoding);
        var esc = delimiters.Escape;
        var first = encoded.IndexOf(esc);
        if (first < 0)
        {
            return encoded.Length == 0 ? string.Empty : new string(encoded);
        }

        var sb = new StringBuilder(encoded.Length);
        sb.Append(encoded[..first]);
        var i = first;
        while (i < encoded.Length)
        {
            var c = encoded[i];
            if (c != esc)
            {
                sb.Append(c);
                i++;
                continue;
            }

            var close = encoded[(i + 1)..].IndexOf(esc);
            if (close < 0)
            {
                // Unterminated: the rest is literal.
                sb.Append(encoded[i..]);
                break;
            }

            var body = encoded.Slice(i + 1, close);
            if (!TryAppendEscape(sb, body, delimiters, encoding))
            {
                sb.Append(encoded.Slice(i, close + 2));
            }

            i += close + 2;
        }

        return sb.ToString();
    }

    /// <summary>Encodes a text so that it can be written as one value: delimiters become escapes, line breaks and other
    /// C0 control characters (except tab) become <c>\Xhh\</c>.</summary>
    /// <param name="value">The text.</param>
    /// <param name="delimiters">The message delimiters.</param>
    /// <returns>The encoded value.</returns>
    public static string Encode(string? value, Hl7Delimiters delimiters)
    {
        ArgumentNullException.ThrowIfNull(delimiters);
        if (string.IsNullOrEmpty(value))
        {
            return string.Empty;
        }

        if (!NeedsEscaping(value, delimiters))
        {
            return value;
        }

        var sb = new StringBuilder(value.Length + 8);
        var esc = delimiters.Escape;
        foreach (var c in value)
        {
            string? code = null;
            if (c == delimiters.Field)
            {
                code = "F";
            }
            else if (c == delimiters.Component)
            {
                code = "S";
            }
            else if (c == delimiters.SubComponent)
            {
                code = "T";
            }
            else if (c == delimiters.Repetition)
            {
                code = "R";
            }
            else if (c == esc)
            {
                code = "E";
            }
            else if (delimiters.Truncation is { } t && c == t)
            {
                code = "P";
            }
            else if (c < 0x20 && c != '\t')
            {
                code = "X" + ((int)c).ToString("X2", CultureInfo.InvariantCulture);
            }

            if (code is null)
            {
                sb.Append(c);
            }
            else
            {
                sb.Append(esc).Append(code).Append(esc);
            }
        }

        return sb.ToString();
    }

    private static bool NeedsEscaping(string value, Hl7Delimiters d)
    {
        foreach (var c in value)
        {
            if ((c < 0x20 && c != '\t') || d.IsDelimiter(c))
            {
                return true;
            }
        }

        return false;
    }

    private static bool TryAppendEscape(StringBuilder sb, ReadOnlySpan<char> body, Hl7Delimiters d, Encoding encoding)
    {
        if (body.Length == 1)
        {
            char? c = body[0] switch
            {
                'F' => d.Field,
                'S' => d.Component,
                'T' => d.SubComponent,
                'R' => d.Repetition,
                'E' => d.Escape,
                'P' => d.Truncation,
                _ => null,
            };
            if (c is { } ch)
            {
                sb.Append(ch);
                return true;
            }

            return false;
        }

        if (body.Length >= 3 && body[0] == 'X' && (body.Length - 1) % 2 == 0)
        {
            var hex = body[1..];
            var bytes = hex.Length <= 512 ? stackalloc byte[hex.Length / 2] : new byte[hex.Length / 2];
            for (var k = 0; k < bytes.Length; k++)
            {
                if (!byte.TryParse(hex.Slice(k * 2, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out bytes[k]))
                {
                    return false;
                }
            }

            sb.Append(encoding.GetString(bytes));
            return true;
        }

        return false;
    }
}
