using System.Net;
using System.Security.Cryptography.X509Certificates;
using SanteGateway.Server.Security;
using SanteGateway.Store.Tests;

namespace SanteGateway.Server.Tests;

public sealed class HttpsTests(SqliteTestDatabase database) : IClassFixture<SqliteTestDatabase>
{
    [Fact]
    public void The_development_certificate_is_created_once_for_the_loopback_names_and_then_reused()
    {
        var dir = Path.Combine(Path.GetTempPath(), "santegw-cert-" + Guid.NewGuid().ToString("N"));
        try
        {
            using var first = DevelopmentCertificate.LoadOrCreate(dir);
            using var second = DevelopmentCertificate.LoadOrCreate(dir);
            second.Thumbprint.Should().Be(first.Thumbprint);
            first.HasPrivateKey.Should().BeTrue();
            var san = first.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
            san.EnumerateDnsNames().Should().Contain("localhost");
            san.EnumerateIPAddresses().Should().Contain(IPAddress.Loopback);
            if (!OperatingSystem.IsWindows())
            {
                File.GetUnixFileMode(Path.Combine(dir, "https", DevelopmentCertificate.FileName)).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Https_answers_carry_hsts_and_plain_http_is_redirected_except_health()
    {
        await using var gw = await TestGateway.StartAsync(database, configure: o =>
        {
            o.RequireHttps = true;
            o.HttpsPort = 443;
        });
        var https = gw.Anonymous();
        https.BaseAddress = new Uri("https://localhost");
        var secure = await https.GetAsync("/health/ready");
        secure.Headers.Contains("Strict-Transport-Security").Should().BeTrue();

        var http = gw.Anonymous();
        http.BaseAddress = new Uri("http://localhost");
        (await http.GetAsync("/health/live")).StatusCode.Should().Be(HttpStatusCode.OK);
        var api = await http.GetAsync("/api/identities");
        api.StatusCode.Should().Be(HttpStatusCode.TemporaryRedirect);
        api.Headers.Location!.Scheme.Should().Be("https");
    }
}
