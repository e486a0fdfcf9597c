using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using CsCheck;
using SanteGateway.Identity;

namespace SanteGateway.Identity.Tests;

public class InsiLexicalProfileTests
{
    // The profile's grammar written independently of the implementation, as regular expressions.
    private static readonly Regex BirthNameGrammar = new(
        @"^(?=.{1,100}$)(?=.*[A-Z])(?!.*  )(?!.*'')(?!.* ')(?!.*' )(?!.*---)[A-Z'][A-Z' -]*(?<![ -])$", RegexOptions.CultureInvariant);

    private static readonly Regex FirstNamesGrammar = new(
        @"^(?=.{1,100}$)(?=.*[A-Z])(?!.*  )(?!.*'')(?!.* ')(?!.*' )(?!.*--)(?!.* -)(?!.*- )[A-Z'][A-Z' -]*(?<![ '-])$", RegexOptions.CultureInvariant);

    [Theory]
    [InlineData("Éloïse", "ELOISE")]
    [InlineData("françois", "FRANCOIS")]
    [InlineData("NUÑEZ", "NUNEZ")]
    [InlineData("CŒUR", "COEUR")]
    [InlineData("D'ÆION", "D'AEION")]
    [InlineData("œdipe", "OEDIPE")]
    [InlineData("STRAßE", "STRASSE")]
    [InlineData("ØSTERGÅRD", "OSTERGARD")]
    [InlineData("ŁUKASZ", "LUKASZ")]
    [InlineData("D\u2019ARTAGNAN", "D'ARTAGNAN")]
    [InlineData("E\u0301LODIE", "ELODIE")]
    [InlineData("  Dupont  ", "DUPONT")]
    [InlineData("DUPONT--MARTIN", "DUPONT--MARTIN")]
    [InlineData("'T HOOFT", "'T HOOFT")]
    [InlineData("DE LA\u00A0TOUR", "DE LA TOUR")]
    public void Birth_names_are_transliterated_and_upper_cased(string input, string expected)
    {
        var result = InsiLexicalProfile.NormalizeBirthName(input);
        result.IsSuccess.Should().BeTrue(result.Error?.Message);
        result.Value.Should().Be(expected);
    }

    [Theory]
    [InlineData("DUPONT2", '2', 7)]
    [InlineData("DU_PONT", '_', 3)]
    [InlineData("DU/PONT", '/', 3)]
    [InlineData("ST. JEAN", '.', 3)]
    [InlineData("Ζορμπάς", 'Ζ', 1)]
    [InlineData("  AB\tC", '\t', 5)]
    [InlineData("A×B", '×', 2)]
    public void Characters_with_no_equivalent_are_refused_with_the_character_and_its_position(string input, char c, int position)
    {
        var result = InsiLexicalProfile.NormalizeBirthName(input);
        result.IsSuccess.Should().BeFalse();
        result.Value.Should().BeNull();
        result.Error!.Rule.Should().Be(LexicalRules.Character);
        result.Error.Character.Should().Be(c);
        result.Error.Position.Should().Be(position);
        result.Error.Message.Should().Contain($"position {position}");
    }

    [Theory]
    [InlineData("-DUPONT", LexicalRules.LeadingHyphen, 1)]
    [InlineData("DU  PONT", LexicalRules.DoubleSpace, 4)]
    [InlineData("D''ARC", LexicalRules.DoubleApostrophe, 3)]
    [InlineData("D 'ARC", LexicalRules.SpaceApostrophe, 3)]
    [InlineData("D' ARC", LexicalRules.SpaceApostrophe, 3)]
    [InlineData("DUPONT---MARTIN", LexicalRules.TripleHyphen, 9)]
    [InlineData("DUPONT-", LexicalRules.TrailingHyphen, 7)]
    [InlineData("'-'", LexicalRules.LetterRequired, 1)]
    public void Birth_names_breaking_a_syntactic_rule_are_refused_with_the_rule(string input, string rule, int position)
    {
        var result = InsiLexicalProfile.NormalizeBirthName(input);
        result.Error!.Rule.Should().Be(rule);
        result.Error.Position.Should().Be(position);
    }

    [Theory]
    [InlineData("JEAN--PIERRE", LexicalRules.DoubleHyphen)]
    [InlineData("JEAN- PIERRE", LexicalRules.TrailingHyphen)]
    [InlineData("JEAN -PIERRE", LexicalRules.LeadingHyphen)]
    [InlineData("JEAN-", LexicalRules.TrailingHyphen)]
    [InlineData("JEAN'", LexicalRules.TrailingApostrophe)]
    [InlineData("-JEAN", LexicalRules.LeadingHyphen)]
    [InlineData("JEAN  PIERRE", LexicalRules.DoubleSpace)]
    public void First_names_breaking_a_first_name_rule_are_refused(string input, string rule)
    {
        InsiLexicalProfile.NormalizeFirstNames(input).Error!.Rule.Should().Be(rule);
        InsiLexicalProfile.NormalizeFirstName(input).Error!.Rule.Should().Be(rule);
        InsiLexicalProfile.IsConformFirstNames(input).Should().BeFalse();
    }

    [Theory]
    [InlineData("pierre-alain muriel floriant", "PIERRE-ALAIN MURIEL FLORIANT")]
    [InlineData("Anne Sophie", "ANNE SOPHIE")]
    [InlineData("N'GOLO", "N'GOLO")]
    public void First_name_lists_are_normalised(string input, string expected)
    {
        InsiLexicalProfile.NormalizeFirstNames(input).Value.Should().Be(expected);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(" \t ")]
    public void Empty_input_is_refused_as_required(string? input)
    {
        InsiLexicalProfile.NormalizeBirthName(input).Error!.Rule.Should().Be(LexicalRules.Required);
        InsiLexicalProfile.NormalizeFirstNames(input).Error!.Rule.Should().Be(LexicalRules.Required);
    }

    [Fact]
    public void Names_longer_than_100_characters_once_normalised_are_refused()
    {
        InsiLexicalProfile.NormalizeBirthName(new string('A', 100)).IsSuccess.Should().BeTrue();
        InsiLexicalProfile.NormalizeBirthName(new string('A', 101)).Error!.Rule.Should().Be(LexicalRules.MaxLength);
        InsiLexicalProfile.NormalizeFirstNames(string.Concat(Enumerable.Repeat("Œ", 51))).Error!.Rule.Should().Be(LexicalRules.MaxLength);
        InsiLexicalProfile.NormalizeBirthName(new string('a', 10_000)).Error!.Rule.Should().Be(LexicalRules.MaxLength);
    }

    [Fact]
    public void An_already_clean_name_is_returned_as_the_same_instance()
    {
        var clean = "DE LA TOUR D'AUVERGNE--MARTIN";
        var result = InsiLexicalProfile.NormalizeBirthName(clean);
        result.Value.Should().BeSameAs(clean);
        InsiLexicalProfile.IsConformBirthName(clean).Should().BeTrue();
    }

    [Theory]
    [InlineData(" DUPONT")]
    [InlineData("DUPONT ")]
    [InlineData("dupont")]
    [InlineData("DUPONT2")]
    [InlineData("")]
    public void The_conformity_check_refuses_anything_normalisation_would_change(string input)
    {
        InsiLexicalProfile.IsConformBirthName(input).Should().BeFalse();
        InsiLexicalProfile.IsConformFirstNames(input).Should().BeFalse();
    }

    [Fact]
    public void Double_hyphen_is_allowed_only_in_birth_names()
    {
        InsiLexicalProfile.IsConformBirthName("DUPONT--MARTIN").Should().BeTrue();
        InsiLexicalProfile.IsConformFirstNames("JEAN--PIERRE").Should().BeFalse();
    }

    [Fact]
    public void Every_latin_letter_with_a_diacritic_becomes_its_base_letter()
    {
        // Reference: Unicode canonical decomposition (independent of the implementation's table).
        for (var c = '\u00C0'; c <= '\u017F'; c++)
        {
            var decomposed = c.ToString().Normalize(NormalizationForm.FormD);
            if (decomposed.Length < 2 || !char.IsAsciiLetter(decomposed[0]))
            {
                continue;
            }

            var result = InsiLexicalProfile.NormalizeBirthName("X" + c);
            result.Value.Should().Be("X" + char.ToUpperInvariant(decomposed[0]), $"U+{(int)c:X4} decomposes to {decomposed[0]}");
        }
    }

    private static readonly Gen<string> AnyName = Gen.String[Gen.OneOf(
        Gen.Char['A', 'Z'], Gen.Char['a', 'z'], Gen.Char['\u00C0', '\u017F'],
        Gen.OneOf(' ', '\'', '-', '\u2019', '0', '_', '.', '\t', '\u0301')), 0, 40];

    [Fact]
    public void Normalisation_is_idempotent()
    {
        var accepted = 0;
        AnyName.Sample(s =>
        {
            foreach (var normalize in new Func<string?, LexicalResult>[] { InsiLexicalProfile.NormalizeBirthName, InsiLexicalProfile.NormalizeFirstNames })
            {
                var once = normalize(s);
                if (once.IsSuccess)
                {
                    Interlocked.Increment(ref accepted);
                    var twice = normalize(once.Value);
                    twice.Value.Should().BeSameAs(once.Value);
                }
            }
        }, iter: 20_000);
        accepted.Should().BeGreaterThan(500, "the generator must produce acceptable names for the property to mean anything");
    }

    [Fact]
    public void Every_accepted_output_matches_the_profile_grammar_and_every_refusal_names_a_rule()
    {
        AnyName.Sample(s =>
        {
            var birth = InsiLexicalProfile.NormalizeBirthName(s);
            if (birth.IsSuccess)
            {
                BirthNameGrammar.IsMatch(birth.Value).Should().BeTrue(birth.Value);
                InsiLexicalProfile.IsConformBirthName(birth.Value).Should().BeTrue();
            }
            else
            {
                birth.Error!.Rule.Should().NotBeNullOrEmpty();
            }

            var first = InsiLexicalProfile.NormalizeFirstNames(s);
            if (first.IsSuccess)
            {
                FirstNamesGrammar.IsMatch(first.Value).Should().BeTrue(first.Value);
            }
        }, iter: 20_000);
    }

    [Fact]
    public void The_conformity_check_agrees_with_the_grammar_on_text_of_the_alphabet()
    {
        Gen.String[Gen.OneOf(Gen.Char['A', 'C'], Gen.OneOf(' ', '\'', '-')), 0, 12].Sample(s =>
        {
            InsiLexicalProfile.IsConformBirthName(s).Should().Be(BirthNameGrammar.IsMatch(s), s);
            InsiLexicalProfile.IsConformFirstNames(s).Should().Be(FirstNamesGrammar.IsMatch(s), s);
        }, iter: 20_000);
    }

    [Fact]
    public void A_refusal_position_points_at_a_character_of_the_input()
    {
        AnyName.Sample(s =>
        {
            var r = InsiLexicalProfile.NormalizeBirthName(s);
            if (r.Error is { Position: { } p, Character: { } c })
            {
                p.Should().BeInRange(1, s.Length);
                s[p - 1].Should().Be(c);
            }
        }, iter: 20_000);
    }

    [Fact]
    public void Lower_case_input_gives_the_same_result_as_upper_case_input()
    {
        Gen.String[Gen.OneOf(Gen.Char['a', 'z'], Gen.OneOf(' ', '\'', '-')), 1, 30].Sample(s =>
        {
            InsiLexicalProfile.NormalizeBirthName(s).Value.Should().Be(InsiLexicalProfile.NormalizeBirthName(s.ToUpper(CultureInfo.InvariantCulture)).Value);
        }, iter: 5_000);
    }

    [Fact]
    public void Normalisation_never_throws_on_arbitrary_text_and_always_answers_value_or_error()
    {
        Gen.String[Gen.Char, 0, 500].Sample(s =>
        {
            foreach (var r in new[] { InsiLexicalProfile.NormalizeBirthName(s), InsiLexicalProfile.NormalizeFirstNames(s), InsiLexicalProfile.NormalizeFirstName(s) })
            {
                (r.Value is null).Should().Be(r.Error is not null);
                r.IsSuccess.Should().Be(r.Value is not null);
            }
        }, iter: 5_000);
    }
}
