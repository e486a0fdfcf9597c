// Short local process calls; threading the test token through each adds nothing here.
#pragma warning disable xUnit1051
using System.Diagnostics;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Data.Sqlite;
using SanteGateway.Insi.Sandbox.Pki;

namespace SanteGateway.Cli.Tests;

/// <summary><c>santegw serve</c> starts the documents sandbox (XDS.b and PDSm over mutual TLS) as its default target.</summary>
[Collection("ins-cli console")]
public sealed class ServeDocumentsTests : IDisposable
{
    private readonly string dataDir = Path.Combine(Path.GetTempPath(), "santegw-cli-docs-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(dataDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task Serve_starts_the_documents_sandbox_which_answers_PDSm_over_mutual_TLS_with_the_data_folder_PKI()
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "santegw.dll"), "serve", "--data", dataDir, "--urls", "http://127.0.0.1:0" })
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        try
        {
            var lines = new List<string>();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
            while (!lines.Any(l => l.StartsWith("santegw: listening on ", StringComparison.Ordinal)))
            {
                var line = await process.StandardOutput.ReadLineAsync(timeout.Token)
                    ?? throw new InvalidOperationException("serve exited early: " + await process.StandardError.ReadToEndAsync() + string.Join('\n', lines));
                lines.Add(line);
            }

            const string prefix = "santegw: documents sandbox (DMP XDS.b) at ";
            var sandboxLine = lines.Should().ContainSingle(l => l.StartsWith(prefix, StringComparison.Ordinal)).Subject;
            var sandbox = new Uri(sandboxLine[prefix.Length..].Trim());
            sandbox.Host.Should().Be("127.0.0.1");

            var pki = Path.Combine(dataDir, "pki");
            var password = TestPki.ReadPasswordFile(pki);
            using var client = TestPki.LoadP12(pki, TestPki.InsiAutoP12File, password);
            using var ca = TestPki.LoadCa(pki);
            using var handler = new HttpClientHandler
            {
                ClientCertificates = { client },
                ServerCertificateCustomValidationCallback = (_, cert, _, _) =>
                {
                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.Add(ca);
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    return cert is not null && chain.Build(cert);
                },
            };
            using var http = new HttpClient(handler) { BaseAddress = sandbox };
            using var dmp = await http.GetAsync("fhir/Patient?identifier=" + Uri.EscapeDataString("urn:oid:1.2.250.1.213.1.4.10|279035121518989"));

            dmp.StatusCode.Should().Be(HttpStatusCode.OK);
            (await dmp.Content.ReadAsStringAsync()).Should().Contain("\"resourceType\":\"Bundle\"").And.Contain("\"active\":true");
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }
}
