// Short local process calls; threading the test token through each adds nothing here.
#pragma warning disable xUnit1051
using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SanteGateway.Cli.Tests;

/// <summary><c>Gateway:Https</c>: the structure's own certificate for the web UI and the API, instead of the generated self-signed one.</summary>
[Collection("ins-cli console")]
public sealed class ServeHttpsTests : IDisposable
{
    private const string Offline = "\"Insi\": { \"Mode\": \"none\" }, \"Documents\": { \"Mode\": \"none\" }, \"Ror\": { \"Mode\": \"none\" }";

    private readonly string dataDir = Path.Combine(Path.GetTempPath(), "santegw-https-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(dataDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task Serve_presents_the_configured_https_certificate_reading_its_password_from_the_environment()
    {
        Directory.CreateDirectory(dataDir);
        var p12 = Path.Combine(dataDir, "web.p12");
        using (var key = RSA.Create(2048))
        {
            var request = new CertificateRequest("CN=santegw.chu-test.fr", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            var san = new SubjectAlternativeNameBuilder();
            san.AddDnsName("santegw.chu-test.fr");
            request.CertificateExtensions.Add(san.Build());
            using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(30));
            await File.WriteAllBytesAsync(p12, certificate.Export(X509ContentType.Pkcs12, "mot-de-passe-https"));
        }

        await File.WriteAllTextAsync(Path.Combine(dataDir, "appsettings.json"),
            "{ \"Gateway\": { \"Https\": { \"CertificatePath\": \"" + p12 + "\", \"PasswordEnv\": \"SANTEGW_TEST_WEB_P12\" } }, " + Offline + " }");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "santegw.dll"), "serve", "--data", dataDir, "--urls", "https://127.0.0.1:0" })
        {
            start.ArgumentList.Add(a);
        }

        start.Environment["SANTEGW_TEST_WEB_P12"] = "mot-de-passe-https";
        using var process = Process.Start(start)!;
        try
        {
            string? url = null;
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            while (url is null)
            {
                var line = await process.StandardOutput.ReadLineAsync(timeout.Token)
                    ?? throw new InvalidOperationException("serve exited early: " + await process.StandardError.ReadToEndAsync());
                if (line.StartsWith("santegw: listening on ", StringComparison.Ordinal))
                {
                    url = line["santegw: listening on ".Length..].Trim();
                }
            }

            string? presented = null;
            using var handler = new HttpClientHandler
            {
                ServerCertificateCustomValidationCallback = (_, certificate, _, _) =>
                {
                    presented = certificate?.Subject;
                    return true;
                },
            };
            using var http = new HttpClient(handler) { BaseAddress = new Uri(url) };
            (await http.GetAsync("/health/live")).StatusCode.Should().Be(System.Net.HttpStatusCode.OK);
            presented.Should().Be("CN=santegw.chu-test.fr");
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task Serve_refuses_an_https_certificate_file_that_does_not_exist_and_names_the_setting()
    {
        Directory.CreateDirectory(dataDir);
        await File.WriteAllTextAsync(Path.Combine(dataDir, "appsettings.json"),
            "{ \"Gateway\": { \"Https\": { \"CertificatePath\": \"/nulle-part/web.p12\" } }, " + Offline + " }");

        var (exit, _, err) = await CliRunner.RunAsync("serve", "--data", dataDir, "--urls", "https://127.0.0.1:0");

        exit.Should().Be(2);
        err.Should().Contain("Gateway:Https:CertificatePath").And.Contain("/nulle-part/web.p12");
    }
}
