using System.Globalization;
using System.Text;
using CsCheck;

namespace SanteGateway.Identity.Tests;

/// <summary>The identity-vigilance rules moved into the domain (issue: application layer and vigilance).</summary>
public class VigilanceRulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 10, 0, 0, TimeSpan.Zero);
    private static readonly HighTrustDocumentPolicy Policy = new(["CN", "PA", "CS"]);
    private static readonly Evidence Passport = new("PA", new DateOnly(2026, 11, 30), new DateOnly(2031, 1, 1));
    private static readonly InsIdentifier Ins = new(InsMatricule.Parse("279035121518989"), InsOids.Nir);
    private static readonly InsIdentifier Newer = new(InsMatricule.Parse("297022A02077878"), InsOids.Nir);

    private static string WithKey(string body13) => body13 + InsMatricule.ComputeKey(body13).ToString("00", CultureInfo.InvariantCulture);

    private static IdentityTraits Traits(string birthName, string firstNames, string firstFirst, string date = "1979-03-28", string? cog = "63220")
    {
        BirthDate.TryParseIso(date, out var d).Should().BeTrue();
        return IdentityTraits.Create(birthName, IdentityTraits.SplitFirstNames(firstNames), firstFirst, Sex.Female, d, cog).Value!;
    }

    [Theory]
    [InlineData("2790051215189", 4)]
    [InlineData("2791351215189", 4)]
    [InlineData("2791951215189", 4)]
    [InlineData("2790300215189", 6)]
    [InlineData("2790396215189", 6)]
    public void A_matricule_whose_month_or_department_is_out_of_range_is_refused_with_the_position(string body, int position)
    {
        InsMatricule.TryParse(WithKey(body), out _, out var error).Should().BeFalse();
        error!.Kind.Should().Be(InsMatriculeErrorKind.Range);
        error.Position.Should().Be(position);
        InsMatricule.IsValid(WithKey(body)).Should().BeFalse();
    }

    [Theory]
    [InlineData("2792051215189")]
    [InlineData("2799951215189")]
    [InlineData("2790397215189")]
    [InlineData("2790399215189")]
    [InlineData("297022A020778")]
    public void Unknown_months_overseas_abroad_and_corsican_departments_are_accepted(string body)
    {
        InsMatricule.TryParse(WithKey(body), out _, out var error).Should().BeTrue(error?.Message);
        InsMatricule.IsValid(WithKey(body)).Should().BeTrue();
    }

    [Theory]
    [InlineData("ȘTEFĂNESCU", "STEFANESCU")]
    [InlineData("ȚEPEȘ", "TEPES")]
    [InlineData("NGUYỄN", "NGUYEN")]
    [InlineData("TRƯƠNG", "TRUONG")]
    [InlineData("ǅOKIĆ", "DZOKIC")]
    [InlineData("ƠN", "ON")]
    public void Latin_extended_b_and_additional_letters_are_transliterated(string input, string expected)
    {
        InsiLexicalProfile.NormalizeBirthName(input).Value.Should().Be(expected);
        InsiLexicalProfile.NormalizeBirthName(input.Normalize(NormalizationForm.FormD)).Value.Should().Be(expected);
        InsiLexicalProfile.NeedsTransliteration(input).Should().BeTrue();
    }

    [Fact]
    public void Normalisation_does_not_depend_on_nfc_or_nfd()
    {
        var letters = "AEIOUCNSTZaeiouyçñșțăâîéèêëüöőűøåæœßǆǈƀƒǝḁḃẞạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ '-ΩЖ1";
        Gen.Char[letters].Array[1, 20].Select(a => new string(a)).Sample(s =>
        {
            var nfc = InsiLexicalProfile.NormalizeBirthName(s.Normalize(NormalizationForm.FormC));
            var nfd = InsiLexicalProfile.NormalizeBirthName(s.Normalize(NormalizationForm.FormD));
            return nfc.IsSuccess == nfd.IsSuccess && nfc.Value == nfd.Value;
        }, iter: 5000);
    }

    [Theory]
    [InlineData("ADRTROIS", false)]
    [InlineData("d'artagnan de l’herault", false)]
    [InlineData("HÉLÈNE", true)]
    [InlineData("D'ÆION", true)]
    public void Only_a_replaced_letter_needs_the_users_confirmation(string input, bool needs) =>
        InsiLexicalProfile.NeedsTransliteration(input).Should().Be(needs);

    [Theory]
    [InlineData("1960-00-00", "1960-12-31", BirthDateParts.Day | BirthDateParts.Month)]
    [InlineData("1960-05-00", "1960-05-01", BirthDateParts.Day)]
    [InlineData("1960-00-15", "1960-01-15", BirthDateParts.Month)]
    [InlineData("1960", "1960-12-31", BirthDateParts.Day | BirthDateParts.Month)]
    [InlineData("1960-05-17", "1960-05-17", BirthDateParts.None)]
    public void A_partial_birth_date_keeps_its_declared_form_beside_the_completed_date(string input, string completed, BirthDateParts unknown)
    {
        BirthDate.TryParseIso(input, out var d).Should().BeTrue();
        d.ToIso().Should().Be(completed);
        d.UnknownParts.Should().Be(unknown);
        d.IsCorrected.Should().Be(unknown != BirthDateParts.None);
        d.ToDeclared().Should().Be(input.Length == 4 ? "1960-00-00" : input);
    }

    [Fact]
    public void The_first_first_name_chosen_locally_is_kept_when_insi_returns_the_list()
    {
        var id = RnivIdentity.CreateProvisional(Traits("Dupont", "Anne Sophie Marie", "Anne Sophie"));
        var insi = Traits("DUPONT", "ANNE SOPHIE MARIE", "ANNE");

        id.RecordInsiResult(Ins, [], insi, Now).Succeeded.Should().BeTrue();

        id.Traits.FirstFirstName.Should().Be("ANNE SOPHIE");
        id.Traits.BirthFirstNamesJoined.Should().Be("ANNE SOPHIE MARIE");
        id.Traits.BirthName.Should().Be("DUPONT");
    }

    [Fact]
    public void An_empty_first_name_list_from_insi_keeps_the_local_first_names()
    {
        var id = RnivIdentity.CreateProvisional(Traits("Dupont", "Jean Pierre", "Jean"));
        var insi = IdentityTraits.Create("DUPONT", [], "X", Sex.Female, new BirthDate(new DateOnly(1979, 3, 28), false), "63220").Value!;

        TraitComparison.Differences(id.Traits, insi).Should().BeEmpty();
        id.RecordInsiResult(Ins, [], insi, Now).Succeeded.Should().BeTrue();

        id.Status.Should().Be(IdentityStatus.Recup);
        id.Traits.BirthFirstNamesJoined.Should().Be("Jean Pierre");
        id.Traits.FirstFirstName.Should().Be("Jean");
    }

    [Fact]
    public void A_corrected_birth_date_returned_by_insi_keeps_its_marker()
    {
        var id = RnivIdentity.CreateProvisional(Traits("Dupont", "Jean", "Jean", "1960-00-00"));
        var insi = Traits("DUPONT", "JEAN", "JEAN", "1960-00-00");

        id.RecordInsiResult(Ins, [], insi, Now).Succeeded.Should().BeTrue();

        id.Traits.BirthDate.IsCorrected.Should().BeTrue();
        id.Traits.BirthDate.ToDeclared().Should().Be("1960-00-00");
    }

    [Fact]
    public void Traits_compare_in_the_insi_form_so_case_and_accents_are_not_differences()
    {
        var local = Traits("Hélène-Dupré", "Jean-Pierre Marie", "Jean-Pierre");
        var insi = Traits("HELENE-DUPRE", "JEAN PIERRE MARIE", "JEAN");
        TraitComparison.Differences(local, insi).Should().BeEmpty();

        var other = Traits("DUPRE", "JEANNE", "JEANNE");
        TraitComparison.Differences(local, other).Select(d => d.Field).Should().Equal("birthName", "firstFirstName");
    }

    [Fact]
    public void A_first_name_is_not_the_start_of_a_longer_one()
    {
        TraitComparison.InsiFirstFirstName("JEAN", ["JEANNE"]).Should().BeNull();
        TraitComparison.InsiFirstFirstName("Jean", ["JEAN-PIERRE"]).Should().Be("JEAN");
        TraitComparison.InsiFirstFirstName("Jean Pierre", ["JEAN-PIERRE", "PAUL"]).Should().Be("JEAN-PIERRE");
    }

    [Fact]
    public void Strict_traits_of_a_qualified_identity_are_locked_except_for_identity_vigilance()
    {
        var id = RnivIdentity.CreateProvisional(Traits("Dupont", "Jean", "Jean"));
        id.RecordHighTrustEvidence(Passport, Policy).Succeeded.Should().BeTrue();
        id.RecordInsiResult(Ins, [], Traits("DUPONT", "JEAN", "JEAN"), Now).Succeeded.Should().BeTrue();
        var edited = Traits("DUPONTEL", "JEAN", "JEAN");

        var refused = id.EditStrictTraits(edited, byIdentityVigilance: false);
        refused.Succeeded.Should().BeFalse();
        refused.Rule.Should().Be("rniv.strict-traits-locked");
        id.Status.Should().Be(IdentityStatus.Qual);

        id.EditStrictTraits(edited, byIdentityVigilance: true).Succeeded.Should().BeTrue();
        id.Status.Should().Be(IdentityStatus.Vali);
        id.Ins.Should().BeNull();
    }

    [Fact]
    public void A_newer_ins_becomes_active_and_the_previous_one_goes_to_history()
    {
        var id = RnivIdentity.CreateProvisional(Traits("Dupont", "Jean", "Jean"));
        id.RecordInsiResult(Ins, [], Traits("DUPONT", "JEAN", "JEAN"), Now).Succeeded.Should().BeTrue();

        id.RecordNewerIns(Newer, [Ins], Now).Succeeded.Should().BeTrue();

        id.Ins.Should().Be(Newer);
        id.InsHistory.Should().Equal(Ins);
        id.Status.Should().Be(IdentityStatus.Recup);
        id.RecordNewerIns(Newer, [Newer], Now).Rule.Should().Be("rniv.history-holds-active");
    }

    [Fact]
    public void The_active_ins_is_never_also_a_history_entry()
    {
        var id = RnivIdentity.CreateProvisional(Traits("Dupont", "Jean", "Jean"));
        id.RecordInsiResult(Ins, [Ins], Traits("DUPONT", "JEAN", "JEAN"), Now).Rule.Should().Be("rniv.history-holds-active");
    }

    [Theory]
    [InlineData(Sex.Unknown, IdentityAttributes.None, "insi.sex")]
    [InlineData(Sex.Female, IdentityAttributes.Doubtful, "rniv.insi-blocked")]
    [InlineData(Sex.Female, IdentityAttributes.None, null)]
    public void Insi_is_called_only_for_a_sex_f_or_m_and_no_doubtful_or_fictitious_attribute(Sex sex, IdentityAttributes attributes, string? rule)
    {
        var traits = IdentityTraits.Create("DUPONT", ["JEAN"], "JEAN", sex, new BirthDate(new DateOnly(1980, 1, 1), false), null).Value!;
        var id = RnivIdentity.CreateProvisional(traits);
        id.SetAttributes(attributes).Succeeded.Should().BeTrue();
        id.CheckInsiCall()?.Rule.Should().Be(rule);
        (id.CheckInsiCall() is null).Should().Be(rule is null);
    }

    [Theory]
    [InlineData("DUPONT", "DUPOND")]
    [InlineData("GAUTHIER", "GAUTIER")]
    [InlineData("PHILIPPE", "FILIPE")]
    [InlineData("Lefèvre", "LEFEVRE")]
    [InlineData("MAILLARD", "MAYARD")]
    public void Spellings_of_the_same_french_sound_share_a_phonetic_key(string a, string b) =>
        FrenchPhonetic.Key(a).Should().Be(FrenchPhonetic.Key(b)).And.NotBeEmpty();

    [Fact]
    public void The_phonetic_key_ignores_case_and_never_fails()
    {
        Gen.String.Sample(s =>
        {
            var key = FrenchPhonetic.Key(s);
            return key.Length <= 100 && key == FrenchPhonetic.Key(s.ToUpperInvariant()) || s.Any(c => char.ToUpperInvariant(c) != char.ToLowerInvariant(c) && c > '\u007F');
        }, iter: 3000);
    }

    [Fact]
    public void Raw_traits_are_checked_with_the_field_names_of_the_callers()
    {
        var result = TraitInput.Traits(new RawTraits("Dupont3", "Jean", null, "X", "2999-01-01", null), new DateOnly(2026, 12, 1));
        result.IsValid.Should().BeFalse();
        result.Errors.Select(e => (e.Field, e.Rule)).Should().BeEquivalentTo([("birthName", "character"), ("sex", "code"), ("birthDate", "future")]);
    }

    /// <summary>Random sequences of the domain's operations always leave a state that <see cref="RnivIdentity.Restore"/> accepts.</summary>
    [Fact]
    public void Any_sequence_of_domain_operations_leaves_a_state_that_restore_accepts()
    {
        var ops = Gen.Int[0, 8].Array[1, 25];
        ops.Sample(seq =>
        {
            var id = RnivIdentity.CreateProvisional(Traits("Dupont", "Jean Paul", "Jean"));
            foreach (var op in seq)
            {
                _ = op switch
                {
                    0 => id.RecordInsiResult(Ins, [Newer], Traits("DUPONT", "JEAN PAUL", "JEAN"), Now),
                    1 => id.RecordHighTrustEvidence(Passport, Policy),
                    2 => id.SetAttributes(IdentityAttributes.Doubtful),
                    3 => id.SetAttributes(IdentityAttributes.None),
                    4 => id.EditStrictTraits(Traits("DURAND", "JEAN", "JEAN"), byIdentityVigilance: true),
                    5 => id.WithdrawQualification(),
                    6 => id.RemoveIns(),
                    7 => id.RecordNewerIns(Newer, [Ins], Now),
                    _ => id.SetAttributes(IdentityAttributes.Homonym),
                };
            }

            var restored = RnivIdentity.Restore(id.Traits, id.Status, id.Attributes, id.Ins, id.InsHistory, id.Evidence, id.Channel, id.InsiCalledAt, id.InsiTraits);
            return restored.IsValid && restored.Value!.Status == id.Status && Equals(restored.Value.Ins, id.Ins);
        }, iter: 3000);
    }
}
