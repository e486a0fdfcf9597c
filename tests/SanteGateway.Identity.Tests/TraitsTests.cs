using SanteGateway.Identity;

namespace SanteGateway.Identity.Tests;

public class TraitsTests
{
    private static readonly BirthDate Born = new(new DateOnly(1979, 3, 28), false);

    [Theory]
    [InlineData("1980-05-14", 1980, 5, 14, false)]
    [InlineData("1980-05-00", 1980, 5, 1, true)]
    [InlineData("1980-00-14", 1980, 1, 14, true)]
    [InlineData("1980-00-00", 1980, 12, 31, true)]
    [InlineData("1980-05", 1980, 5, 1, true)]
    [InlineData("1980", 1980, 12, 31, true)]
    public void Partial_birth_dates_are_completed_and_marked_corrected(string text, int y, int m, int d, bool corrected)
    {
        BirthDate.TryParseIso(text, out var date).Should().BeTrue();
        date.Value.Should().Be(new DateOnly(y, m, d));
        date.IsCorrected.Should().Be(corrected);
        date.ToIso().Should().Be($"{y:0000}-{m:00}-{d:00}");
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("1980-13-01")]
    [InlineData("1980-02-30")]
    [InlineData("0000-01-01")]
    [InlineData("80-01-01")]
    [InlineData("1980/01/01")]
    [InlineData("1980-1-1")]
    [InlineData("1980-05-14T00:00")]
    public void Malformed_birth_dates_are_refused(string? text)
    {
        BirthDate.TryParseIso(text, out _, out var error).Should().BeFalse();
        if (text is not null)
        {
            error.Should().NotBeNullOrEmpty();
        }
    }

    [Fact]
    public void The_insi_sex_codes_are_F_and_M_only()
    {
        SexCodes.TryParseInsi("F", out var f).Should().BeTrue();
        f.Should().Be(Sex.Female);
        SexCodes.TryParseInsi("M", out var m).Should().BeTrue();
        m.Should().Be(Sex.Male);
        SexCodes.TryParseInsi("U", out _).Should().BeFalse();
        SexCodes.TryParseInsi("f", out _).Should().BeFalse();
        SexCodes.ToInsi(Sex.Female).Should().Be('F');
        var unknown = () => SexCodes.ToInsi(Sex.Unknown);
        unknown.Should().Throw<ArgumentOutOfRangeException>();
    }

    [Theory]
    [InlineData("63220", true, false, false)]
    [InlineData("2A004", true, false, false)]
    [InlineData("2B020", true, false, false)]
    [InlineData("99255", true, true, false)]
    [InlineData("97411", true, false, true)]
    [InlineData("98735", true, false, true)]
    [InlineData("2C004", false, false, false)]
    [InlineData("3A004", false, false, false)]
    [InlineData("6322", false, false, false)]
    [InlineData("632200", false, false, false)]
    [InlineData("632A0", false, false, false)]
    public void Birth_place_codes_are_five_characters_with_corsica_abroad_and_overseas(string cog, bool valid, bool abroad, bool overseas)
    {
        BirthPlaceCog.IsValid(cog).Should().Be(valid);
        BirthPlaceCog.IsAbroad(cog).Should().Be(abroad);
        BirthPlaceCog.IsOverseas(cog).Should().Be(overseas);
    }

    [Fact]
    public void Valid_traits_are_kept_verbatim_and_used_names_are_not_filled_from_birth_names()
    {
        var r = IdentityTraits.Create("Pat-Trois", ["Dominique", "Éloïse"], "Dominique", Sex.Female, Born, "2a004");
        r.IsValid.Should().BeTrue(r.ToString());
        var t = r.Value!;
        t.BirthName.Should().Be("Pat-Trois");
        t.BirthFirstNamesJoined.Should().Be("Dominique Éloïse");
        t.BirthPlaceCog.Should().Be("2A004");
        t.UsedName.Should().BeNull();
        t.UsedFirstName.Should().BeNull();
        t.ToString().Should().NotContain("Pat");
    }

    [Theory]
    [InlineData("JEAN-CHRISTOPHE", "JEAN CHRISTOPHE PIERRE", true)]
    [InlineData("JEAN CHRISTOPHE", "JEAN-CHRISTOPHE PIERRE", true)]
    [InlineData("JEAN", "JEAN-CHRISTOPHE PIERRE", true)]
    [InlineData("N'GOLO", "N GOLO", true)]
    [InlineData("CHRISTOPHE", "JEAN CHRISTOPHE PIERRE", false)]
    [InlineData("JEAN-CHRIS", "JEAN CHRISTOPHE", false)]
    [InlineData("JEAN CHRISTOPHE PIERRE PAUL", "JEAN CHRISTOPHE PIERRE", false)]
    public void The_first_first_name_must_be_the_start_of_the_list_with_hyphens_and_apostrophes_as_spaces(string first, string list, bool consistent)
    {
        IdentityTraits.IsConsistentFirstFirstName(first, IdentityTraits.SplitFirstNames(list)).Should().Be(consistent);
        var r = IdentityTraits.Create("DUPONT", IdentityTraits.SplitFirstNames(list), first, Sex.Male, Born, null);
        r.IsValid.Should().Be(consistent);
        if (!consistent)
        {
            r.Errors.Should().ContainSingle(e => e.Field == "FirstFirstName" && e.Rule == "first-name-consistency");
        }
    }

    [Fact]
    public void An_empty_first_name_list_from_insi_is_accepted()
    {
        IdentityTraits.Create("ADRUN", [], "ZOE", Sex.Female, Born, "63220").IsValid.Should().BeTrue();
    }

    [Fact]
    public void Every_broken_rule_is_reported_with_its_field_and_rule()
    {
        var r = IdentityTraits.Create(null, ["A", " "], "", (Sex)9, default, "ABCDE", "   ", new string('X', 101));
        r.IsValid.Should().BeFalse();
        r.Value.Should().BeNull();
        r.Errors.Select(e => (e.Field, e.Rule)).Should().BeEquivalentTo(new[]
        {
            ("BirthName", "required"),
            ("FirstFirstName", "required"),
            ("UsedName", "blank"),
            ("UsedFirstName", "max-length"),
            ("BirthFirstNames", "blank"),
            ("Sex", "defined"),
            ("BirthDate", "required"),
            ("BirthPlaceCog", "cog-format"),
        });
    }

    [Fact]
    public void A_birth_name_or_first_name_list_over_100_characters_is_refused()
    {
        var longName = IdentityTraits.Create(new string('A', 101), ["A"], "A", Sex.Male, Born, null);
        longName.Errors.Should().ContainSingle(e => e.Field == "BirthName" && e.Rule == "max-length");
        var longList = IdentityTraits.Create("A", Enumerable.Repeat("ABCDEFGHI", 11).ToArray(), "ABCDEFGHI", Sex.Male, Born, null);
        longList.Errors.Should().ContainSingle(e => e.Field == "BirthFirstNames" && e.Rule == "max-length");
    }

    [Fact]
    public void Traits_compare_by_value_including_the_first_name_list()
    {
        var a = IdentityTraits.Create("A", ["B", "C"], "B", Sex.Male, Born, null).Value!;
        var b = IdentityTraits.Create("A", new List<string> { "B", "C" }, "B", Sex.Male, Born, null).Value!;
        a.Should().Be(b);
        a.HasSameStrictTraits(a.WithUsedNames("X", null).Value!).Should().BeTrue();
        a.Equals(a.WithUsedNames("X", null).Value).Should().BeFalse();
    }
}
