using AwesomeAssertions;
using SanteGateway.Testing;

namespace SanteGateway.Conformance.Tests;

public class CndaPlanTests
{
    [Fact]
    public void The_plan_holds_every_public_test_of_the_insi_conformance_plan_and_the_guide_rules()
    {
        CndaPlan.Cases.Select(c => c.Id).Should().Contain(
        [
            "2.03-cas1", "2.03-cas2", "2.03-cas3", "2.04-cas1", "2.04-cas2", "2.05", "2.06-cas1", "2.06-cas2", "2.07-cas1", "2.07-cas2",
            "2.08-cas1", "2.08-cas2", "1.xx-vitale-beneficiaire", "1.xx-vitale-ayant-droit", "idam-inconnu", "certificat-cn",
            "guide-recup-non-transmis", "guide-qual-datamatrix", "guide-douteuse-bloque-insi",
        ]);
        CndaPlan.Cases.Select(c => c.Id).Should().OnlyHaveUniqueItems();
    }

    [Fact]
    public void Every_case_states_its_purpose_its_source_its_input_and_at_least_one_checked_expectation()
    {
        foreach (var c in CndaPlan.Cases)
        {
            c.Purpose.Should().NotBeNullOrWhiteSpace(c.Id);
            c.Source.Should().NotBeNullOrWhiteSpace(c.Id);
            (c.Traits is not null || c.Card is not null).Should().BeTrue(c.Id);
            var e = c.Expected;
            (e.NothingSent || e.RefusalRules is not null || e.Code is not null || e.FaultErrorCode is not null || e.Status is not null).Should().BeTrue(c.Id);
        }
    }

    [Fact]
    public void Every_injected_file_is_one_of_the_approval_centre_files()
    {
        var dir = TestPaths.SharedFile("data", "insi", "cnda");
        CndaPlan.InjectedFiles.Should().Equal("REP_CR01.xml", "TEST_2.04_cas2.xml", "TEST_2.05.xml", "TEST_2.08_cas1.xml", "TEST_2.08_cas2.xml");
        foreach (var f in CndaPlan.InjectedFiles)
        {
            File.Exists(Path.Combine(dir, f)).Should().BeTrue(f);
        }
    }
}
