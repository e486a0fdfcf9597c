using CsCheck;
using SanteGateway.Identity;

namespace SanteGateway.Identity.Tests;

public class InsMatriculeTests
{
    // ins-rules.md §1.3: valid vectors.
    public static TheoryData<string> ValidVectors =>
    [
        "279035121518989", "297022A02077878", "180032B02040123", "253072A07300443", "253072B07300470",
        "236066322083656", "277076322082910", "274075176079430", "260058815400233",
    ];

    // insi.md §3.1: NumIdentifiant + Cle returned by INSi (test platform and CNDA files).
    public static TheoryData<string, string> InsiValues => new()
    {
        { "297022A020778", "78" }, { "160012B020777", "13" }, { "1090763220834", "89" }, { "2090763220834", "39" },
        { "2090663220123", "55" }, { "2360663220836", "56" }, { "180032B020401", "23" }, { "1090763220888", "35" },
    };

    [Theory]
    [MemberData(nameof(ValidVectors))]
    public void Every_valid_vector_of_the_rules_is_accepted(string value)
    {
        InsMatricule.TryParse(value, out var m, out var error).Should().BeTrue();
        error.Should().BeNull();
        m.Value.Should().Be(value);
        m.Body.Should().Be(value[..13]);
        m.Key.Should().Be(value[13..]);
        InsMatricule.IsValid(value).Should().BeTrue();
        InsMatricule.ComputeKey(value.AsSpan(0, 13)).Should().Be(int.Parse(value[13..]));
    }

    [Theory]
    [InlineData("276037510669380", "26")]
    [InlineData("260058815400244", "33")]
    public void A_matricule_with_a_wrong_key_is_refused_with_the_expected_key(string value, string expected)
    {
        InsMatricule.TryParse(value, out _, out var error).Should().BeFalse();
        error!.Kind.Should().Be(InsMatriculeErrorKind.WrongKey);
        error.ExpectedKey.Should().Be(expected);
        error.Message.Should().Contain(expected);
        InsMatricule.IsValid(value).Should().BeFalse();
    }

    [Theory]
    [InlineData("123456789012244")]
    [InlineData("147720425367411")]
    public void The_invalid_examples_of_official_documents_are_refused(string value)
    {
        InsMatricule.TryParse(value, out _, out var error).Should().BeFalse();
        error!.Kind.Should().Be(InsMatriculeErrorKind.WrongKey);
        InsMatricule.IsValid(value).Should().BeFalse();
    }

    [Theory]
    [MemberData(nameof(InsiValues))]
    public void Every_insi_value_of_the_spec_is_accepted_from_its_two_parts(string numIdentifiant, string cle)
    {
        InsMatricule.TryFromParts(numIdentifiant, cle, out var m, out var error).Should().BeTrue(error?.Message);
        m.Value.Should().Be(numIdentifiant + cle);
        InsMatricule.ComputeKey(numIdentifiant).Should().Be(int.Parse(cle));
    }

    [Theory]
    [InlineData("1810363220456", "60", "76")]
    [InlineData("2810363220456", "10", "26")]
    public void The_cnda_wrong_key_history_case_is_refused_with_the_expected_key(string numIdentifiant, string cle, string expected)
    {
        InsMatricule.TryFromParts(numIdentifiant, cle, out _, out var error).Should().BeFalse();
        error!.ExpectedKey.Should().Be(expected);
    }

    [Fact]
    public void A_missing_key_from_insi_is_refused_rather_than_computed()
    {
        InsMatricule.TryFromParts("160012B020777", null, out _, out var error).Should().BeFalse();
        error!.Kind.Should().Be(InsMatriculeErrorKind.Empty);
        error.Message.Should().Contain("Cle");
    }

    [Fact]
    public void A_num_identifiant_of_the_wrong_length_is_refused()
    {
        InsMatricule.TryFromParts("16001", "13", out _, out var error).Should().BeFalse();
        error!.Kind.Should().Be(InsMatriculeErrorKind.Length);
    }

    [Theory]
    [InlineData("1600 12B0 20777 13")]
    [InlineData("1 60 01 2b 020 777 13")]
    [InlineData(" 160012B02077713\t")]
    public void Spaces_are_stripped_and_letters_upper_cased(string input)
    {
        InsMatricule.Parse(input).Value.Should().Be("160012B02077713");
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void An_empty_matricule_is_refused_as_empty(string? input)
    {
        InsMatricule.TryParse(input, out _, out var error).Should().BeFalse();
        error!.Kind.Should().Be(InsMatriculeErrorKind.Empty);
    }

    [Theory]
    [InlineData("27903512151898")]
    [InlineData("2790351215189890")]
    public void A_matricule_of_the_wrong_length_is_refused_and_the_length_is_given(string input)
    {
        InsMatricule.TryParse(input, out _, out var error).Should().BeFalse();
        error!.Kind.Should().Be(InsMatriculeErrorKind.Length);
        error.Message.Should().Contain(input.Length.ToString());
    }

    [Theory]
    [InlineData("379035121518989", 1)]
    [InlineData("779035121518989", 1)]
    [InlineData("27903512X518989", 9)]
    [InlineData("2790351215189X9", 14)]
    [InlineData("29702AA02077878", 6)]
    [InlineData("2970212A2077878", 8)]
    [InlineData("297021A02077878", 7)]
    [InlineData("297022C02077878", 7)]
    [InlineData("2A7022002077878", 2)]
    [InlineData("279035121518-89", 13)]
    public void A_character_not_allowed_at_its_position_is_refused_with_its_1_based_position(string input, int position)
    {
        InsMatricule.TryParse(input, out _, out var error).Should().BeFalse();
        error!.Kind.Should().Be(InsMatriculeErrorKind.Character);
        error.Position.Should().Be(position);
        error.Message.Should().Contain($"position {position}");
        InsMatricule.IsValid(input).Should().BeFalse();
    }

    [Fact]
    public void Parse_throws_a_format_exception_carrying_the_reason()
    {
        var act = () => InsMatricule.Parse("276037510669380");
        act.Should().Throw<FormatException>().WithMessage("*expected 26*");
    }

    [Fact]
    public void Corsican_departments_are_read_as_19_and_18_for_the_key()
    {
        InsMatricule.ComputeKey("253072A073004").Should().Be(43).And.Be(InsMatricule.ComputeKey("2530719073004"));
        InsMatricule.ComputeKey("253072B073004").Should().Be(70).And.Be(InsMatricule.ComputeKey("2530718073004"));
    }

    [Fact]
    public void Compute_key_refuses_a_malformed_body()
    {
        var act = () => InsMatricule.ComputeKey("12345");
        act.Should().Throw<ArgumentException>();
        var letters = () => InsMatricule.ComputeKey("1234A67890123");
        letters.Should().Throw<ArgumentException>();
    }

    [Fact]
    public void Is_valid_accepts_lower_case_corsican_letters_and_refuses_spaces()
    {
        InsMatricule.IsValid("297022a02077878").Should().BeTrue();
        InsMatricule.IsValid("297022A0207787 ").Should().BeFalse();
        InsMatricule.IsValid("").Should().BeFalse();
    }

    [Fact]
    public void The_display_form_groups_the_fields_and_parses_back()
    {
        var m = InsMatricule.Parse("160012B02077713");
        m.ToDisplayString().Should().Be("1 60 01 2B 020 777 13");
        m.ToString().Should().Be("160012B02077713");
        default(InsMatricule).Value.Should().BeEmpty();
        default(InsMatricule).ToDisplayString().Should().BeEmpty();
    }

    // Bodies in the ranges of ins-rules §1.2: month 01-12 or 20-99, department 01-95, 2A/2B, 97-99.
    private static readonly Gen<string> Body13 =
        Gen.Select(
            Gen.OneOf('1', '2'),
            Gen.Char['0', '9'].Array[2],
            Gen.OneOf(Gen.Int[1, 12], Gen.Int[20, 99]).Select(m => m.ToString("00", System.Globalization.CultureInfo.InvariantCulture)),
            Gen.OneOf(Gen.OneOf(Gen.Int[1, 95], Gen.Int[97, 99]).Select(d => d.ToString("00", System.Globalization.CultureInfo.InvariantCulture)), Gen.OneOf("2A", "2B")),
            Gen.Char['0', '9'].Array[6],
            (s, y, m, d, b) => s + new string(y) + m + d + new string(b));

    [Fact]
    public void Any_13_character_body_has_exactly_one_valid_key_among_01_to_97()
    {
        Body13.Sample(body =>
        {
            var valid = Enumerable.Range(1, 97).Where(k => InsMatricule.IsValid(body + k.ToString("00"))).ToList();
            valid.Should().ContainSingle();
            valid[0].Should().Be(InsMatricule.ComputeKey(body));
            InsMatricule.IsValid(body + "00").Should().BeFalse();
            InsMatricule.IsValid(body + "98").Should().BeFalse();
        }, iter: 2000);
    }

    [Fact]
    public void Parse_and_format_round_trip()
    {
        Body13.Sample(body =>
        {
            var m = InsMatricule.Parse(body + InsMatricule.ComputeKey(body).ToString("00"));
            InsMatricule.Parse(m.ToDisplayString()).Should().Be(m);
            InsMatricule.Parse(m.Value.ToLowerInvariant()).Should().Be(m);
            InsMatricule.TryFromParts(m.Body, m.Key, out var fromParts, out _).Should().BeTrue();
            fromParts.Should().Be(m);
        }, iter: 2000);
    }

    [Fact]
    public void The_key_agrees_with_a_reference_computation_on_big_integers()
    {
        Body13.Sample(body =>
        {
            var digits = body.Replace("2A", "19").Replace("2B", "18");
            var expected = 97 - (int)(System.Numerics.BigInteger.Parse(digits) % 97);
            InsMatricule.ComputeKey(body).Should().Be(expected);
        }, iter: 2000);
    }

    [Fact]
    public void Try_parse_never_throws_and_agrees_with_is_valid_on_arbitrary_text()
    {
        Gen.String[Gen.Char.AlphaNumeric, 0, 20].Sample(s =>
        {
            var ok = InsMatricule.TryParse(s, out var m, out var error);
            (ok ^ (error is not null)).Should().BeTrue();
            if (s.Length == 15)
            {
                InsMatricule.IsValid(s.ToUpperInvariant()).Should().Be(ok);
            }

            if (ok)
            {
                InsMatricule.IsValid(m.Value).Should().BeTrue();
            }
        }, iter: 5000);
    }
}
