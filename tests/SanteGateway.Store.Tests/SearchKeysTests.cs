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
    public void Accent_and_case_variants_share_a_key() =>
        Gen.Char['a', 'z'].Array[1, 12].Select(a => new string(a)).Sample(s =>
            SearchKeys.Normalize(s.Replace('e', 'é')) == SearchKeys.Normalize(s.ToUpperInvariant()));
}
