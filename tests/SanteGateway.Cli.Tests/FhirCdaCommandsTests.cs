using System.Text.Json;
using SanteGateway.Testing;

namespace SanteGateway.Cli.Tests;

[Collection("ins-cli console")]
public class FhirCdaCommandsTests
{
    private static string Cda(string file) => TestPaths.SharedFile("data", "cda", "TestContenuCDA-3-0", "ExemplesCDA", file);

    [Fact]
    public async Task Cda_inspect_prints_the_patient_the_INS_and_the_metadata_as_JSON()
    {
        var (exit, stdout, stderr) = await CliRunner.RunAsync("cda", "inspect", Cda("VAC_2023.01.xml"), "--json", "--allow-test-ins");

        exit.Should().Be(0, stderr);
        using var doc = JsonDocument.Parse(stdout);
        doc.RootElement.GetProperty("ins").GetProperty("matricule").GetString().Should().Be("279035121518989");
        doc.RootElement.GetProperty("patient").GetProperty("birthName").GetString().Should().Be("PAT-TROIS");
        doc.RootElement.GetProperty("document").GetProperty("confidentiality").GetString().Should().Be("N");
    }

    [Fact]
    public async Task Cda_inspect_says_what_it_refused_and_exits_1()
    {
        var (exit, stdout, _) = await CliRunner.RunAsync("cda", "inspect", Cda("CSE-MDE_2023.01.xml"));

        exit.Should().Be(1);
        stdout.Should().Contain("refused: recordTarget/patientRole/id[1]/@extension: ins-matricule");
        stdout.Should().Contain("birth name      DECOURCY");
    }

    [Fact]
    public async Task Cda_inspect_refuses_a_document_with_a_DTD()
    {
        var file = Path.Combine(Path.GetTempPath(), $"santegw-cda-{Guid.NewGuid():N}.xml");
        File.WriteAllText(file, """<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><ClinicalDocument xmlns="urn:hl7-org:v3">&e;</ClinicalDocument>""");
        try
        {
            var (exit, _, stderr) = await CliRunner.RunAsync("cda", "inspect", file);

            exit.Should().Be(1);
            stderr.Should().Contain("DTD");
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Fhir_patient_maps_the_FR_Core_example_and_reports_its_refused_INS()
    {
        var (exit, stdout, _) = await CliRunner.RunAsync("fhir", "patient", TestPaths.SharedFile("data", "fhir", "fr-core", "2.2.0", "examples", "Patient-FRCorePatientExample.json"));

        exit.Should().Be(1);
        stdout.Should().Contain("birth name      Durand");
        stdout.Should().Contain("refused: Patient.identifier[0].value: ins-matricule");
    }
}
