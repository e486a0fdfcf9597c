using System.Text;
using SanteGateway.Identity;

namespace SanteGateway.DataMatrix.Tests;

public class InsPayloadTests
{
    private const string Example = ImageTests.WorkedExample;

    private static InsDataMatrixPayload PatTrois(string oid = InsOids.Test, string? cog = "63220")
    {
        InsDataMatrixPayload.TryCreate("279035121518989", oid, "DOMINIQUE", "PAT-TROIS", Sex.Female, new DateOnly(1979, 3, 28), cog, out var p, out var errors)
            .Should().BeTrue(string.Join("; ", errors));
        return p!;
    }

    private static IReadOnlyList<ValidationError> Refused(string text)
    {
        InsDataMatrixPayload.TryParse(text, out var p, out var errors).Should().BeFalse();
        p.Should().BeNull();
        errors.Should().NotBeEmpty();
        return errors;
    }

    [Fact]
    public void The_worked_example_of_the_ANS_test_patient_is_written_byte_for_byte()
    {
        var text = PatTrois().ToText();
        text.Should().Be(Example);
        text.Length.Should().Be(111);
    }

    [Fact]
    public void A_19_character_production_OID_is_followed_by_GS_and_a_20_character_one_is_not()
    {
        PatTrois(InsOids.Nir).ToText().Should().Contain("S21.2.250.1.213.1.4.8\u001dS3");
        PatTrois(InsOids.Test).ToText().Should().Contain("S21.2.250.1.213.1.4.10S3");
    }

    [Fact]
    public void Names_at_their_100_character_maximum_get_no_separator()
    {
        var first = new string('A', 100);
        var last = new string('B', 100);
        InsDataMatrixPayload.TryCreate("279035121518989", InsOids.Test, first, last, Sex.Male, new DateOnly(1979, 3, 28), null, out var p, out _).Should().BeTrue();
        var text = p!.ToText();
        text.Should().Contain($"S3{first}S4{last}S5M");
        text.Should().EndWith("S628-03-1979");
        InsDataMatrixPayload.TryParse(text, out var back, out _).Should().BeTrue();
        back!.BirthFirstNames.Should().Be(first);
        back.BirthName.Should().Be(last);
    }

    [Fact]
    public void The_reader_returns_every_field_of_the_worked_example()
    {
        InsDataMatrixPayload.TryParse(Example, out var p, out var errors).Should().BeTrue(string.Join("; ", errors));
        p!.Matricule.Value.Should().Be("279035121518989");
        p.Oid.Should().Be(InsOids.Test);
        p.BirthFirstNames.Should().Be("DOMINIQUE");
        p.BirthName.Should().Be("PAT-TROIS");
        p.Sex.Should().Be(Sex.Female);
        p.BirthDate.Should().Be(new DateOnly(1979, 3, 28));
        p.BirthPlaceCog.Should().Be("63220");
        p.ToString().Should().NotContain("DOMINIQUE").And.NotContain("279035121518989");
    }

    [Fact]
    public void The_reader_accepts_blocks_in_any_order()
    {
        var shuffled = InsDataMatrixPayload.Header + "S763220S5FS4PAT-TROIS\u001dS628-03-1979S1279035121518989S3DOMINIQUE\u001dS21.2.250.1.213.1.4.10";
        InsDataMatrixPayload.TryParse(shuffled, out var p, out var errors).Should().BeTrue(string.Join("; ", errors));
        p.Should().Be(PatTrois());
    }

    [Fact]
    public void The_ZXing_INS_vector_with_spaces_for_GS_and_a_wrong_key_gets_every_problem_reported()
    {
        // ZXing's test string separates fields with spaces instead of GS; its S4 comes last, out of order.
        var errors = Refused("IS010000000000000000000000S1118058599124123S21.2.250.1.213.1.4.8 S3FIRST NAMETEST S5MS618-06-1985S713201S4LASTNAMETEST");
        errors.Select(e => (e.Field, e.Rule)).Should().BeEquivalentTo([("S1", "key"), ("S2", "oid"), ("S3", "separator")]);
    }

    [Fact]
    public void A_matricule_with_a_wrong_key_is_refused_naming_S1_and_the_key_rule()
    {
        var errors = Refused(Example.Replace("279035121518989", "279035121518988"));
        errors.Should().ContainSingle().Which.Should().Match<ValidationError>(e => e.Field == "S1" && e.Rule == "key");
        errors[0].Message.Should().Contain("89");
    }

    [Fact]
    public void Lower_case_or_accented_names_break_the_INSi_lexical_profile_rule_of_their_block()
    {
        Refused(Example.Replace("DOMINIQUE", "Dominique")).Should().ContainSingle().Which.Field.Should().Be("S3");
        Refused(Example.Replace("PAT-TROIS", "PAT-TRÖIS")).Should().ContainSingle().Which.Field.Should().Be("S4");
        Refused(Example.Replace("PAT-TROIS", "PAT3TROIS")).Should().ContainSingle().Which.Should().Match<ValidationError>(e => e.Field == "S4" && e.Rule == "character");
    }

    [Theory]
    [InlineData("S5F", "S5X", "S5", "sex")]
    [InlineData("S628-03-1979", "S631-02-1979", "S6", "date")]
    [InlineData("S628-03-1979", "S61979-03-28", "S6", "date")]
    [InlineData("S763220", "S7ABCDE", "S7", "cog")]
    [InlineData("S21.2.250.1.213.1.4.10", "S21.2.250.1.213.1.4.77", "S2", "oid")]
    [InlineData("IS01", "IS02", "header", "header")]
    public void A_bad_value_is_refused_naming_its_block_and_rule(string from, string to, string field, string rule)
    {
        var errors = Refused(Example.Replace(from, to));
        errors.Should().Contain(e => e.Field == field && e.Rule == rule);
    }

    [Fact]
    public void A_missing_block_is_named()
    {
        Refused(Example.Replace("S5F", string.Empty)).Should().ContainSingle().Which.Should().Match<ValidationError>(e => e.Field == "S5" && e.Rule == "missing-block");
    }

    [Fact]
    public void A_missing_separator_after_a_short_name_is_reported_as_such()
    {
        var errors = Refused(Example.Replace("DOMINIQUE\u001d", "DOMINIQUE"));
        errors.Should().ContainSingle().Which.Should().Match<ValidationError>(e => e.Field == "S3" && e.Rule == "separator");
    }

    [Fact]
    public void A_truncated_payload_reports_the_missing_blocks_and_what_is_wrong_in_the_others()
    {
        var errors = Refused(InsDataMatrixPayload.Header + "S1279035121518988S21.2.3\u001dS3DOMINIQUE");
        errors.Select(e => (e.Field, e.Rule)).Should().BeEquivalentTo(
            [("S4", "missing-block"), ("S5", "missing-block"), ("S6", "missing-block"), ("S1", "key"), ("S2", "oid")]);
    }

    [Fact]
    public void A_duplicated_block_is_refused()
    {
        Refused(Example + "S5M").Should().ContainSingle().Which.Rule.Should().Be("duplicate-block");
    }

    [Fact]
    public void The_writer_refuses_an_unknown_sex_and_a_bad_matricule_with_every_error_at_once()
    {
        InsDataMatrixPayload.TryCreate("27903512151898", "1.2.3", "DOMINIQUE", "PAT_TROIS", Sex.Unknown, new DateOnly(1979, 3, 28), "6322", out var p, out var errors).Should().BeFalse();
        p.Should().BeNull();
        errors.Select(e => e.Field).Should().BeEquivalentTo(["S1", "S2", "S4", "S5", "S7"]);
    }

    [Fact]
    public void The_writer_applies_the_INSi_profile_to_names()
    {
        InsDataMatrixPayload.TryCreate("279035121518989", InsOids.Test, "dominique", "Pat-Trois", Sex.Female, new DateOnly(1979, 3, 28), "63220", out var p, out _).Should().BeTrue();
        p!.ToText().Should().Be(Example);
    }

    [Theory]
    [InlineData("\u241d")]
    [InlineData("^]")]
    [InlineData("<GS>")]
    [InlineData("<gs>")]
    [InlineData("{GS}")]
    [InlineData("[GS]")]
    [InlineData("\u001d")]
    public void Scanner_text_with_a_common_stand_in_for_GS_and_a_trailing_newline_is_read(string gs)
    {
        InsDataMatrixPayload.TryParseScan(Example.Replace("\u001d", gs) + "\r\n", out var p, out var errors).Should().BeTrue(string.Join("; ", errors));
        p.Should().Be(PatTrois());
    }

    [Fact]
    public void Scanner_text_with_an_AIM_symbology_identifier_prefix_is_read()
    {
        InsDataMatrixPayload.TryParseScan("]d1" + Example + "\n", out var p, out var errors).Should().BeTrue(string.Join("; ", errors));
        p.Should().Be(PatTrois());
    }

    [Fact]
    public void The_strict_reader_does_not_accept_stand_ins_for_GS()
    {
        Refused(Example.Replace("\u001d", "<GS>"));
    }

    [Fact]
    public void Hostile_payload_and_scan_text_never_crash_the_reader()
    {
        var alphabet = Gen.OneOf(Gen.Char, Gen.Const('\u001d'), Gen.Char['0', '9'], Gen.Char['A', 'Z'], Gen.OneOf(new[] { 'S', '-', ' ', '^', ']', '<', '>' }));
        var tails = alphabet.Array[0, 300].Select(a => new string(a));
        Gen.Select(Gen.OneOf("", InsDataMatrixPayload.Header, Example[..60], "IS01"), tails).Sample((prefix, tail) =>
        {
            var text = prefix + tail;
            if (InsDataMatrixPayload.TryParse(text, out var p, out var errors))
            {
                errors.Should().BeEmpty();
                p!.ToText().Length.Should().BeGreaterThan(60);
            }
            else
            {
                errors.Should().NotBeEmpty();
            }

            InsDataMatrixPayload.TryParseScan(text, out _, out _);
        }, iter: 3000);

        // Mutations of the real payload: one character replaced, inserted or deleted.
        Gen.Select(Gen.Int[0, Example.Length - 1], alphabet, Gen.Int[0, 2]).Sample((pos, ch, op) =>
        {
            var text = op switch
            {
                0 => Example[..pos] + ch + Example[(pos + 1)..],
                1 => Example.Insert(pos, ch.ToString()),
                _ => Example.Remove(pos, 1),
            };
            InsDataMatrixPayload.TryParse(text, out _, out var errors);
            InsDataMatrixPayload.TryParseScan(text, out _, out _);
            errors.Should().NotBeNull();
        }, iter: 3000);
        Refused(new string('S', 100_000)).Should().ContainSingle().Which.Rule.Should().Be("too-long");
        InsDataMatrixPayload.TryParseScan(null, out _, out var nullErrors).Should().BeFalse();
        nullErrors.Should().ContainSingle().Which.Rule.Should().Be("required");
    }

    [Fact]
    public void Random_valid_identities_of_every_name_length_survive_PNG_and_dmtxread_byte_for_byte()
    {
        InsGenerators.Identity.Sample(id =>
        {
            InsDataMatrixPayload.TryCreate(id.Matricule, id.Oid, id.FirstNames, id.BirthName, id.Sex, id.Date, id.Cog, out var payload, out var errors)
                .Should().BeTrue(string.Join("; ", errors));
            var text = payload!.ToText();
            var png = InsDataMatrix.RenderPng(payload);
            Dmtxread.Decode(png).Should().Equal(Encoding.ASCII.GetBytes(text));
            InsDataMatrix.TryReadImage(png, out var back, out var readErrors).Should().BeTrue(string.Join("; ", readErrors));
            back.Should().Be(payload);
        }, iter: 40, threads: 1);
    }

    [Fact]
    public void Names_of_every_length_from_1_to_100_survive_PNG_and_dmtxread_byte_for_byte()
    {
        for (var length = 1; length <= 100; length++)
        {
            var firstNames = InsGenerators.FixedName(length, ' ', length);
            var birthName = InsGenerators.FixedName(101 - length, '-', length);
            InsDataMatrixPayload.TryCreate("297022A02077878", InsOids.Nir, firstNames, birthName, Sex.Male, new DateOnly(2001, 12, 31), length % 2 == 0 ? "2A004" : null, out var payload, out var errors)
                .Should().BeTrue(string.Join("; ", errors));
            var png = InsDataMatrix.RenderPng(payload!);
            Dmtxread.Decode(png).Should().Equal(Encoding.ASCII.GetBytes(payload!.ToText()), $"first names of {length} characters");
            InsDataMatrix.TryReadImage(png, out var back, out _).Should().BeTrue();
            back.Should().Be(payload);
        }
    }

    [Fact]
    public void Random_valid_identities_round_trip_through_text()
    {
        InsGenerators.Identity.Sample(id =>
        {
            InsDataMatrixPayload.TryCreate(id.Matricule, id.Oid, id.FirstNames, id.BirthName, id.Sex, id.Date, id.Cog, out var payload, out var errors)
                .Should().BeTrue(string.Join("; ", errors));
            InsDataMatrixPayload.TryParse(payload!.ToText(), out var back, out var readErrors).Should().BeTrue(string.Join("; ", readErrors));
            back.Should().Be(payload);
            back!.ToText().Should().Be(payload.ToText());
        }, iter: 2000);
    }

    [Fact]
    public void The_worked_example_PNG_and_SVG_come_from_the_facade_and_read_back()
    {
        var png = InsDataMatrix.RenderPng(PatTrois());
        Dmtxread.Decode(png).Should().Equal(Encoding.ASCII.GetBytes(Example));
        var symbol = InsDataMatrix.Encode(PatTrois());
        symbol.Size.ToString().Should().Be("36x36");
        symbol.DataCodewords.TakeWhile(c => c != 129).Should().HaveCount(75, "the minimal encodation of the 111 characters takes 75 codewords");
        InsDataMatrix.RenderSvg(PatTrois()).Should().StartWith("<svg");
    }
}

public class InsRnivTests
{
    private static IdentityTraits Traits() =>
        IdentityTraits.Create("PAT-TROIS", ["DOMINIQUE"], "DOMINIQUE", Sex.Female, new BirthDate(new DateOnly(1979, 3, 28), false), "63220").Value!;

    private static InsIdentifier Ins() => new(InsMatricule.Parse("279035121518989"), InsOids.Test);

    private static RnivIdentity Restored(IdentityStatus status, InsIdentifier? ins)
    {
        var result = RnivIdentity.Restore(Traits(), status, IdentityAttributes.None, ins, [], new Evidence(DocumentTypes.Passport, new DateOnly(2024, 1, 1), null), CollectionChannel.INSI, DateTimeOffset.UnixEpoch, ins is null ? null : Traits());
        result.IsValid.Should().BeTrue(result.ToString());
        return result.Value!;
    }

    [Fact]
    public void A_qualified_identity_gives_the_worked_example_payload()
    {
        InsDataMatrix.TryCreatePayload(Restored(IdentityStatus.Qual, Ins()), out var payload, out var errors).Should().BeTrue(string.Join("; ", errors));
        payload!.ToText().Should().Be(ImageTests.WorkedExample);
    }

    [Theory]
    [InlineData(IdentityStatus.Recup)]
    [InlineData(IdentityStatus.Vali)]
    [InlineData(IdentityStatus.Prov)]
    public void A_non_qualified_identity_is_refused_naming_the_status(IdentityStatus status)
    {
        var identity = Restored(status, status == IdentityStatus.Recup ? Ins() : null);
        InsDataMatrix.TryCreatePayload(identity, out var payload, out var errors).Should().BeFalse();
        payload.Should().BeNull();
        errors.Should().ContainSingle().Which.Should().Match<ValidationError>(e => e.Field == "Status" && e.Rule == "qualified-only");
    }
}
