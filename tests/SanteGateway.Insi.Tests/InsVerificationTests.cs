using SanteGateway.Identity;

namespace SanteGateway.Insi.Tests;

public class InsVerificationTests
{
    private static readonly InsiTraitsQuery Ecetinsi = new("ECETINSI", ["PIERRE-ALAIN", "MURIEL", "FLORIANT"], Sex.Male, "2009-07-14", "63220");

    private static async Task<InsVerificationResult> Verify(string responseFile, string matricule, string oid = "1.2.250.1.213.1.4.8", InsiTraitsQuery? traits = null)
    {
        var transport = new FakeTransport(_ => FakeTransport.File200(responseFile));
        using var client = new InsiClient(InsiClientTests.Options(), transport);
        return await client.VerifyAsync(new InsVerificationQuery(traits ?? Ecetinsi, matricule, oid), InsiCallContext.Automatic, TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task The_stored_active_ins_is_confirmed()
    {
        var r = await Verify(InsiFiles.Recorded("PierreAlain.response.xml"), "109076322083489");

        r.Outcome.Should().Be(InsVerificationOutcome.Confirmed);
        r.TraitDifferences.Should().BeEmpty();
    }

    [Fact]
    public async Task A_stored_ins_found_in_the_history_is_replaced_by_the_active_one()
    {
        var r = await Verify(InsiFiles.Cnda("TEST_2.04_cas2.xml"), "2 09 06 63 220 123 55");

        r.Outcome.Should().Be(InsVerificationOutcome.ReplacedByNewer);
        r.Current!.Raw.Should().Be("109076322083489");
    }

    [Fact]
    public async Task Another_ins_for_the_same_traits_is_a_mismatch()
    {
        var r = await Verify(InsiFiles.Recorded("PierreAlain.response.xml"), "160012B02077713");

        r.Outcome.Should().Be(InsVerificationOutcome.Mismatch);
    }

    [Fact]
    public async Task The_same_matricule_under_another_oid_is_a_mismatch()
    {
        var r = await Verify(InsiFiles.Recorded("PierreAlain.response.xml"), "109076322083489", "1.2.250.1.213.1.4.9");

        r.Outcome.Should().Be(InsVerificationOutcome.Mismatch);
    }

    [Fact]
    public async Task An_answer_with_a_wrong_key_never_confirms_even_when_digits_are_equal()
    {
        var hermann = new InsiTraitsQuery("HERMANN", ["GATIEN"], Sex.Male, "1981-03-24");

        var r = await Verify(InsiFiles.Cnda("TEST_2.08_cas2.xml"), "181036322045676", traits: hermann);

        r.Outcome.Should().Be(InsVerificationOutcome.Mismatch);
        r.Warnings.Should().Contain(w => w.Code == "WrongKey");
    }

    [Theory]
    [InlineData("REP_CR01.xml", InsVerificationOutcome.NotFound)]
    public async Task No_identity_means_not_found(string file, InsVerificationOutcome expected)
    {
        var r = await Verify(InsiFiles.Cnda(file), "109076322083489");

        r.Outcome.Should().Be(expected);
    }

    [Fact]
    public async Task Several_identities_mean_ambiguous()
    {
        var r = await Verify(InsiFiles.Recorded("DeVinciLeonardo.response.xml"), "109076322083489");

        r.Outcome.Should().Be(InsVerificationOutcome.Ambiguous);
    }

    [Fact]
    public async Task Returned_traits_that_differ_from_the_stored_ones_are_listed_by_name()
    {
        var stored = Ecetinsi with { FirstNames = ["PIERRE-ALAIN"], BirthPlace = "63113" };

        var r = await Verify(InsiFiles.Recorded("PierreAlain.response.xml"), "109076322083489", traits: stored);

        r.Outcome.Should().Be(InsVerificationOutcome.Confirmed);
        r.TraitDifferences.Should().Equal("firstNames", "birthPlace");
    }

    [Fact]
    public async Task A_stored_matricule_with_a_wrong_key_is_refused_before_the_call()
    {
        var act = () => Verify(InsiFiles.Recorded("PierreAlain.response.xml"), "109076322083488");

        (await act.Should().ThrowAsync<InsiInputException>()).Which.Errors.Should().ContainSingle(e => e.Field == "matricule" && e.Rule == "WrongKey");
    }
}
