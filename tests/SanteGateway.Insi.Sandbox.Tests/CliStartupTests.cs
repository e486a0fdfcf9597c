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
        var (pki, sandbox, endpoint) = await StartSandboxAsync();
        using (sandbox)
        {
            try
            {
                using var client = CreateClient(pki, TestPki.ReadPasswordFile(pki));
                using var content = new ByteArrayContent(Recorded.Request("AdrtroisToussaint"));
                content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse("application/soap+xml; charset=utf-8");

                using var response = await client.PostAsync(endpoint, content, TestContext.Current.CancellationToken);

                ((int)response.StatusCode).Should().Be(200);
                var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
                XmlEquivalence.Differences(File.ReadAllText(Recorded.File("AdrtroisToussaint.response.xml")), body).Should().BeEmpty();
            }
            finally
            {
                await StopAsync(sandbox);
            }
        }
    }

    [Fact]
    public async Task Santegw_insi_search_against_santegw_sandbox_insi_prints_the_expected_JSON()
    {
        var (pki, sandbox, endpoint) = await StartSandboxAsync();
        using (sandbox)
        {
            try
            {
                var run = await ProcessRunner.RunAsync(Dotnet,
                    [
                        CliDll, "insi", "search", "--birth-name", "ADRTROIS", "--first-names", "TOUSSAINT", "--sex", "M", "--birth-date", "1960-01-01",
                        "--endpoint", endpoint.ToString(), "--cert", Path.Combine(pki, TestPki.InsiAutoP12File), "--cert-password-env", "SANTEGW_SANDBOX_TEST_PW",
                        "--ca", Path.Combine(pki, TestPki.CaPemFile), "--idam", InsiSandboxOptions.DefaultIdam, "--json",
                    ],
                    AppContext.BaseDirectory, TimeSpan.FromMinutes(1),
                    new Dictionary<string, string> { ["SANTEGW_SANDBOX_TEST_PW"] = TestPki.ReadPasswordFile(pki) });

                run.ExitCode.Should().Be(0, run.Stderr);
                using var json = System.Text.Json.JsonDocument.Parse(run.Stdout);
                json.RootElement.GetProperty("cr").GetString().Should().Be("00");
                json.RootElement.GetProperty("label").GetString().Should().Be("OK");
                var individual = json.RootElement.GetProperty("individual");
                individual.GetProperty("matricule").GetString().Should().Be("160012B02077713");
                individual.GetProperty("oid").GetString().Should().Be("1.2.250.1.213.1.4.8");
                individual.GetProperty("birthPlace").GetString().Should().Be("2B020");
            }
            finally
            {
                await StopAsync(sandbox);
            }
        }
    }

    [Fact]
    public async Task Insi_search_with_record_then_sandbox_insi_with_replay_gives_the_same_answer_and_says_what_it_replays()
    {
        var record = Path.Combine(_dir, "recording");
        var (pki, live, endpoint) = await StartSandboxAsync();
        using (live)
        {
            try
            {
                var first = await SearchAsync(pki, endpoint, "--record", record);
                first.ExitCode.Should().Be(0, first.Stderr);
                Directory.EnumerateFiles(record, "*.exchange.json").Should().ContainSingle();
            }
            finally
            {
                await StopAsync(live);
            }
        }

        var (replay, replayOut, replayEndpoint) = await StartSandboxWithAsync(pki, "--replay", record, "--latency", "5ms", "--fault-layout", "2022");
        using (replay)
        {
            try
            {
                replayOut.Should().Contain("Replaying 1 recorded request(s)");
                var again = await SearchAsync(pki, replayEndpoint);
                again.ExitCode.Should().Be(0, again.Stderr);
                again.Stdout.Should().Contain("\"matricule\":\"160012B02077713\"");
            }
            finally
            {
                await StopAsync(replay);
            }
        }
    }

    [Fact]
    public async Task Insi_search_with_record_against_the_production_endpoint_is_refused_before_any_call()
    {
        var record = Path.Combine(_dir, "prod-recording");

        var run = await SearchAsync(SharedPki.Directory, new Uri(InsiClientOptions.ProductionMutualTlsEndpoint), "--record", record);

        run.ExitCode.Should().Be(1);
        run.Stderr.Should().Contain("refusing to record against the production endpoint");
        Directory.Exists(record).Should().BeFalse();
    }

    [Fact]
    public async Task Sandbox_insi_with_a_bad_persons_CSV_exits_1_naming_the_line_and_the_rule()
    {
        Directory.CreateDirectory(_dir);
        var csv = Path.Combine(_dir, "persons.csv");
        await File.WriteAllTextAsync(csv, "local_id;birth_name;first_names;sex;birth_date;birth_place_cog;ins_matricule;oid\nP1;DUPONT;JEAN;M;1985-04-12;75056;185047505612300;1.2.250.1.213.1.4.8\n", TestContext.Current.CancellationToken);

        var run = await ProcessRunner.RunAsync(Dotnet, [CliDll, "sandbox", "insi", "--pki", SharedPki.Directory, "--password-env", "SANTEGW_SANDBOX_TEST_PW", "--persons", csv],
            AppContext.BaseDirectory, TimeSpan.FromMinutes(1), new Dictionary<string, string> { ["SANTEGW_SANDBOX_TEST_PW"] = SharedPki.Password });

        run.ExitCode.Should().Be(1);
        run.Stderr.Should().Contain("INSi sandbox not started").And.Contain("line 2: ins_matricule: key '00'").And.Contain("[rule ins-key]");
    }

    private static Task<(int ExitCode, string Stdout, string Stderr)> SearchAsync(string pki, Uri endpoint, params string[] extra)
    {
        var password = pki == SharedPki.Directory ? SharedPki.Password : TestPki.ReadPasswordFile(pki);
        return ProcessRunner.RunAsync(Dotnet,
            [
                CliDll, "insi", "search", "--birth-name", "ADRTROIS", "--first-names", "TOUSSAINT", "--sex", "M", "--birth-date", "1960-01-01",
                "--endpoint", endpoint.ToString(), "--cert", Path.Combine(pki, TestPki.InsiAutoP12File), "--cert-password-env", "SANTEGW_SANDBOX_TEST_PW",
                "--ca", Path.Combine(pki, TestPki.CaPemFile), "--idam", InsiSandboxOptions.DefaultIdam, "--retries", "0", "--json", .. extra,
            ],
            AppContext.BaseDirectory, TimeSpan.FromMinutes(1),
            new Dictionary<string, string> { ["SANTEGW_SANDBOX_TEST_PW"] = password });
    }

    private async Task<(string Pki, Process Sandbox, Uri Endpoint)> StartSandboxAsync()
    {
        var pki = Path.Combine(_dir, "pki");
        var init = await ProcessRunner.RunAsync(Dotnet, [CliDll, "pki", "init", "--dir", pki], AppContext.BaseDirectory, TimeSpan.FromMinutes(2));
        init.ExitCode.Should().Be(0, init.Stderr);
        init.Stdout.Should().Contain("INSI-AUTO.p12").And.Contain("password.txt");
        var (sandbox, _, endpoint) = await StartSandboxWithAsync(pki);
        return (pki, sandbox, endpoint);
    }

    private static async Task<(Process Sandbox, string Stdout, Uri Endpoint)> StartSandboxWithAsync(string pki, params string[] extra)
    {
        var info = new ProcessStartInfo(Dotnet) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { CliDll, "sandbox", "insi", "--port", "0", "--pki", pki, "--idam", Recorded.RecordedIdam }.Concat(extra))
        {
            info.ArgumentList.Add(a);
        }

        var sandbox = Process.Start(info)!;
        try
        {
            var endpoint = await ReadEndpointAsync(sandbox);
            var rest = new StringBuilder();
            while (await sandbox.StandardOutput.ReadLineAsync(TestContext.Current.CancellationToken) is { } line)
            {
                rest.AppendLine(line);
                if (line.Contains("Ctrl-C", StringComparison.Ordinal))
                {
                    break;
                }
            }

            return (sandbox, rest.ToString(), endpoint);
        }
        catch
        {
            await StopAsync(sandbox);
            sandbox.Dispose();
            throw;
        }
    }

    private static async Task StopAsync(Process sandbox)
    {
        if (!sandbox.HasExited)
        {
            sandbox.Kill(entireProcessTree: true);
        }

        await sandbox.WaitForExitAsync(TestContext.Current.CancellationToken);
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
