using SanteGateway.Identity;
using SanteGateway.Testing;

namespace SanteGateway.Interop.Cda.Tests;

public sealed class CdaHeaderReaderTests
{
    private static readonly CdaReadOptions AllowTest = new() { InsPolicy = InsPolicy.AllowTestAndDemo };

    private static string Examples(string file) => TestPaths.SharedFile("data", "cda", "TestContenuCDA-3-0", "ExemplesCDA", file);

    public static IEnumerable<TheoryDataRow<string>> AllSharedCdaDocuments =>
        new[] { TestPaths.SharedFile("data", "cda"), TestPaths.SharedFile("data", "hl7v2"), TestPaths.SharedFile("data", "hl7v2-ans") }
            .SelectMany(d => Directory.EnumerateFiles(d, "*", SearchOption.AllDirectories))
            .Where(f => f.EndsWith(".xml", StringComparison.OrdinalIgnoreCase) && File.ReadAllText(f).Contains("<recordTarget", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(f => new TheoryDataRow<string>(Path.GetRelativePath(TestPaths.Shared, f)));

    [Fact]
    public void The_shared_folders_hold_the_CDA_examples_of_the_README()
    {
        AllSharedCdaDocuments.Should().HaveCountGreaterThanOrEqualTo(9 + 1 + 25);
    }

    [Theory]
    [InlineData("BIO-CR-BIO_2024.01_TSH_1.xml", true)]
    [InlineData("BIO-TROD_2024.01_Angine.xml", false)]
    [InlineData("CNAM-HR_2021.01_sans-info.xml", true)]
    [InlineData("DOC_NON_STRUCTURE_CDA-R2-N1.xml", true)]
    [InlineData("IMG_CR_IMG_2024.01_CDA-R2-Niveau-1.xml", true)]
    [InlineData("VAC-NOTE_2023.01.xml", true)]
    [InlineData("VAC_2023.01.xml", false)]
    public void The_ANS_test_patient_PAT_TROIS_is_read_from_every_example_that_carries_her(string file, bool hasIpp)
    {
        var header = CdaHeaderReader.Read(File.OpenRead(Examples(file)), AllowTest);

        var p = header.Patient;
        p.Refused.Should().BeEmpty();
        p.Ins!.Matricule.Value.Should().Be("279035121518989");
        p.Ins.Kind.Should().Be(InsOidKind.Test);
        p.Traits!.BirthName.Should().Be("PAT-TROIS");
        p.Traits.FirstFirstName.Should().Be("DOMINIQUE");
        p.Traits.BirthFirstNames.Should().Equal("DOMINIQUE", "MARIE-LOUISE");
        p.Traits.UsedName.Should().Be("PAT-TROIS");
        p.Traits.UsedFirstName.Should().Be("DOMINIQUE");
        p.Traits.Sex.Should().Be(Sex.Female);
        p.Traits.BirthDate.Should().Be(new BirthDate(new DateOnly(1979, 3, 28), false));
        p.Traits.BirthPlaceCog.Should().Be("51215");
        p.LocalIds.Should().HaveCount(hasIpp ? 1 : 0);
        header.Document.Should().NotBeNull();
        header.Refused.Should().BeEmpty();
    }

    [Fact]
    public void The_child_health_example_is_read_and_its_INS_refused_for_its_wrong_key()
    {
        var header = CdaHeaderReader.Read(File.ReadAllText(Examples("CSE-MDE_2023.01.xml")));

        var p = header.Patient;
        p.Traits!.BirthName.Should().Be("DECOURCY");
        p.Traits.BirthFirstNames.Should().Equal("Ruth", "Isabelle");
        p.Traits.FirstFirstName.Should().Be("Ruth");
        p.Traits.BirthDate.Value.Should().Be(new DateOnly(2022, 12, 25));
        p.Traits.BirthPlaceCog.Should().Be("75056");
        p.LocalIds.Should().Equal(new CdaId("1.2.3.4.5.6.7.8.9.10", "1234567890121"));
        // 222127505611201: the key of 2221275056112 is 47.
        p.Ins.Should().BeNull();
        p.Refused.Should().ContainSingle().Which.Should().Match<CdaReadIssue>(r =>
            r.Path == "recordTarget/patientRole/id[1]/@extension" && r.Rule == "ins-matricule" && r.Message.Contains("47"));

        var d = header.Document!;
        d.Code.Should().Be(new CdaCode("29274-8", "2.16.840.1.113883.6.1", "Mesures de signes vitaux"));
        d.EffectiveTime.Should().Be("20230106113623+0100");
        d.EffectiveInstant.Should().Be(new DateTimeOffset(2023, 1, 6, 11, 36, 23, TimeSpan.FromHours(1)));
        d.Confidentiality.Code.Should().Be("N");
        d.LanguageCode.Should().Be("fr-FR");
        d.SetId.Should().Be(new CdaId("1.2.250.1.213.1.1.1.5.4.2023.1"));
        d.VersionNumber.Should().Be(4);
        d.Authors.Should().ContainSingle().Which.Id.Should().Be(new CdaId("1.2.250.1.71.4.2.1", "801234567897"));
        d.Custodian.Should().Be(new CdaId("1.2.250.1.71.4.2.2", "2801234567"));
        d.CustodianName.Should().Be("Centre de santé du Belvédère");
    }

    [Fact]
    public void The_dispensation_example_carries_a_production_NIR()
    {
        var p = CdaHeaderReader.Read(File.ReadAllText(Examples("eDISP-MED_2024.01.xml"))).Patient;

        p.Refused.Should().BeEmpty();
        p.Ins!.Matricule.Value.Should().Be("277076322082910");
        p.Ins.Kind.Should().Be(InsOidKind.Nir);
        p.Traits.Should().NotBeNull();
    }

    [Theory]
    [MemberData(nameof(AllSharedCdaDocuments))]
    public void Every_shared_CDA_document_yields_its_patient_and_an_accepted_or_precisely_refused_INS(string relative)
    {
        var header = CdaHeaderReader.Read(File.OpenRead(Path.Combine(TestPaths.Shared, relative)), AllowTest);

        header.Patient.Traits.Should().NotBeNull(string.Join(" | ", header.Patient.Refused));
        header.Document.Should().NotBeNull(string.Join(" | ", header.Refused));
        if (header.Patient.Ins is null)
        {
            header.Patient.Refused.Should().Contain(r => r.Rule == "ins-matricule" && r.Path.EndsWith("/@extension", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void The_production_policy_refuses_the_test_OID_with_its_path()
    {
        var p = CdaHeaderReader.Read(File.ReadAllText(Examples("VAC_2023.01.xml"))).Patient;

        p.Ins.Should().BeNull();
        p.Refused.Should().ContainSingle(r => r.Path == "recordTarget/patientRole/id[1]/@root" && r.Rule == "ins-oid-policy");
    }

    [Fact]
    public void Reading_stops_at_the_body_so_a_broken_body_does_not_matter()
    {
        var xml = File.ReadAllText(Examples("VAC_2023.01.xml"));
        var cut = xml[..(xml.IndexOf("<component>", StringComparison.Ordinal) + "<component>".Length)] + "<structuredBody><broken";

        CdaHeaderReader.Read(cut, AllowTest).Patient.Ins.Should().NotBeNull();
    }
}
