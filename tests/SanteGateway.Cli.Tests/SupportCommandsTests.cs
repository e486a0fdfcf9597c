using System.IO.Compression;
using System.Text;
using System.Text.Json;
using SanteGateway.Insi.Sandbox;
using SanteGateway.Insi.Sandbox.Pki;
using SanteGateway.Store;
using SanteGateway.Store.Entities;
using SanteGateway.Testing;

namespace SanteGateway.Cli.Tests;

/// <summary>
/// <c>santegw support bundle</c> for a faulted INSi exchange stored as the gateway stores them: the recorded request of a
/// real exchange (with its identity traits) and the recorded SOAP fault of a wrong IDAM.
/// </summary>
[Collection("insi-cli")]
public sealed class SupportCommandsTests(InsiCliSandbox sandbox) : IDisposable
{
    private readonly string data = Path.Combine(Path.GetTempPath(), "santegw-support-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(data))
        {
            Directory.Delete(data, true);
        }
    }

    private async Task<Guid> FaultedExchangeAsync()
    {
        Directory.CreateDirectory(data);
        var settings = new
        {
            Gateway = new { Store = new { Provider = "sqlite" } },
            Insi = new
            {
                Mode = "remote",
                Endpoint = "https://qualiflps-services-ps-tlsm.ameli.fr/lps",
                Idam = InsiSandboxOptions.DefaultIdam,
                AuthorisationNumber = "CNDA-2026-0042",
                Instance = "0b8c4c1e-4a7e-4c55-9d0b-7d2f7c1f0a11",
                CertificatePath = Path.Combine(sandbox.Dir, TestPki.InsiAutoP12File),
                CertificatePasswordEnv = InsiCliSandbox.PasswordVariable,
            },
        };
        await File.WriteAllTextAsync(Path.Combine(data, "appsettings.json"), JsonSerializer.Serialize(settings), TestContext.Current.CancellationToken);
        var (migrated, _, err) = await CliRunner.RunAsync("db", "migrate", "--data", data);
        migrated.Should().Be(0, err);

        var id = Guid.NewGuid();
        await using var db = GatewayStore.CreateContext(new StoreOptions { ConnectionString = GatewayStore.SqliteConnectionString(Path.Combine(data, "santegw.db")) });
        db.InsiExchanges.Add(new InsiExchange
        {
            Id = id,
            Operation = "search",
            RequestXml = await File.ReadAllTextAsync(TestPaths.SharedFile("data", "insi", "recorded", "AdrtroisDominique.request.xml"), TestContext.Current.CancellationToken),
            ResponseXml = await File.ReadAllTextAsync(TestPaths.SharedFile("data", "insi", "recorded", "FakeIdam.fault.xml"), TestContext.Current.CancellationToken),
            Outcome = "error",
            Detail = "insi.fault: IDAM inconnu",
            CertificateCn = "INSI-AUTO",
            DurationMs = 412,
            Actor = "api:test",
            OccurredAt = DateTimeOffset.UtcNow,
        });
        await db.SaveChangesAsync(TestContext.Current.CancellationToken);
        return id;
    }

    private static Dictionary<string, string> Entries(string zipPath)
    {
        using var zip = ZipFile.OpenRead(zipPath);
        return zip.Entries.ToDictionary(e => e.FullName, e =>
        {
            using var reader = new StreamReader(e.Open(), Encoding.UTF8);
            return reader.ReadToEnd();
        });
    }

    [Fact]
    public async Task The_bundle_of_a_faulted_exchange_holds_context_environment_request_response_and_fault_without_private_key_or_identity_data()
    {
        var id = await FaultedExchangeAsync();
        var output = Path.Combine(data, "bundle.zip");

        var (exit, stdout, stderr) = await CliRunner.RunAsync("support", "bundle", "--exchange", id.ToString(), "--output", output, "--data", data);

        exit.Should().Be(0, stderr);
        stdout.Should().Contain("identity data masked");
        var entries = Entries(output);
        entries.Keys.Should().BeEquivalentTo(["LISEZMOI.txt", "context.json", "environment.json", "exchange.json", "request.xml", "response.xml"]);
        entries["context.json"].Should().Contain(InsiSandboxOptions.DefaultIdam).And.Contain("CNDA-2026-0042").And.Contain("0b8c4c1e-4a7e-4c55-9d0b-7d2f7c1f0a11")
            .And.Contain("CN=INSI-AUTO").And.Contain(TestPki.CaCommonName).And.Contain("notAfter").And.Contain("\"name\": \"santegw\"");
        entries["environment.json"].Should().Contain("qualiflps-services-ps-tlsm.ameli.fr").And.Contain("test (qualification)");
        entries["exchange.json"].Should().Contain("IDAM inconnu").And.Contain("\"durationMs\": 412").And.Contain("\"outcome\": \"error\"").And.Contain("soapFault");
        entries["response.xml"].Should().Contain("Fault");
        string.Concat(entries.Values).Should().NotContain("PRIVATE KEY").And.NotContain(InsiCliSandbox.Password);

        var request = entries["request.xml"];
        request.Should().Contain("RECSANSVITALE").And.Contain("urn:lps:example:1.0.0", "the LPS name is not identity data")
            .And.Contain("NomNaissance>***<").And.Contain("Prenom>***<").And.Contain("DateNaissance>***<");
        request.Should().NotContain("ADRTROIS").And.NotContain("DOMINIQUE").And.NotContain("1997-02-26");
    }

    [Fact]
    public async Task Identity_data_is_kept_in_the_traces_only_with_the_explicit_option_and_the_request_is_then_exact()
    {
        var id = await FaultedExchangeAsync();
        var output = Path.Combine(data, "with-identity.zip");

        var (exit, stdout, stderr) = await CliRunner.RunAsync("support", "bundle", "--exchange", id.ToString(), "--output", output, "--data", data, "--include-identity-data");

        exit.Should().Be(0, stderr);
        stdout.Should().Contain("identity data KEPT");
        var entries = Entries(output);
        entries["request.xml"].Should().Be(await File.ReadAllTextAsync(TestPaths.SharedFile("data", "insi", "recorded", "AdrtroisDominique.request.xml"), TestContext.Current.CancellationToken));
        entries["LISEZMOI.txt"].Should().Contain("CONSERVÉES");

        await using var db = GatewayStore.CreateContext(new StoreOptions { ConnectionString = GatewayStore.SqliteConnectionString(Path.Combine(data, "santegw.db")) });
        var audit = db.AuditEvents.Where(e => e.Action == "insi.support-bundle").ToList();
        audit.Should().ContainSingle("the CLI download is audited like the API's");
        audit[0].Source.Should().Be("cli");
        audit[0].Actor.Should().Be(Environment.UserName);
        audit[0].NewValues.Should().Contain(id.ToString()).And.Contain("\"identityDataIncluded\":true");
    }

    [Fact]
    public async Task An_unknown_exchange_fails_naming_it()
    {
        await FaultedExchangeAsync();
        var unknown = Guid.NewGuid();

        var (exit, _, stderr) = await CliRunner.RunAsync("support", "bundle", "--exchange", unknown.ToString(), "--data", data);

        exit.Should().Be(1);
        stderr.Should().Contain($"INSi exchange {unknown} does not exist");
    }
}
