using System.Diagnostics;
using System.Text;
using SanteGateway.Insi.Sandbox.Pki;
using SanteGateway.Insi.Sandbox.Tests.Support;

namespace SanteGateway.Insi.Sandbox.Tests;

/// <summary>
/// The documented start-up, end to end: <c>santegw pki init</c>, then <c>santegw sandbox insi</c> as a real process
/// (<c>dotnet santegw.dll</c>), then a raw HTTPS request with the generated client certificate.
/// </summary>
public sealed class CliStartupTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "santegw-cli-startup-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    private static string CliDll => Path.Combine(AppContext.BaseDirectory, "santegw.dll");

    private static string Dotnet => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";

    [Fact]
    public async Task Pki_init_then_sandbox_insi_serves_CR_00_for_ADRTROIS_TOUSSAINT_over_mutual_TLS()
    {
        var pki = Path.Combine(_dir, "pki");
        var init = await ProcessRunner.RunAsync(Dotnet, [CliDll, "pki", "init", "--dir", pki], AppContext.BaseDirectory, TimeSpan.FromMinutes(2));
        init.ExitCode.Should().Be(0, init.Stderr);
        init.Stdout.Should().Contain("INSI-AUTO.p12").And.Contain("password.txt");

        var info = new ProcessStartInfo(Dotnet) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { CliDll, "sandbox", "insi", "--port", "0", "--pki", pki, "--idam", Recorded.RecordedIdam })
        {
            info.ArgumentList.Add(a);
        }

        using var sandbox = Process.Start(info)!;
        try
        {
            var endpoint = await ReadEndpointAsync(sandbox);
            var password = TestPki.ReadPasswordFile(pki);
            using var client = CreateClient(pki, password);
            using var content = new ByteArrayContent(Recorded.Request("AdrtroisToussaint"));
            content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse("application/soap+xml; charset=utf-8");

            using var response = await client.PostAsync(endpoint, content, TestContext.Current.CancellationToken);

            ((int)response.StatusCode).Should().Be(200);
            var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            XmlEquivalence.Differences(File.ReadAllText(Recorded.File("AdrtroisToussaint.response.xml")), body).Should().BeEmpty();
        }
        finally
        {
            sandbox.Kill(entireProcessTree: true);
            await sandbox.WaitForExitAsync(TestContext.Current.CancellationToken);
        }
    }

    [Fact]
    public async Task Pki_init_refuses_to_overwrite_without_force_and_exits_1()
    {
        var pki = Path.Combine(_dir, "pki2");
        (await ProcessRunner.RunAsync(Dotnet, [CliDll, "pki", "init", "--dir", pki], AppContext.BaseDirectory, TimeSpan.FromMinutes(2))).ExitCode.Should().Be(0);

        var again = await ProcessRunner.RunAsync(Dotnet, [CliDll, "pki", "init", "--dir", pki], AppContext.BaseDirectory, TimeSpan.FromMinutes(2));

        again.ExitCode.Should().Be(1);
        again.Stderr.Should().Contain("--force");
    }

    [Fact]
    public async Task Sandbox_insi_without_a_PKI_folder_exits_1_with_a_clear_message()
    {
        var run = await ProcessRunner.RunAsync(Dotnet, [CliDll, "sandbox", "insi", "--pki", Path.Combine(_dir, "missing")], AppContext.BaseDirectory, TimeSpan.FromMinutes(1));

        run.ExitCode.Should().Be(1);
        run.Stderr.Should().Contain("INSi sandbox not started");
    }

    [Fact]
    public async Task Sandbox_insi_generate_writes_a_base_the_sandbox_loads()
    {
        Directory.CreateDirectory(_dir);
        var file = Path.Combine(_dir, "base.json");

        var run = await ProcessRunner.RunAsync(Dotnet, [CliDll, "sandbox", "insi", "generate", "--count", "500", "--out", file, "--seed", "3", "--homonym-rate", "0.1", "--nia-rate", "0.2"],
            AppContext.BaseDirectory, TimeSpan.FromMinutes(1));

        run.ExitCode.Should().Be(0, run.Stderr);
        Data.SandboxIdentityBase.LoadFile(file).Persons.Should().HaveCount(500);
    }

    private static async Task<Uri> ReadEndpointAsync(Process sandbox)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromMinutes(1));
        var seen = new StringBuilder();
        while (await sandbox.StandardOutput.ReadLineAsync(cts.Token) is { } line)
        {
            seen.AppendLine(line);
            var at = line.IndexOf("https://", StringComparison.Ordinal);
            if (at >= 0)
            {
                return new Uri(line[at..].Trim());
            }
        }

        throw new InvalidOperationException($"santegw sandbox insi printed no endpoint. stdout: {seen} stderr: {await sandbox.StandardError.ReadToEndAsync(cts.Token)}");
    }

    private static HttpClient CreateClient(string pki, string password)
    {
        var handler = new SocketsHttpHandler
        {
            SslOptions = new System.Net.Security.SslClientAuthenticationOptions
            {
                ClientCertificates = [TestPki.LoadP12(pki, TestPki.InsiAutoP12File, password)],
                CertificateChainPolicy = new System.Security.Cryptography.X509Certificates.X509ChainPolicy
                {
                    TrustMode = System.Security.Cryptography.X509Certificates.X509ChainTrustMode.CustomRootTrust,
                    CustomTrustStore = { TestPki.LoadCa(pki) },
                    RevocationMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck,
                },
            },
        };
        return new HttpClient(handler);
    }
}
