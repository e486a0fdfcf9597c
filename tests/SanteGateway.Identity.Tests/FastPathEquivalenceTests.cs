using System.Globalization;
using System.Text;
using CsCheck;

namespace SanteGateway.Identity.Tests;

/// <summary>
/// The trait checks and the phonetic key were rewritten without intermediate strings for the bulk import (millions of
/// rows). Each is compared here, on random input, with the straightforward code it replaced (kept below as the
/// reference): same result, same refusals, for any input.
/// </summary>
public sealed class FastPathEquivalenceTests
{
    /// <summary>Names as they come: letters of every case and accent, separators, white space of all kinds, marks, digits, other scripts.</summary>
    private static readonly Gen<string> AnyText = Gen.String[Gen.OneOf(
        Gen.Char['A', 'Z'], Gen.Char['a', 'z'], Gen.Char['\u00A0', '\u017F'], Gen.Char['\u0300', '\u036F'],
        Gen.OneOf(' ', ' ', ' ', '\'', '-', '\u2019', '0', '9', '_', '.', '\t', '\n', '\u2003', '\u00A0', 'œ', 'Œ', 'æ', 'ß', 'Ω', 'я', '中', '\u0007')), 0, 30];

    [Fact]
    public void A_name_is_cleaned_and_refused_exactly_as_by_the_split_and_join_rule() =>
        Gen.Select(AnyText, Gen.Bool).Sample((text, required) =>
        {
            var errors = new List<ValidationError>();
            var expectedErrors = new List<ValidationError>();
            var actual = TraitInput.Name(errors, "birthName", text, required);
            var expected = ReferenceName(expectedErrors, "birthName", text, required);
            return actual == expected && errors.SequenceEqual(expectedErrors);
        }, iter: 20_000);

    [Fact]
    public void The_first_first_name_consistency_is_the_word_by_word_rule() =>
        Gen.Select(AnyText, AnyText.Array[0, 4], Gen.Bool).Sample((first, list, prefix) =>
        {
            // Half the cases start from the list itself so that consistent pairs are frequent.
            var candidate = prefix && list.Length > 0 ? string.Join(' ', list).Replace(' ', '-') + (first.Length > 3 ? " " + first[..3] : "") : first;
            return IdentityTraits.IsConsistentFirstFirstName(candidate, list) == ReferenceConsistent(candidate, list);
        }, iter: 20_000);

    [Fact]
    public void The_phonetic_key_is_the_one_of_the_string_replacement_rule() =>
        AnyText.Sample(text => FrenchPhonetic.Key(text) == ReferencePhonetic(text), iter: 20_000);

    [Fact]
    public void A_long_name_keeps_a_phonetic_key_of_at_most_100_letters_as_before()
    {
        var name = string.Concat(Enumerable.Repeat("BA", 80));
        FrenchPhonetic.Key(name).Should().Be(ReferencePhonetic(name)).And.HaveLength(100);
    }

    // ---- Reference implementations: the code as it was before the rewrite (2026-12-02). ----
    private static string? ReferenceName(ICollection<ValidationError> errors, string field, string? value, bool required)
    {
        var trimmed = value is null ? "" : string.Join(' ', value.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        if (trimmed.Length == 0)
        {
            if (required)
            {
                errors.Add(new ValidationError(field, "required", "This trait is required."));
            }

            return null;
        }

        if (trimmed.Length > IdentityTraits.MaxNameLength)
        {
            errors.Add(new ValidationError(field, "length", string.Create(CultureInfo.InvariantCulture, $"At most {IdentityTraits.MaxNameLength} characters.")));
            return null;
        }

        for (var i = 0; i < trimmed.Length; i++)
        {
            var c = trimmed[i];
            if (!(char.IsLetter(c) || c is ' ' or '-' or '\'' or '\u2019' || CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.NonSpacingMark))
            {
                errors.Add(new ValidationError(field, "character", string.Create(CultureInfo.InvariantCulture, $"Character '{c}' at position {i + 1} is not allowed (letters, space, hyphen, apostrophe).")));
                return null;
            }
        }

        if (!trimmed.Any(char.IsLetter))
        {
            errors.Add(new ValidationError(field, "character", "At least one letter is required."));
            return null;
        }

        return trimmed;
    }

    private static bool ReferenceConsistent(string firstFirstName, IReadOnlyList<string> birthFirstNames)
    {
        static string[] Words(string s) => s.Replace('-', ' ').Replace('\'', ' ').Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var first = Words(firstFirstName);
        var list = Words(string.Join(' ', birthFirstNames));
        if (first.Length == 0 || first.Length > list.Length)
        {
            return false;
        }

        for (var i = 0; i < first.Length; i++)
        {
            if (!string.Equals(first[i], list[i], StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }
        }

        return true;
    }

    private static readonly (string From, string To)[] Rules =
    [
        ("AILL", "AY"), ("EILL", "EY"), ("OUILL", "OUY"), ("SCH", "CH"), ("EAU", "O"), ("GUI", "KI"), ("GUE", "KE"), ("QU", "K"), ("PH", "F"), ("TH", "T"), ("CK", "K"),
        ("CE", "SE"), ("CI", "SI"), ("CY", "SI"), ("GE", "JE"), ("GI", "JI"), ("AU", "O"), ("AI", "E"), ("EI", "E"),
        ("OU", "U"), ("OI", "OA"), ("EN", "AN"), ("EM", "AN"), ("AM", "AN"), ("IN", "EN"), ("Y", "I"), ("W", "V"),
        ("Z", "S"), ("Q", "K"), ("C", "K"), ("H", ""),
    ];

    private static string ReferencePhonetic(string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            return "";
        }

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
