using System.Text.Json;
using SanteGateway.Insi.Sandbox.Pki;
using SanteGateway.Insi.Sandbox.Tests.Support;

namespace SanteGateway.Insi.Sandbox.Tests;

/// <summary>
/// An independent SOAP stack — node-soap, generated from the official WSDL — calls the sandbox over mutual TLS
/// (pfx + passphrase + ca). node and npm are required (CI installs them in .ci/run); the test fails, never skips, without them.
/// </summary>
public sealed class NodeSoapTests : IAsyncLifetime
{
    private InsiSandboxServer _server = null!;

    public async ValueTask InitializeAsync() => _server = await InsiSandboxServer.StartAsync(SandboxClients.Options(), TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Node_soap_built_from_the_official_WSDL_gets_CR_00_for_ADRTROIS_TOUSSAINT_over_mutual_TLS()
    {
        var output = await CallAsync(TestPki.InsiAutoP12File, "ADRTROIS", "TOUSSAINT", "M", "1960-01-01");

        output.GetProperty("ok").GetBoolean().Should().BeTrue(output.ToString());
        var result = output.GetProperty("result");
        result.GetProperty("CR").GetProperty("CodeCR").GetString().Should().Be("00");
        result.GetProperty("CR").GetProperty("LibelleCR").GetString().Should().Be("OK");
        var ins = result.GetProperty("INDIVIDU").GetProperty("INSACTIF");
        ins.GetProperty("IdIndividu").GetProperty("NumIdentifiant").GetString().Should().Be("160012B020777");
        ins.GetProperty("IdIndividu").GetProperty("Cle").GetString().Should().Be("13");
        result.GetProperty("INDIVIDU").GetProperty("TIQ").GetProperty("LieuNaissance").GetString().Should().Be("2B020");
    }

    [Fact]
    public async Task Node_soap_with_the_OTHER_certificate_receives_the_DESIR_560_fault_as_HTTP_500()
    {
        var output = await CallAsync(TestPki.OtherP12File, "ADRTROIS", "TOUSSAINT", "M", "1960-01-01");

        output.GetProperty("ok").GetBoolean().Should().BeFalse();
        output.GetProperty("status").GetInt32().Should().Be(500);
        output.GetProperty("body").GetString().Should().Contain("DESIR_560");
    }

    private async Task<JsonElement> CallAsync(string p12, string birthName, string firstName, string sex, string birthDate)
    {
        var node = ProcessRunner.FindOnPath("node")
            ?? throw new InvalidOperationException("node (Node.js 20+) is required for this test: install the Debian packages nodejs and npm (.ci/run does).");
        var npm = ProcessRunner.FindOnPath("npm")
            ?? throw new InvalidOperationException("npm is required for this test: install the Debian package npm (.ci/run does).");
        var folder = Path.Combine(AppContext.BaseDirectory, "node");
        if (!File.Exists(Path.Combine(folder, "node_modules", "soap", "package.json")))
        {
            var install = await ProcessRunner.RunAsync(npm, ["install", "--no-audit", "--no-fund", "--loglevel=error"], folder, TimeSpan.FromMinutes(5));
            install.ExitCode.Should().Be(0, $"npm install soap must succeed (npm registry access needed): {install.Stderr}");
        }

        var run = await ProcessRunner.RunAsync(node,
            [
                Path.Combine(folder, "call-sandbox.js"), Recorded.ContractDir, _server.Endpoint.ToString(),
                Path.Combine(SharedPki.Directory, p12), SharedPki.Password, Path.Combine(SharedPki.Directory, TestPki.CaPemFile),
                InsiSandboxOptions.DefaultIdam, birthName, firstName, sex, birthDate,
            ],
            folder, TimeSpan.FromMinutes(1));
        run.ExitCode.Should().Be(0, run.Stderr);
        return JsonDocument.Parse(run.Stdout.Trim().Split('\n')[^1]).RootElement.Clone();
    }
}
