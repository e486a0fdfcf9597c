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
        var letters = new StringBuilder(name.Length);
        foreach (var c in name)
        {
            var n = InsiLexicalProfile.NormalizeFirstName(c.ToString());
            if (n.IsSuccess)
            {
                foreach (var x in n.Value)
                {
                    if (x is >= 'A' and <= 'Z')
                    {
                        letters.Append(x);
                    }
                }
            }
            else if (char.IsAsciiLetter(c))
            {
                letters.Append(char.ToUpperInvariant(c));
            }
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
        while (s.Length > 1 && s[^1] is 'T' or 'D' or 'S' or 'X' or 'P')
        {
            s = s[..^1];
        }

        if (s.Length > 2 && s[^2] == 'E' && s[^1] is 'R' or 'Z')
        {
            s = s[..^1];
        }

        var key = new StringBuilder(s.Length);
        foreach (var c in s)
        {
            if (key.Length == 0 || key[^1] != c)
            {
                key.Append(c);
            }
        }

        return key.Length > 100 ? key.ToString(0, 100) : key.ToString();
    }
}
