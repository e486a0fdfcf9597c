using System.Globalization;
using System.Text;
using CsCheck;

namespace SanteGateway.Store.Tests;

public sealed class SearchKeysTests
{
    [Theory]
    [InlineData("Lefèvre", "LEFEVRE")]
    [InlineData("d'Ormesson-Lefèvre", "D ORMESSON LEFEVRE")]
    [InlineData("  ÇÉLINE  ", "CELINE")]
    [InlineData("Cœur", "COEUR")]
    [InlineData("", "")]
    [InlineData(null, "")]
    public void Names_are_keyed_without_accents_case_or_separators(string? input, string expected) =>
        SearchKeys.Normalize(input).Should().Be(expected);

    [Fact]
    public void A_key_is_stable_upper_case_and_free_of_combining_marks() =>
        Gen.String.Sample(s =>
        {
            var key = SearchKeys.Normalize(s);
            return SearchKeys.Normalize(key) == key
                && !key.StartsWith(' ') && !key.EndsWith(' ') && !key.Contains("  ", StringComparison.Ordinal)
                && key.All(c => char.IsLetterOrDigit(c) || c == ' ')
                && key == key.ToUpperInvariant();
        });

    [Fact]
    public void The_table_driven_key_equals_the_decompose_and_filter_rule_for_any_input() =>
        Gen.String[Gen.OneOf(
            Gen.Char['A', 'Z'], Gen.Char['a', 'z'], Gen.Char['0', '9'], Gen.Char['\u0000', '\u00FF'], Gen.Char['\u0100', '\u024F'], Gen.Char['\u0300', '\u036F'],
            Gen.OneOf(' ', ' ', '-', '\'', '\t', '\u2019', '\u2003', 'œ', 'Œ', 'æ', 'Æ', 'ß', 'µ', 'ÿ', 'Ω', 'я', '中', '\uFB01')), 0, 40]
            .Sample(s => SearchKeys.Normalize(s) == Reference(s), iter: 20_000);

    [Fact]
    public void A_name_that_is_already_its_key_comes_back_as_the_same_string()
    {
        var name = "LE GALL";
        SearchKeys.Normalize(name).Should().BeSameAs(name);
        SearchKeys.Normalize(new string('É', 300)).Should().Be(new string('E', 300), "long input takes the general path");
    }

    /// <summary>The rule as first written (before the Latin-1 table): canonical decomposition, marks dropped, letters and digits upper-cased.</summary>
    private static string Reference(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return "";
        }

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

    [Fact]
    public void Accent_and_case_variants_share_a_key() =>
        Gen.Char['a', 'z'].Array[1, 12].Select(a => new string(a)).Sample(s =>
            SearchKeys.Normalize(s.Replace('e', 'é')) == SearchKeys.Normalize(s.ToUpperInvariant()));
}
