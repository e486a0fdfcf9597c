namespace SanteGateway.Insi.Sandbox.Data;

/// <summary>
/// The INSi lexical profile as the sandbox enforces it on incoming traits (insi.md §2.3): uppercase A–Z, space,
/// apostrophe, hyphen; <c>--</c> only in a birth name; no leading space/hyphen; no doubled or adjacent space/apostrophe;
/// a first name does not end with a hyphen or an apostrophe.
/// </summary>
public static class InsiTraitRules
{
    /// <summary>Longest birth name or first-name list accepted (the real limit is not published; clients stay far below).</summary>
    public const int MaxLength = 100;

    /// <summary>Checks a birth name; returns null when conform, else the broken rule in French.</summary>
    public static string? CheckBirthName(ReadOnlySpan<char> value) => Check(value, allowDoubleHyphen: true, isFirstNames: false);

    /// <summary>Checks a <c>Prenom</c> value: one first name or the list separated by single spaces.</summary>
    public static string? CheckFirstNames(ReadOnlySpan<char> value) => Check(value, allowDoubleHyphen: false, isFirstNames: true);

    /// <summary>Checks a sex code (<c>M</c> or <c>F</c>).</summary>
    public static string? CheckSex(ReadOnlySpan<char> value) =>
        value is "M" or "F" ? null : "le sexe doit valoir M ou F";

    /// <summary>Checks a <c>DateLunaire</c> (<c>AAAA-MM-JJ</c>, lunar dates allowed: month 00–12, day 00–31).</summary>
    public static string? CheckBirthDate(ReadOnlySpan<char> value)
    {
        if (value.Length != 10 || value[4] != '-' || value[7] != '-')
        {
            return "la date de naissance doit être au format AAAA-MM-JJ";
        }

        for (var i = 0; i < 10; i++)
        {
            if (i is 4 or 7)
            {
                continue;
            }

            if (!char.IsAsciiDigit(value[i]))
            {
                return "la date de naissance doit être au format AAAA-MM-JJ";
            }
        }

        var month = ((value[5] - '0') * 10) + (value[6] - '0');
        var day = ((value[8] - '0') * 10) + (value[9] - '0');
        return month > 12 || day > 31 ? "la date de naissance a un mois ou un jour hors limites" : null;
    }

    /// <summary>Checks a COG code (5 characters, digits or uppercase letters, e.g. <c>63220</c>, <c>2A020</c>).</summary>
    public static string? CheckCog(ReadOnlySpan<char> value)
    {
        if (value.Length != 5)
        {
            return "le lieu de naissance doit être un code COG de 5 caractères";
        }

        foreach (var c in value)
        {
            if (!char.IsAsciiDigit(c) && !char.IsAsciiLetterUpper(c))
            {
                return "le lieu de naissance doit être un code COG de 5 caractères";
            }
        }

        return null;
    }

    private static string? Check(ReadOnlySpan<char> value, bool allowDoubleHyphen, bool isFirstNames)
    {
        if (value.IsEmpty)
        {
            return "la valeur est vide";
        }

        if (value.Length > MaxLength)
        {
            return $"la valeur dépasse {MaxLength} caractères";
        }

        if (value[0] is ' ' or '-')
        {
            return "la valeur commence par un espace ou un tiret";
        }

        var last = value[^1];
        if (last is ' ' or '-' || (isFirstNames && last == '\''))
        {
            return "la valeur se termine par un espace, un tiret ou une apostrophe";
        }

        var hyphens = 0;
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (!char.IsAsciiLetterUpper(c) && c is not (' ' or '\'' or '-'))
            {
                return $"caractère interdit '{c}' en position {i + 1} (seuls A-Z, espace, apostrophe et tiret sont admis)";
            }

            hyphens = c == '-' ? hyphens + 1 : 0;
            if (hyphens > (allowDoubleHyphen ? 2 : 1))
            {
                return $"trop de tirets consécutifs en position {i + 1}";
            }

            if (i > 0)
            {
                var p = value[i - 1];
                var bothSeparators = (p is ' ' or '\'' or '-') && (c is ' ' or '\'');
                var spaceThenHyphen = p == ' ' && c == '-';
                if (bothSeparators || spaceThenHyphen)
                {
                    return $"séparateurs doublés ou adjacents en position {i + 1}";
                }

                if (isFirstNames && c == ' ' && p is '\'' or '-')
                {
                    return $"un prénom se termine par un tiret ou une apostrophe en position {i}";
                }
            }
        }

        return null;
    }
}
