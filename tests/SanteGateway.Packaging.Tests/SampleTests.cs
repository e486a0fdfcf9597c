using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace SanteGateway.Packaging.Tests;

/// <summary>The samples, built against the packages only, run as a publisher would run them.</summary>
public sealed partial class SampleTests(PackagedFeed feed)
{
    private static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_console_sample_searches_the_ins_in_the_sandbox_qualifies_the_identity_and_renders_the_datamatrix()
    {
        feed.EnsureReady();
        var output = Path.Combine(feed.Root, "console-output");

        var run = await ProcessRunner.DotnetAsync([feed.SampleAssembly("ConsoleSample"), output], feed.Samples, TimeSpan.FromMinutes(3), ct: Ct);

        run.ExitCode.Should().Be(0, run.ToString());
        var lines = run.Output.Split('\n', StringSplitOptions.TrimEntries);
        lines.Should().Contain($"SanteGateway.Identity {feed.Version}+{Head()}".TrimEnd('+'), "the sample ran the library from the package just packed");
        lines.Should().ContainInOrder(["Status: PROV", "INSi answer: CR 00 OK", "Status: RECUP (INS retrieved, OID 1.2.250.1.213.1.4.8)", "Status: QUAL (may transmit INS: True)"]);
        lines.Should().Contain(l => l.StartsWith("DataMatrix: ", StringComparison.Ordinal) && l.EndsWith("read back: identical", StringComparison.Ordinal));
        (await File.ReadAllBytesAsync(Path.Combine(output, "ins-datamatrix.png"), Ct)).Should().StartWith(PngSignature);
        (await File.ReadAllTextAsync(Path.Combine(output, "ins-datamatrix.svg"), Ct)).Should().Contain("<svg");
    }

    [Fact]
    public async Task The_minimal_api_sample_qualifies_an_identity_over_http_and_refuses_bad_traits_by_field()
    {
        feed.EnsureReady();
        using var web = await WebSample.StartAsync(feed, Ct);
        using var http = new HttpClient { BaseAddress = web.Address, Timeout = TimeSpan.FromMinutes(1) };

        var home = await http.GetFromJsonAsync<JsonElement>("/", Ct);
        home.GetProperty("identity").GetString().Should().StartWith(feed.Version);

        var qualify = await http.PostAsJsonAsync("/patients/qualify", new
        {
            birthName = "ADRTROIS", firstNames = new[] { "TOUSSAINT" }, sex = "M", birthDate = "1960-01-01", birthPlace = "2B020", documentType = "CN",
        }, Ct);
        qualify.StatusCode.Should().Be(HttpStatusCode.OK, await qualify.Content.ReadAsStringAsync(Ct));
        var body = await qualify.Content.ReadFromJsonAsync<JsonElement>(Ct);
        body.GetProperty("statuses").EnumerateArray().Select(s => s.GetString()).Should().Equal("PROV", "RECUP", "QUAL");
        body.GetProperty("insiCode").GetString().Should().Be("00");
        body.GetProperty("ins").GetString().Should().Be("160012B02077713");
        Convert.FromBase64String(body.GetProperty("dataMatrixPng").GetString()!).Should().StartWith(PngSignature);

        var refused = await http.PostAsJsonAsync("/patients/qualify", new { birthName = "ADRTROIS", firstNames = new[] { "TOUSSAINT" }, sex = "X", birthDate = "1960-01-01" }, Ct);
        refused.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await refused.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors").TryGetProperty("sex", out _).Should().BeTrue();
    }

    /// <summary>The commit the packages were built from (MinVer/SourceLink stamp it), or empty outside git.</summary>
    internal static string Head()
    {
        try
        {
            using var git = Process.Start(new ProcessStartInfo("git", ["-C", SanteGateway.Testing.TestPaths.RepoRoot, "rev-parse", "HEAD"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            })!;
            var sha = git.StandardOutput.ReadToEnd().Trim();
            git.WaitForExit();
            return git.ExitCode == 0 ? sha : string.Empty;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return string.Empty;
        }
    }

    /// <summary>The web sample as a child process on an ephemeral loopback port.</summary>
    private sealed partial class WebSample : IDisposable
    {
        private readonly Process _process;

        private WebSample(Process process, Uri address)
        {
            _process = process;
            Address = address;
        }

        public Uri Address { get; }

        public static async Task<WebSample> StartAsync(PackagedFeed feed, CancellationToken ct)
        {
            var psi = ProcessRunner.StartInfo(ProcessRunner.DotnetHost, [feed.SampleAssembly("WebSample"), "--urls", "http://127.0.0.1:0"], feed.Samples);
            var process = Process.Start(psi)!;
            var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
            var log = new System.Text.StringBuilder();
            process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is null)
                {
                    listening.TrySetException(new InvalidOperationException("The web sample ended before listening:\n" + log));
                    return;
                }

                lock (log)
                {
                    log.AppendLine(e.Data);
                }

                if (ListeningOn().Match(e.Data) is { Success: true } m)
                {
                    listening.TrySetResult(new Uri(m.Groups[1].Value));
                }
            };
            process.ErrorDataReceived += (_, e) =>
            {
                lock (log)
                {
                    log.AppendLine(e.Data);
                }
            };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            try
            {
                var address = await listening.Task.WaitAsync(TimeSpan.FromMinutes(2), ct);
                return new WebSample(process, address);
            }
            catch
            {
                process.Kill(entireProcessTree: true);
                process.Dispose();
                throw;
            }
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }

            _process.Dispose();
        }

        [GeneratedRegex(@"Now listening on: (http://\S+)")]
        private static partial Regex ListeningOn();
    }
}
