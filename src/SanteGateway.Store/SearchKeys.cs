using System.Globalization;
using System.Text;

namespace SanteGateway.Store;

/// <summary>
/// Search keys for names: upper case, diacritics removed (É→E, Ç→C, Œ→OE, Æ→AE, ß→SS), every run of characters that
/// are not letters or digits turned into one space, trimmed. "d'Ormesson-Lefèvre" and "D ORMESSON LEFEVRE" share a key.
/// </summary>
/// <remarks>
/// The bulk import computes three keys per row (millions of rows), so names made only of Latin-1 characters (nearly all
/// of them) are keyed in one pass over the span with a per-character table, without Unicode normalisation or
/// intermediate strings; an input that is already its own key is returned as is. The table is built from the general
/// rule below (<see cref="NormalizeGeneral"/>) applied to each character, and a Latin-1 string has no combining mark to
/// reorder, so both paths give the same key (a property test compares them).
/// </remarks>
public static class SearchKeys
{
    // Per Latin-1 character: null = separator, otherwise what it contributes to the key.
    private static readonly string?[] Latin1 = BuildLatin1();

    /// <summary>The key of a name (empty for null or blank input).</summary>
    public static string Normalize(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return "";
        }

        // Keys hold at most 100 characters in the database; a longer or non-Latin-1 input takes the general path.
        if (value.Length > 256)
        {
            return NormalizeGeneral(value);
        }

        // A character expands to at most 3 ("ß" gives "SS"; a few Latin-1 letters upper-case to one other char).
        Span<char> buffer = stackalloc char[value.Length * 3];
        var n = 0;
        var pendingSpace = false;
        foreach (var c in value)
        {
            if (c > '\u00FF')
            {
                return NormalizeGeneral(value);
            }

            var mapped = Latin1[c];
            if (mapped is null)
            {
                pendingSpace = true;
                continue;
            }

            if (pendingSpace && n > 0)
            {
                buffer[n++] = ' ';
            }

            pendingSpace = false;
            mapped.AsSpan().CopyTo(buffer[n..]);
            n += mapped.Length;
        }

        // Most stored names are already their key: no new string then.
        var key = buffer[..n];
        return key.SequenceEqual(value) ? value : new string(key);
    }

    /// <summary>The general rule (any Unicode input): canonical decomposition, marks dropped, letters and digits upper-cased.</summary>
    internal static string NormalizeGeneral(string value)
    {
        var decomposed = value.Normalize(NormalizationForm.FormD);
        var sb = new StringBuilder(decomposed.Length);
        var pendingSpace = false;
        foreach (var c in decomposed)
        {
            var category = CharUnicodeInfo.GetUnicodeCategory(c);
            if (category is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark)
            {
                continue;
            }

            if (char.IsLetterOrDigit(c))
            {
                if (pendingSpace && sb.Length > 0)
                {
                    sb.Append(' ');
                }

                pendingSpace = false;
                sb.Append(c switch
                {
                    'œ' or 'Œ' => "OE",
                    'æ' or 'Æ' => "AE",
                    'ß' => "SS",
                    _ => char.ToUpperInvariant(c).ToString(),
                });
            }
            else
            {
                pendingSpace = true;
            }
        }

        return sb.ToString();
    }

    private static string?[] BuildLatin1()
    {
        // The general rule applied to each character alone. A Latin-1 character is letters/digits with marks, or a
        // separator (none is a lone combining mark), so an empty key means a separator; the property test checks that both
        // paths give the same key for any input.
        var table = new string?[256];
        for (var c = 0; c < 256; c++)
        {
            var key = NormalizeGeneral(((char)c).ToString());
            table[c] = key.Length == 0 ? null : key;
        }

        return table;
    }
}
