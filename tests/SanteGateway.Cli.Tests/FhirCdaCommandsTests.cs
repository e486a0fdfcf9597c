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

[Collection("ins-cli console")]
public class FhirExportCommandTests
{
    [Fact]
    public async Task Fhir_export_writes_a_stored_identity_as_an_FR_Core_patient_without_INS_when_not_qualified()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"santegw-export-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            var store = new SanteGateway.Store.StoreOptions { ConnectionString = SanteGateway.Store.GatewayStore.SqliteConnectionString(Path.Combine(dir, "santegw.db")) };
            await using (var db = SanteGateway.Store.GatewayStore.CreateContext(store))
            {
                await Microsoft.EntityFrameworkCore.RelationalDatabaseFacadeExtensions.MigrateAsync(db.Database, TestContext.Current.CancellationToken);
            }

            var services = new Microsoft.Extensions.DependencyInjection.ServiceCollection();
            Microsoft.Extensions.DependencyInjection.LoggingServiceCollectionExtensions.AddLogging(services);
            Microsoft.Extensions.DependencyInjection.MetricsServiceExtensions.AddMetrics(services);
            SanteGateway.Store.GatewayStore.AddGatewayStore(services, store);
            SanteGateway.Application.ServiceCollectionExtensions.AddSanteGatewayApplication(services);
            Guid id;
            await using (var provider = Microsoft.Extensions.DependencyInjection.ServiceCollectionContainerBuilderExtensions.BuildServiceProvider(services))
            {
                var identities = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<SanteGateway.Application.IdentityService>(Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.CreateScope(provider).ServiceProvider);
                var created = await identities.CreateAsync(
                    new SanteGateway.Application.CreateIdentityRequest("ADRTROIS", "TOUSSAINT", "TOUSSAINT", "M", "1960-01-01", "2B020", null, null, "SM", null,
                        ExternalIds: [new SanteGateway.Application.ExternalIdInput("1.2.250.1.71.4.2.7", "000042", "PI")]),
                    new SanteGateway.Application.Actor("test", "cli-test", false),
                    TestContext.Current.CancellationToken);
                created.IsSuccess.Should().BeTrue(created.Error?.Message);
                id = created.Value!.Id;
            }

            var (exit, stdout, stderr) = await CliRunner.RunAsync("fhir", "export", "--data", dir, id.ToString());

            exit.Should().Be(0, stderr);
            using var doc = JsonDocument.Parse(stdout);
            doc.RootElement.GetProperty("resourceType").GetString().Should().Be("Patient");
            doc.RootElement.GetProperty("id").GetString().Should().Be(id.ToString());
            doc.RootElement.GetProperty("meta").GetProperty("profile")[0].GetString().Should().Be("https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-patient");
            var identifiers = doc.RootElement.GetProperty("identifier").EnumerateArray().ToArray();
            identifiers.Should().ContainSingle().Which.GetProperty("value").GetString().Should().Be("000042");
            doc.RootElement.GetProperty("name")[0].GetProperty("family").GetString().Should().Be("ADRTROIS");
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Fhir_export_of_an_unknown_id_exits_1_with_the_reason()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"santegw-export-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            var store = new SanteGateway.Store.StoreOptions { ConnectionString = SanteGateway.Store.GatewayStore.SqliteConnectionString(Path.Combine(dir, "santegw.db")) };
            await using (var db = SanteGateway.Store.GatewayStore.CreateContext(store))
            {
                await Microsoft.EntityFrameworkCore.RelationalDatabaseFacadeExtensions.MigrateAsync(db.Database, TestContext.Current.CancellationToken);
            }

            var (exit, _, stderr) = await CliRunner.RunAsync("fhir", "export", "--data", dir, Guid.NewGuid().ToString());

            exit.Should().Be(1);
            stderr.Should().Contain("not-found");
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }
}
