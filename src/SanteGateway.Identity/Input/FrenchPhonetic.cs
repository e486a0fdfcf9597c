using System.Text;

namespace SanteGateway.Identity;

/// <summary>
/// A French phonetic key of a name, for potential-duplicate detection ("DUPOND" ~ "DUPONT", "PHILIPPE" ~ "FILIPE",
/// "GAUTHIER" ~ "GAUTIER" ~ "GOTIER"). A simplified Soundex2-style algorithm written for this project: letters only
/// (accents and case folded as in the INSi profile), common French spellings of the same sound merged, silent final
/// letters and doubled letters dropped. Not a matching rule on its own: a shared key only makes two identities
/// candidates for a person to review.
/// </summary>
public static class FrenchPhonetic
{
    // Ordered: longer spellings first so that "EAU" wins over "AU".
    private static readonly (string From, string To)[] Rules =
    [
        ("AILL", "AY"), ("EILL", "EY"), ("OUILL", "OUY"), ("SCH", "CH"), ("EAU", "O"), ("GUI", "KI"), ("GUE", "KE"), ("QU", "K"), ("PH", "F"), ("TH", "T"), ("CK", "K"),
        ("CE", "SE"), ("CI", "SI"), ("CY", "SI"), ("GE", "JE"), ("GI", "JI"), ("AU", "O"), ("AI", "E"), ("EI", "E"),
        ("OU", "U"), ("OI", "OA"), ("EN", "AN"), ("EM", "AN"), ("AM", "AN"), ("IN", "EN"), ("Y", "I"), ("W", "V"),
        ("Z", "S"), ("Q", "K"), ("C", "K"), ("H", ""),
    ];

    // Per UTF-16 code unit: the A–Z letters it contributes (filled on first use; a pure function, so races are harmless).
    private static readonly string?[] Letters = new string?[char.MaxValue + 1];

    /// <summary>The phonetic key of a name; empty when the name has no letter.</summary>
    /// <param name="name">A birth name or first name, any case, accents allowed.</param>
    /// <returns>The key (upper-case letters).</returns>
    public static string Key(string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            return "";
        }

        // Letters in the INSi alphabet only; a character with no equivalent is skipped (the key is a hint, not a check).
        // What a character gives depends on that character alone: computed once per character and kept (bulk imports key
        // millions of names). The rules then rewrite one buffer in place (no replacement is longer than what it replaces),
        // so a key costs one string, not one per rule that matched.
        var length = 0;
        foreach (var c in name)
        {
            length += (Letters[c] ??= LettersOf(c)).Length;
        }

        if (length == 0)
        {
            return "";
        }

        Span<char> s = length <= 256 ? stackalloc char[length] : new char[length];
        length = 0;
        foreach (var c in name)
        {
            var letters = Letters[c]!;
            letters.AsSpan().CopyTo(s[length..]);
            length += letters.Length;
        }

        foreach (var (from, to) in Rules)
        {
            length = Replace(s[..length], from, to);
        }

        // Silent final letters ("DUPONT", "DUBOIS", "LEROUX", "RICHARD"), then "-ER"/"-EZ"/"-ET" endings sound as "E".
        var end = length;
        while (end > 1 && s[end - 1] is 'T' or 'D' or 'S' or 'X' or 'P')
        {
            end--;
        }

        if (end > 2 && s[end - 2] == 'E' && s[end - 1] is 'R' or 'Z')
        {
            end--;
        }

        // Doubled letters once (in place: the write index never passes the read index); keys hold at most 100 characters.
        var n = 0;
        for (var i = 0; i < end && n < 100; i++)
        {
            if (n == 0 || s[n - 1] != s[i])
            {
                s[n++] = s[i];
            }
        }

        return new string(s[..n]);
    }

    /// <summary>
    /// What <c>string.Replace(from, to, Ordinal)</c> gives (occurrences found left to right, none overlapping), written over
    /// <paramref name="s"/>; <paramref name="to"/> is never longer than <paramref name="from"/>. Returns the new length.
    /// </summary>
    private static int Replace(Span<char> s, string from, string to)
    {
        var at = s.IndexOf(from.AsSpan());
        if (at < 0)
        {
            return s.Length;
        }

        var w = at;
        var r = at;
        var next = 0; // the next occurrence, from r
        while (next >= 0)
        {
            // What lies before the occurrence moves left (memmove: the spans may overlap), then the replacement.
            s.Slice(r, next).CopyTo(s[w..]);
            w += next;
            r += next;
            to.AsSpan().CopyTo(s[w..]);
            w += to.Length;
            r += from.Length;
            next = s[r..].IndexOf(from.AsSpan());
        }

        s[r..].CopyTo(s[w..]);
        w += s.Length - r;
        return w;
    }

    private static string LettersOf(char c)
    {
        var n = InsiLexicalProfile.NormalizeFirstName(c.ToString());
        if (n.IsSuccess)
        {
            var sb = new StringBuilder(n.Value.Length);
            foreach (var x in n.Value)
            {
                if (x is >= 'A' and <= 'Z')
                {
                    sb.Append(x);
                }
            }

            return sb.ToString();
        }

        return char.IsAsciiLetter(c) ? char.ToUpperInvariant(c).ToString() : "";
    }
}
