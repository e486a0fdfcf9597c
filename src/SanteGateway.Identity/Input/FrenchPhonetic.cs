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
        // millions of names).
        var letters = new StringBuilder(name.Length);
        foreach (var c in name)
        {
            letters.Append(Letters[c] ??= LettersOf(c));
        }

        if (letters.Length == 0)
        {
            return "";
        }

        var s = letters.ToString();
        foreach (var (from, to) in Rules)
        {
            s = s.Replace(from, to, StringComparison.Ordinal);
        }

        // Silent final letters ("DUPONT", "DUBOIS", "LEROUX", "RICHARD"), then "-ER"/"-EZ"/"-ET" endings sound as "E".
        var end = s.Length;
        while (end > 1 && s[end - 1] is 'T' or 'D' or 'S' or 'X' or 'P')
        {
            end--;
        }

        if (end > 2 && s[end - 2] == 'E' && s[end - 1] is 'R' or 'Z')
        {
            end--;
        }

        // Doubled letters once; keys hold at most 100 characters.
        Span<char> key = stackalloc char[Math.Min(end, 100)];
        var n = 0;
        for (var i = 0; i < end && n < key.Length; i++)
        {
            if (n == 0 || key[n - 1] != s[i])
            {
                key[n++] = s[i];
            }
        }

        return n == s.Length ? s : new string(key[..n]);
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
