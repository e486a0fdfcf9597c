using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Configuration;
using SanteGateway.Server.Security;
using SanteGateway.Store.Tests;

namespace SanteGateway.Server.Tests;

/// <summary>Certificate tracking in the gateway: API, health check.</summary>
public sealed class CertificateApiTests(SqliteTestDatabase database) : IClassFixture<SqliteTestDatabase>, IDisposable
{
    private const string Password = "cert-api-test";
    private readonly string dir = Directory.CreateTempSubdirectory("santegw-cert-api-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public async Task Administrators_list_the_configured_certificates_and_an_expiring_one_turns_the_health_check_degraded()
    {
        using var ca = Ca();
        var caPem = Path.Combine(dir, "ca.pem");
        await File.WriteAllTextAsync(caPem, ca.ExportCertificatePem(), TestContext.Current.CancellationToken);
        var valid = Leaf(ca, "valid.p12", "INSI-AUTO", 400);
        var soon = Leaf(ca, "soon.p12", "INSI-MANU", 20);
        Environment.SetEnvironmentVariable("SANTEGW_CERT_API_PWD", Password);
        await using var gateway = await TestGateway.StartAsync(database, configureBuilder: b =>
        {
            b.Configuration["Gateway:Certificates:0:Name"] = "auto-chu";
            b.Configuration["Gateway:Certificates:0:Path"] = valid;
            b.Configuration["Gateway:Certificates:0:PasswordEnv"] = "SANTEGW_CERT_API_PWD";
            b.Configuration["Gateway:Certificates:0:Use"] = "insi-auto";
            b.Configuration["Gateway:Certificates:0:Establishment"] = "750712184";
            b.Configuration["Gateway:Certificates:1:Name"] = "manu-chu";
            b.Configuration["Gateway:Certificates:1:Path"] = soon;
            b.Configuration["Gateway:Certificates:1:PasswordEnv"] = "SANTEGW_CERT_API_PWD";
            b.Configuration["Gateway:Certificates:1:Use"] = "insi-manu";
            b.Configuration["Gateway:CertificateTrustAnchors:0"] = caPem;
        });
        var admin = await gateway.ClientAsync(GatewayRoles.Admin);
        var frontDesk = await gateway.ClientAsync(GatewayRoles.FrontDesk);

        var list = await (await admin.GetAsync("/api/admin/certificates", TestContext.Current.CancellationToken)).JsonAsync();
        var health = await gateway.Anonymous().GetAsync("/health/ready", TestContext.Current.CancellationToken);
        var refused = await frontDesk.GetAsync("/api/admin/certificates", TestContext.Current.CancellationToken);

        list.GetArrayLength().Should().Be(2);
        list[0].GetProperty("name").GetString().Should().Be("auto-chu");
        list[0].GetProperty("state").GetString().Should().Be("ok");
        list[0].GetProperty("establishment").GetString().Should().Be("750712184");
        list[0].GetProperty("environment").GetString().Should().Be("test");
        list[1].GetProperty("state").GetString().Should().Be("expiring");
        list[1].GetProperty("threshold").GetInt32().Should().Be(30);
        list[1].GetProperty("daysLeft").GetInt32().Should().BeInRange(19, 20);
        list.ToString().Should().NotContain(Password);
        health.StatusCode.Should().Be(HttpStatusCode.OK, "degraded still serves");
        (await health.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).Should().Be("Degraded");
        refused.StatusCode.Should().Be(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task The_days_left_gauge_is_published_from_start_up_before_any_call_uses_a_certificate()
    {
        using var ca = Ca();
        var leaf = Leaf(ca, "gauge.p12", "INSI-AUTO", 123);
        Environment.SetEnvironmentVariable("SANTEGW_CERT_API_PWD", Password);
        var name = "gauge-" + Guid.NewGuid().ToString("N")[..8];
        var seen = new List<int>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (i, l) =>
        {
            if (i.Meter.Name == SanteGateway.Application.CertificateInventory.MeterName && i.Name == "santegw.certificate.days_left")
            {
                l.EnableMeasurementEvents(i);
            }
        };
        listener.SetMeasurementEventCallback<int>((_, v, tags, _) =>
        {
            foreach (var t in tags)
            {
                if (t.Key == "certificate" && (string?)t.Value == name)
                {
                    lock (seen)
                    {
                        seen.Add(v);
                    }
                }
            }
        });
        listener.Start();

        await using var gateway = await TestGateway.StartAsync(database, configureBuilder: b =>
        {
            b.Configuration["Gateway:Certificates:0:Name"] = name;
            b.Configuration["Gateway:Certificates:0:Path"] = leaf;
            b.Configuration["Gateway:Certificates:0:PasswordEnv"] = "SANTEGW_CERT_API_PWD";
            b.Configuration["Gateway:Certificates:0:Use"] = "insi-auto";
        });
        listener.RecordObservableInstruments();

        seen.Should().NotBeEmpty("the inventory is built when the host starts, with no request made");
        seen[0].Should().BeInRange(122, 123);
    }

    [Fact]
    public void The_gateways_own_HTTPS_certificate_is_tracked_with_its_expiry_and_a_server_verdict_rather_than_the_IGC_Sante_rules()
    {
        var soon = Server("https-soon.p12", 20, serverAuth: true);
        Environment.SetEnvironmentVariable("SANTEGW_CERT_API_HTTPS_PWD", Password);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Gateway:Https:CertificatePath"] = soon,
            ["Gateway:Https:PasswordEnv"] = "SANTEGW_CERT_API_HTTPS_PWD",
        }).Build();

        var options = SanteGateway.Server.Certificates.CertificateEndpoints.ReadOptions(configuration, null);
        using var inventory = new SanteGateway.Application.CertificateInventory(options);
        var https = inventory.List().Should().ContainSingle().Subject;

        https.Name.Should().Be("https");
        https.Use.Should().Be(SanteGateway.Application.CertificateUse.ServerTls);
        https.State.Should().Be("expiring", "20 days left is inside the 30-day threshold, as for the other certificates");
        https.Threshold.Should().Be(30);
        https.Report!.Findings.Select(f => f.Code).Should().Contain(["eku.server-auth", "chain.system"])
            .And.NotContain(["eku.client-auth", "environment.unknown", "chain.not-checked"], "an HTTPS certificate is not an IGC-Santé one");
        https.Report.Findings.Single(f => f.Code == "chain.system").Severity.Should().Be(SanteGateway.Application.CertificateSeverity.Warning, "a self-signed certificate makes browsers warn");
    }

    [Fact]
    public void An_HTTPS_certificate_without_server_authentication_is_invalid_and_an_unconfigured_one_is_not_tracked()
    {
        var client = Server("https-client.p12", 400, serverAuth: false);
        Environment.SetEnvironmentVariable(SanteGateway.Server.Certificates.CertificateEndpoints.HttpsPasswordVariable, Password);
        var configured = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Gateway:Https:CertificatePath"] = client }).Build();
        var none = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Gateway:Https:Port"] = "8443" }).Build();

        using var inventory = new SanteGateway.Application.CertificateInventory(SanteGateway.Server.Certificates.CertificateEndpoints.ReadOptions(configured, null));
        var https = inventory.List().Single();

        https.State.Should().Be("invalid");
        https.Report!.Findings.Single(f => f.Code == "eku.server-auth").Severity.Should().Be(SanteGateway.Application.CertificateSeverity.Error);
        SanteGateway.Server.Certificates.CertificateEndpoints.ReadOptions(none, null).Certificates.Should().BeEmpty("the generated development certificate is not tracked");
    }

    /// <summary>A self-signed server certificate for localhost (with SAN), serverAuth or clientAuth only.</summary>
    private string Server(string file, int daysLeft, bool serverAuth)
    {
        using var key = RSA.Create(2048);
        var req = new CertificateRequest("CN=santegw.chu.example", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(serverAuth ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("santegw.chu.example");
        req.CertificateExtensions.Add(san.Build());
        using var cert = req.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-10), DateTimeOffset.UtcNow.AddDays(daysLeft));
        var path = Path.Combine(dir, file);
        File.WriteAllBytes(path, cert.Export(X509ContentType.Pkcs12, Password));
        return path;
    }

    private static X509Certificate2 Ca()
    {
        using var key = RSA.Create(2048);
        var req = new CertificateRequest("CN=TEST AC IGC-SANTE ELEMENTAIRE ORGANISATIONS, O=ASIP-SANTE, C=FR", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        return req.CreateSelfSigned(DateTimeOffset.UtcNow.AddYears(-3), DateTimeOffset.UtcNow.AddYears(5));
    }

    private string Leaf(X509Certificate2 ca, string file, string cn, int daysLeft)
    {
        using var key = RSA.Create(2048);
        var req = new CertificateRequest($"CN={cn}, OU=10B0152872, O=CHU TEST, C=FR", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        using var cert = req.Create(ca, DateTimeOffset.UtcNow.AddDays(-10), DateTimeOffset.UtcNow.AddDays(daysLeft), RandomNumberGenerator.GetBytes(10));
        using var withKey = cert.CopyWithPrivateKey(key);
        var path = Path.Combine(dir, file);
        File.WriteAllBytes(path, withKey.Export(X509ContentType.Pkcs12, Password));
        return path;
    }
}
