using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace SanteGateway.Identity;

/// <summary>Why a name was refused by the INSi lexical profile.</summary>
/// <param name="Rule">A stable rule identifier from <see cref="LexicalRules"/>.</param>
/// <param name="Message">A readable explanation (it names the offending character, never the whole name).</param>
/// <param name="Position">1-based position in the input as given (before trimming), when one character is at fault.</param>
/// <param name="Character">The offending character of the input, when one is at fault.</param>
public sealed record LexicalError(string Rule, string Message, int? Position, char? Character);

/// <summary>The outcome of a normalisation: the INSi form, or the rule the input breaks.</summary>
/// <remarks>A value type so that normalising an already-clean name allocates nothing.</remarks>
/// <param name="Value">The normalised text when the input is accepted; null otherwise.</param>
/// <param name="Error">Why the input was refused; null when accepted.</param>
public readonly record struct LexicalResult(string? Value, LexicalError? Error)
{
    /// <summary>True when the input was accepted and <see cref="Value"/> holds its INSi form.</summary>
    [MemberNotNullWhen(true, nameof(Value))]
    public bool IsSuccess => Value is not null && Error is null;
}

/// <summary>Identifiers of the rules of the INSi lexical profile (the <see cref="LexicalError.Rule"/> values).</summary>
public static class LexicalRules
{
    /// <summary>The value is missing or blank.</summary>
    public const string Required = "required";

    /// <summary>Longer than 100 characters once normalised (or than 400 as given).</summary>
    public const string MaxLength = "max-length";

    /// <summary>A character with no equivalent in <c>A–Z</c>, space, apostrophe, hyphen (digit, <c>_</c>, <c>/</c>, <c>.</c>, other scripts…).</summary>
    public const string Character = "character";

    /// <summary>The value (or, in a list, a first name) starts with a hyphen.</summary>
    public const string LeadingHyphen = "leading-hyphen";

    /// <summary>Two spaces in a row.</summary>
    public const string DoubleSpace = "double-space";

    /// <summary>Two apostrophes in a row.</summary>
    public const string DoubleApostrophe = "double-apostrophe";

    /// <summary>A space next to an apostrophe (<c>" '"</c> or <c>"' "</c>).</summary>
    public const string SpaceApostrophe = "space-apostrophe";

    /// <summary><c>--</c> in a first name (only birth names may use it, to join a double family name).</summary>
    public const string DoubleHyphen = "double-hyphen";

    /// <summary>Three or more hyphens in a row in a birth name.</summary>
    public const string TripleHyphen = "triple-hyphen";

    /// <summary>The value (or, in a list, a first name) ends with a hyphen.</summary>
    public const string TrailingHyphen = "trailing-hyphen";

    /// <summary>A first name ends with an apostrophe.</summary>
    public const string TrailingApostrophe = "trailing-apostrophe";

    /// <summary>Leading or trailing space in an already-clean value (normalisation trims them instead).</summary>
    public const string OuterSpace = "outer-space";

    /// <summary>No letter at all (only apostrophes, hyphens and spaces).</summary>
    public const string LetterRequired = "letter-required";
}

/// <summary>
/// The INSi lexical profile for names: the form INSi accepts and the INS DataMatrix prints.
/// </summary>
/// <remarks>
/// <para><b>Where it applies.</b> Only at the INSi and DataMatrix boundary: when a query is sent to INSi and when a DataMatrix is
/// built. Names typed by users and values received from INSi are stored verbatim in <see cref="IdentityTraits"/>; do not
/// normalise them in place.</para>
/// <para><b>Alphabet.</b> <c>A–Z</c>, space, apostrophe (<c>'</c>, U+0027), hyphen (<c>-</c>, U+002D).</para>
/// <para><b>Normalisation.</b> Leading and trailing white space of the raw input is trimmed (it carries no information and is
/// the usual residue of form input); lower case is upper-cased; letters of Latin-1 and Latin Extended-A lose their diacritics
/// (É→E, Ç→C, Ñ→N, Ø→O, Ł→L…), decomposed accents (a letter followed by combining marks U+0300–U+036F) are folded the same
/// way; ligatures and special letters are spelled out: Œ→OE, Æ→AE, Ĳ→IJ, Þ→TH and — a decision, as German does when
/// upper-casing — ß/ẞ→SS. Typographic apostrophes (U+2018, U+2019, U+02BC) become <c>'</c>, the hyphens U+2010/U+2011 become
/// <c>-</c>, no-break spaces (U+00A0, U+202F) become a space. Anything else (digits, <c>_</c>, <c>/</c>, <c>.</c>, tabs, other
/// scripts) is refused with the character and its position: nothing is silently dropped.</para>
/// <para><b>Syntax</b> (checked after transliteration): not starting with a space or a hyphen (an apostrophe may be first); no
/// doubled space; no doubled apostrophe; no space next to an apostrophe; at least one letter; not ending with a hyphen
/// (decision: also for birth names). Birth names may contain <c>--</c> (double family name) but not three hyphens; in first
/// names — a single (possibly compound, "ANNE SOPHIE") first name or the space-separated list — no <c>--</c>, and each first
/// name neither starts with a hyphen nor ends with a hyphen or an apostrophe. Maximum length 100 once normalised.</para>
/// <para>Normalisation is idempotent, and an input that already conforms is returned as the same string instance without
/// allocating.</para>
/// </remarks>
public static class InsiLexicalProfile
{
    /// <summary>Maximum length of a birth name, a first name or the list of first names, once normalised.</summary>
    public const int MaxLength = 100;

    // Raw input longer than this cannot shrink to 100 characters in any realistic way (combining marks only); refusing it
    // early bounds the work done on hostile input.
    private const int MaxRawLength = 4 * MaxLength;

    // U+00C0..U+00FF and U+0100..U+017F: base letter, '\0' for a letter spelled with two letters, '#' for a non-letter.
    private const string Latin1Map = "AAAAAA\0CEEEEIIIIDNOOOOO#OUUUUY\0\0AAAAAA\0CEEEEIIIIDNOOOOO#OUUUUY\0Y";
    private const string LatinExtendedAMap =
        "AAAAAACCCCCCCCDDDDEEEEEEEEEEGGGGGGGGHHHHIIIIIIIIII\0\0JJKKKLLLLLLLLLLNNNNNNNNNOOOOOO\0\0RRRRRRSSSSSSSSTTTTTTUUUUUUUUUUUUWWYYYZZZZZZS";

    /// <summary>Normalises a birth name (nom de naissance) to the INSi profile.</summary>
    /// <param name="input">The name as typed or stored.</param>
    /// <returns>The INSi form, or the rule broken.</returns>
    public static LexicalResult NormalizeBirthName(string? input) => Normalize(input, birthName: true);

    /// <summary>Normalises one first name (e.g. the first first-name, which may be compound: "JEAN-PIERRE", "ANNE SOPHIE").</summary>
    /// <param name="input">The first name as typed or stored.</param>
    /// <returns>The INSi form, or the rule broken.</returns>
    public static LexicalResult NormalizeFirstName(string? input) => Normalize(input, birthName: false);

    /// <summary>Normalises the list of birth first names, separated by single spaces ("PIERRE-ALAIN MURIEL FLORIANT").</summary>
    /// <param name="input">The list as typed or stored.</param>
    /// <returns>The INSi form, or the rule broken.</returns>
    public static LexicalResult NormalizeFirstNames(string? input) => Normalize(input, birthName: false);

    /// <summary>True when <paramref name="value"/> is already a birth name in the INSi profile (no trimming, no transliteration). Allocation-free.</summary>
    /// <param name="value">The text to check.</param>
    /// <returns>True when it would be returned unchanged by <see cref="NormalizeBirthName"/>.</returns>
    public static bool IsConformBirthName(ReadOnlySpan<char> value) => FindViolation(value, birthName: true, out _) < 0;

    /// <summary>True when <paramref name="value"/> is already a first name or list of first names in the INSi profile. Allocation-free.</summary>
    /// <param name="value">The text to check.</param>
    /// <returns>True when it would be returned unchanged by <see cref="NormalizeFirstNames"/>.</returns>
    public static bool IsConformFirstNames(ReadOnlySpan<char> value) => FindViolation(value, birthName: false, out _) < 0;

    private static LexicalResult Normalize(string? input, bool birthName)
    {
        if (string.IsNullOrWhiteSpace(input))
        {
            return Fail(LexicalRules.Required, "The value is empty.");
        }

        if (input.Length > MaxRawLength)
        {
            return Fail(LexicalRules.MaxLength, string.Create(CultureInfo.InvariantCulture, $"The value is longer than {MaxLength} characters."));
        }

        if (FindViolation(input, birthName, out _) < 0)
        {
            return new LexicalResult(input, null);
        }

        var start = 0;
        var end = input.Length;
        while (char.IsWhiteSpace(input[start]))
        {
            start++;
        }

        while (char.IsWhiteSpace(input[end - 1]))
        {
            end--;
        }

        // Each output character remembers the input index it came from, so errors point into what the user typed.
        Span<char> output = stackalloc char[2 * MaxRawLength];
        Span<int> origin = stackalloc int[2 * MaxRawLength];
        var n = 0;
        for (var i = start; i < end; i++)
        {
            var c = input[i];
            char mapped;
            string? pair = null;
            if (c is >= 'A' and <= 'Z' or ' ' or '-' or '\'')
            {
                mapped = c;
            }
            else if (c is >= 'a' and <= 'z')
            {
                mapped = (char)(c - 32);
            }
            else if (c is '\u2019' or '\u2018' or '\u02BC')
            {
                mapped = '\'';
            }
            else if (c is '\u2010' or '\u2011')
            {
                mapped = '-';
            }
            else if (c is '\u00A0' or '\u202F')
            {
                mapped = ' ';
            }
            else if (n > 0 && output[n - 1] is >= 'A' and <= 'Z' && CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.NonSpacingMark)
            {
                // A combining accent on the letter before it: the base letter is already written.
                continue;
            }
            else if (!TryTransliterate(c, out mapped, out pair))
            {
                return Fail(
                    LexicalRules.Character,
                    string.Create(CultureInfo.InvariantCulture, $"The character '{c}' (U+{(int)c:X4}) at position {i + 1} has no equivalent in the INSi alphabet (A-Z, space, apostrophe, hyphen)."),
                    i + 1,
                    c);
            }

            if (pair is null)
            {
                origin[n] = i;
                output[n++] = mapped;
            }
            else
            {
                origin[n] = i;
                output[n++] = pair[0];
                origin[n] = i;
                output[n++] = pair[1];
            }
        }

        var result = output[..n];
        if (result.Length > MaxLength)
        {
            return Fail(LexicalRules.MaxLength, string.Create(CultureInfo.InvariantCulture, $"The value has {result.Length} characters once normalised; at most {MaxLength} are allowed."));
        }

        var at = FindViolation(result, birthName, out var rule);
        if (at >= 0)
        {
            var position = origin[Math.Min(at, n - 1)] + 1;
            var character = input[position - 1];
            return Fail(rule, Describe(rule, birthName, position), position, character);
        }

        return new LexicalResult(new string(result), null);
    }

    private static bool TryTransliterate(char c, out char single, out string? pair)
    {
        pair = null;
        single = '\0';
        char m;
        if (c is >= '\u00C0' and <= '\u00FF')
        {
            m = Latin1Map[c - 0xC0];
        }
        else if (c is >= '\u0100' and <= '\u017F')
        {
            m = LatinExtendedAMap[c - 0x100];
        }
        else if (c == '\u1E9E')
        {
            m = '\0';
        }
        else
        {
            return TryDecompose(c, out single, out pair);
        }

        if (m == '#')
        {
            return false;
        }

        if (m != '\0')
        {
            single = m;
            return true;
        }

        pair = c switch
        {
            '\u00C6' or '\u00E6' => "AE",
            '\u0152' or '\u0153' => "OE",
            '\u0132' or '\u0133' => "IJ",
            '\u00DE' or '\u00FE' => "TH",
            _ => "SS", // ß (U+00DF) and ẞ (U+1E9E)
        };
        return true;
    }

    /// <summary>
    /// Other precomposed Latin letters (Latin Extended-B, Latin Extended Additional: Ș, Ț, Ư, ễ, Ǆ…): the compatibility
    /// decomposition gives one or two base letters followed by combining marks, which are dropped. Anything else
    /// (Greek, Cyrillic, symbols) has no equivalent and is refused.
    /// </summary>
    private static bool TryDecompose(char c, out char single, out string? pair)
    {
        single = '\0';
        pair = null;
        if (char.IsSurrogate(c) || !char.IsLetter(c))
        {
            return false;
        }

        var decomposed = c.ToString().Normalize(NormalizationForm.FormKD);
        Span<char> letters = stackalloc char[2];
        var n = 0;
        foreach (var x in decomposed)
        {
            if (x is >= 'A' and <= 'Z' or >= 'a' and <= 'z')
            {
                if (n == 2)
                {
                    return false;
                }

                letters[n++] = char.ToUpperInvariant(x);
            }
            else if (CharUnicodeInfo.GetUnicodeCategory(x) != UnicodeCategory.NonSpacingMark)
            {
                return false;
            }
        }

        switch (n)
        {
            case 1:
                single = letters[0];
                return true;
            case 2:
                pair = new string(letters);
                return true;
            default:
                return false;
        }
    }

    /// <summary>
    /// True when normalising <paramref name="input"/> would replace a letter (a diacritic removed, a ligature split,
    /// a letter of another Latin block): such a change is shown to the user and confirmed before it is sent to INSi.
    /// Case, outer spaces and typographic apostrophes or hyphens are not transliterations.
    /// </summary>
    /// <param name="input">Raw value.</param>
    /// <returns>True when a letter would be transliterated.</returns>
    public static bool NeedsTransliteration(string? input)
    {
        if (input is null)
        {
            return false;
        }

        foreach (var c in input)
        {
            if (c > '\u007F' && (char.IsLetter(c) || CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.NonSpacingMark))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Index of the first character breaking a rule of already-transliterated text, or −1 when it conforms.</summary>
    private static int FindViolation(ReadOnlySpan<char> s, bool birthName, out string rule)
    {
        if (s.Length == 0)
        {
            rule = LexicalRules.Required;
            return 0;
        }

        if (s.Length > MaxLength)
        {
            rule = LexicalRules.MaxLength;
            return MaxLength;
        }

        var hasLetter = false;
        var prev = '\0';
        var prev2 = '\0';
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            switch (c)
            {
                case >= 'A' and <= 'Z':
                    hasLetter = true;
                    break;
                case ' ':
                    if (i == 0)
                    {
                        rule = LexicalRules.OuterSpace;
                        return i;
                    }

                    if (prev == ' ')
                    {
                        rule = LexicalRules.DoubleSpace;
                        return i;
                    }

                    if (prev == '\'')
                    {
                        rule = birthName ? LexicalRules.SpaceApostrophe : LexicalRules.TrailingApostrophe;
                        return birthName ? i : i - 1;
                    }

                    if (!birthName && prev == '-')
                    {
                        rule = LexicalRules.TrailingHyphen;
                        return i - 1;
                    }

                    break;
                case '\'':
                    if (prev == '\'')
                    {
                        rule = LexicalRules.DoubleApostrophe;
                        return i;
                    }

                    if (prev == ' ')
                    {
                        rule = LexicalRules.SpaceApostrophe;
                        return i;
                    }

                    break;
                case '-':
                    if (i == 0 || (!birthName && prev == ' '))
                    {
                        rule = LexicalRules.LeadingHyphen;
                        return i;
                    }

                    if (prev == '-')
                    {
                        if (!birthName)
                        {
                            rule = LexicalRules.DoubleHyphen;
                            return i;
                        }

                        if (prev2 == '-')
                        {
                            rule = LexicalRules.TripleHyphen;
                            return i;
                        }
                    }

                    break;
                default:
                    rule = LexicalRules.Character;
                    return i;
            }

            prev2 = prev;
            prev = c;
        }

        var last = s.Length - 1;
        switch (prev)
        {
            case ' ':
                rule = LexicalRules.OuterSpace;
                return last;
            case '-':
                rule = LexicalRules.TrailingHyphen;
                return last;
            case '\'' when !birthName:
                rule = LexicalRules.TrailingApostrophe;
                return last;
        }

        if (!hasLetter)
        {
            rule = LexicalRules.LetterRequired;
            return 0;
        }

        rule = string.Empty;
        return -1;
    }

    private static string Describe(string rule, bool birthName, int position)
    {
        var what = rule switch
        {
            LexicalRules.LeadingHyphen => birthName ? "a birth name may not start with a hyphen" : "a first name may not start with a hyphen",
            LexicalRules.DoubleSpace => "two spaces in a row are not allowed",
            LexicalRules.DoubleApostrophe => "two apostrophes in a row are not allowed",
            LexicalRules.SpaceApostrophe => "a space may not be next to an apostrophe",
            LexicalRules.DoubleHyphen => "a double hyphen is allowed only in a birth name",
            LexicalRules.TripleHyphen => "at most two hyphens in a row are allowed",
            LexicalRules.TrailingHyphen => birthName ? "a birth name may not end with a hyphen" : "a first name may not end with a hyphen",
            LexicalRules.TrailingApostrophe => "a first name may not end with an apostrophe",
            LexicalRules.LetterRequired => "the value has no letter",
            _ => "the value does not follow the INSi profile",
        };
        return string.Create(CultureInfo.InvariantCulture, $"At position {position}: {what}.");
    }

    private static LexicalResult Fail(string rule, string message, int? position = null, char? character = null) =>
        new(null, new LexicalError(rule, message, position, character));
}
