using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using SanteGateway.Insi;
using SanteGateway.Interop.Hl7v2.Mllp;
using SanteGateway.Server.Hl7;
using SanteGateway.Insi.Sandbox.Pki;
using SanteGateway.Server.Inbound;
using SanteGateway.Server.Security;
using SanteGateway.Store;
using SanteGateway.Store.Tests;
using SanteGateway.Testing;

namespace SanteGateway.Server.Tests;

/// <summary>
/// The test PKI of the INSi sandbox (an IGC-Santé-like CA and client certificates), plus a self-signed certificate pinned by
/// thumbprint and an impostor CA that issues a certificate with a bound partner's very subject.
/// </summary>
public sealed class PartnerPki : IDisposable
{
    public const string Password = "partner-pki";

    public PartnerPki()
    {
        TestPki.Create(Dir, Password, force: true);
        Server = Load(TestPki.ServerP12File);
        LabA = Load(TestPki.InsiAutoP12File);
        LabB = Load(TestPki.OtherP12File);
        Ca = TestPki.LoadCa(Dir);
        Pinned = SelfSigned("CN=PLATEFORME PARTENAIRE, O=PARTENAIRE PRIVE, C=FR");
        using var impostorCa = SelfSigned("CN=" + TestPki.CaCommonName + ", OU=IGC-SANTE SANDBOX, O=" + TestPki.Organisation + ", C=FR", ca: true);
        Impostor = Issue(impostorCa, LabA.SubjectName, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddMonths(6));
        using var realCa = TestPki.LoadP12(Dir, TestPki.CaP12File, Password);
        Expired = Issue(realCa, LabA.SubjectName, realCa.NotBefore.AddMinutes(1), DateTimeOffset.UtcNow.AddMinutes(-5));
    }

    public string Dir { get; } = Directory.CreateTempSubdirectory("santegw-partner-pki-").FullName;

    public string CaPem => Path.Combine(Dir, TestPki.CaPemFile);

    public X509Certificate2 Ca { get; }

    public X509Certificate2 Server { get; }

    /// <summary>Bound to LAB-A by subject and issuer.</summary>
    public X509Certificate2 LabA { get; }

    /// <summary>Issued by the same CA, bound to nobody.</summary>
    public X509Certificate2 LabB { get; }

    /// <summary>Self-signed, bound to LAB-P by its SHA-256 thumbprint.</summary>
    public X509Certificate2 Pinned { get; }

    /// <summary>LAB-A's subject and issuer name, from another CA.</summary>
    public X509Certificate2 Impostor { get; }

    /// <summary>LAB-A's subject from the right CA, expired.</summary>
    public X509Certificate2 Expired { get; }

    public void Dispose()
    {
        foreach (var c in new[] { Ca, Server, LabA, LabB, Pinned, Impostor, Expired })
        {
            c.Dispose();
        }

        Directory.Delete(Dir, recursive: true);
    }

    private X509Certificate2 Load(string file)
    {
        using var cert = TestPki.LoadP12(Dir, file, Password);
        return X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pkcs12, Password), Password);
    }

    private static X509Certificate2 SelfSigned(string subject, bool ca = false)
    {
        using var key = RSA.Create(2048);
        var req = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(ca, false, 0, true));
        req.CertificateExtensions.Add(new X509KeyUsageExtension(ca ? X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.DigitalSignature : X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        if (!ca)
        {
            req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        }
        else
        {
            req.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(req.PublicKey, false));
        }

        using var cert = req.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        return X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pkcs12, Password), Password);
    }

    private static X509Certificate2 Issue(X509Certificate2 ca, X500DistinguishedName subject, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        using var key = RSA.Create(2048);
        var req = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        req.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        using var cert = req.Create(ca, notBefore, notAfter, RandomNumberGenerator.GetBytes(12));
        using var withKey = cert.CopyWithPrivateKey(key);
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12, Password), Password);
    }
}

/// <summary>
/// Partners identified by their client certificate over real mutual TLS (Kestrel on loopback, the test PKI): on
/// <c>POST /api/inbound</c> and <c>POST /fhir/Patient</c>, the certificate names the partner and <c>X-Partner</c> may not name
/// another; a partner bound to a certificate cannot be named without it; nothing is stored for a refused request.
/// </summary>
public sealed class InboundMutualTlsTests(PartnerPki pki, SqliteTestDatabase database) : IClassFixture<PartnerPki>, IClassFixture<SqliteTestDatabase>
{
    private const string Hl7 = "x-application/hl7-v2+er7";

    private static string Shared(params string[] parts) => File.ReadAllText(TestPaths.SharedFile(["data", .. parts]));

    private static string Oru() => Shared("hl7v2", "oru-r01-cr-bio-init.hl7").Replace("\r\n", "\r", StringComparison.Ordinal).Replace('\n', '\r');

    private static string FhirPatient() => Shared("fhir", "fr-core", "2.2.0", "examples", "Patient-FRCorePatientExample.json");

    /// <summary>The gateway over HTTPS on an ephemeral loopback port, partners LAB-A (subject + issuer), LAB-P (pinned), LAB-B (no certificate).</summary>
    private async Task<(TestGateway Gateway, Uri Base)> StartAsync(PartnerCertificateMode mode, IReadOnlyDictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Inbound:Tls:ClientCertificates"] = mode.ToString(),
            ["Inbound:Tls:TrustedCaPaths:0"] = pki.CaPem,
            ["Inbound:Tls:Partners:LAB-A:Subject"] = pki.LabA.Subject,
            ["Inbound:Tls:Partners:LAB-A:Issuer"] = pki.Ca.Subject,
            ["Inbound:Tls:Partners:LAB-P:Thumbprints:0"] = pki.Pinned.GetCertHashString(HashAlgorithmName.SHA256),
        };
        var i = 0;
        foreach (var partner in new[] { "LAB-A", "LAB-B", "LAB-P" })
        {
            settings[$"Inbound:Partners:{i}:Id"] = partner;
            settings[$"Inbound:Partners:{i}:AssigningAuthority"] = "1.2.250.1.999." + (i + 1);
            i++;
        }

        foreach (var (k, v) in extra ?? new Dictionary<string, string?>())
        {
            settings[k] = v;
        }

        var gw = await TestGateway.StartAsync(database, configureBuilder: b =>
        {
            b.Configuration.AddInMemoryCollection(settings);
            b.WebHost.UseKestrel();
            b.WebHost.UseUrls("https://127.0.0.1:0");
            PartnerCertificates.ConfigureKestrelHttps(b, pki.Server);
        });
        var address = gw.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return (gw, new Uri(address.Replace("127.0.0.1", "localhost", StringComparison.Ordinal)));
    }

    /// <summary>An API client over TLS (server checked against the test CA) presenting <paramref name="certificate"/>, with a front-desk key.</summary>
    private async Task<HttpClient> ClientAsync(TestGateway gw, Uri address, X509Certificate2? certificate)
    {
        var (key, record) = ApiKeys.Create("partner feed", [GatewayRoles.FrontDesk], "tests", DateTimeOffset.UtcNow);
        await using (var scope = gw.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
            db.ApiKeys.Add(record);
            await db.SaveChangesAsync(TestContext.Current.CancellationToken);
        }

        var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, cert, _, errors) => OutboundTls.ValidateServer(cert, errors, [pki.Ca], checkRevocation: false),
                ClientCertificates = certificate is null ? null : new X509CertificateCollection { certificate },
                LocalCertificateSelectionCallback = (_, _, _, _, _) => certificate!,
            },
        };
        if (certificate is null)
        {
            handler.SslOptions.LocalCertificateSelectionCallback = null;
        }

        var client = new HttpClient(handler) { BaseAddress = address };
        client.DefaultRequestHeaders.Add(ApiKeys.Header, key);
        return client;
    }

    private static async Task<HttpResponseMessage> PostAsync(HttpClient client, string path, string body, string contentType, string? partner)
    {
        using var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        using var req = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
        if (partner is not null)
        {
            req.Headers.Add(InboundEndpoints.PartnerHeader, partner);
        }

        return await client.SendAsync(req, TestContext.Current.CancellationToken);
    }

    private static async Task<JsonElement> JsonOf(HttpResponseMessage r) =>
        JsonDocument.Parse(await r.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;

    private async Task<int> ItemsOfAsync(TestGateway gw, string partner)
    {
        await using var scope = gw.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
        return db.InboundItems.Count(x => x.PartnerId == partner);
    }

    /// <summary>The problem's field errors: <c>errors[field]</c> holds <c>rule: message</c>.</summary>
    private static string FieldError(JsonElement problem, string field) =>
        string.Join(" | ", problem.GetProperty("errors").GetProperty(field).EnumerateArray().Select(e => e.GetString()));

    [Fact]
    public async Task A_partners_certificate_names_it_so_its_message_needs_no_X_Partner_header()
    {
        var (gw, address) = await StartAsync(PartnerCertificateMode.Allow);
        await using var _ = gw;
        using var client = await ClientAsync(gw, address, pki.LabA);

        using var r = await PostAsync(client, "/api/inbound", Oru(), Hl7, partner: null);
        var json = await JsonOf(r);
        r.StatusCode.Should().Be(HttpStatusCode.Accepted, json.ToString());

        using var item = await client.GetAsync($"/api/inbound/{json.GetProperty("id").GetString()}", TestContext.Current.CancellationToken);
        (await JsonOf(item)).GetProperty("partner").GetString().Should().Be("LAB-A");

        using var named = await PostAsync(client, "/api/inbound", Oru(), Hl7, partner: "LAB-A");
        named.StatusCode.Should().Be(HttpStatusCode.Accepted, "X-Partner may name the certificate's own partner");
    }

    [Fact]
    public async Task X_Partner_naming_another_partner_than_the_certificates_is_refused_on_the_API_and_nothing_is_stored()
    {
        var (gw, address) = await StartAsync(PartnerCertificateMode.Require);
        await using var _ = gw;
        using var client = await ClientAsync(gw, address, pki.LabA);
        var before = await ItemsOfAsync(gw, "LAB-B");

        using var r = await PostAsync(client, "/api/inbound", Oru(), Hl7, partner: "LAB-B");

        r.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        var problem = await JsonOf(r);
        problem.GetProperty("rule").GetString().Should().Be("inbound.partner-not-certificate");
        FieldError(problem, "X-Partner").Should().Contain("inbound.partner-not-certificate").And.Contain("'LAB-A'").And.Contain("'LAB-B'");
        (await ItemsOfAsync(gw, "LAB-B")).Should().Be(before);
    }

    [Fact]
    public async Task X_Partner_naming_another_partner_than_the_certificates_is_refused_on_FHIR_with_an_OperationOutcome()
    {
        var (gw, address) = await StartAsync(PartnerCertificateMode.Require);
        await using var _ = gw;
        using var client = await ClientAsync(gw, address, pki.LabA);
        var before = await ItemsOfAsync(gw, "LAB-P");

        using var r = await PostAsync(client, "/fhir/Patient", FhirPatient(), "application/fhir+json", partner: "LAB-P");

        r.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        var outcome = await JsonOf(r);
        outcome.GetProperty("resourceType").GetString().Should().Be("OperationOutcome");
        var issue = outcome.GetProperty("issue")[0];
        issue.GetProperty("code").GetString().Should().Be("forbidden");
        issue.GetProperty("expression")[0].GetString().Should().Be("X-Partner");
        issue.GetProperty("diagnostics").GetString().Should().Contain("inbound.partner-not-certificate").And.Contain("'LAB-A'");
        (await ItemsOfAsync(gw, "LAB-P")).Should().Be(before);

        using var own = await PostAsync(client, "/fhir/Patient", FhirPatient(), "application/fhir+json", partner: null);
        own.StatusCode.Should().Be(HttpStatusCode.Accepted, await own.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        own.Headers.Location!.ToString().Should().StartWith("/api/inbound/");
    }

    [Fact]
    public async Task A_self_signed_certificate_pinned_by_its_thumbprint_identifies_its_partner_on_FHIR()
    {
        var (gw, address) = await StartAsync(PartnerCertificateMode.Allow);
        await using var _ = gw;
        using var client = await ClientAsync(gw, address, pki.Pinned);
        var before = await ItemsOfAsync(gw, "LAB-P");

        using var r = await PostAsync(client, "/fhir/Patient", FhirPatient(), "application/fhir+json", partner: "LAB-P");

        r.StatusCode.Should().Be(HttpStatusCode.Accepted, await r.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        (await ItemsOfAsync(gw, "LAB-P")).Should().Be(before + 1);
    }

    [Fact]
    public async Task A_partner_bound_to_a_certificate_cannot_be_named_by_a_connection_without_it()
    {
        var (gw, address) = await StartAsync(PartnerCertificateMode.Allow);
        await using var _ = gw;
        using var client = await ClientAsync(gw, address, certificate: null);

        using var r = await PostAsync(client, "/api/inbound", Oru(), Hl7, partner: "LAB-A");
        r.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        FieldError(await JsonOf(r), "X-Partner").Should().StartWith("inbound.certificate-required");

        using var unbound = await PostAsync(client, "/api/inbound", Oru(), Hl7, partner: "LAB-B");
        unbound.StatusCode.Should().Be(HttpStatusCode.Accepted, "a partner with no certificate binding is still named by X-Partner alone");
    }

    [Theory]
    [InlineData("impostor")]
    [InlineData("expired")]
    [InlineData("unbound")]
    public async Task A_certificate_that_proves_no_partner_is_refused_naming_the_certificate(string which)
    {
        var (gw, address) = await StartAsync(PartnerCertificateMode.Allow);
        await using var _ = gw;
        var certificate = which switch { "impostor" => pki.Impostor, "expired" => pki.Expired, _ => pki.LabB };
        using var client = await ClientAsync(gw, address, certificate);
        var before = await ItemsOfAsync(gw, "LAB-A");

        using var r = await PostAsync(client, "/api/inbound", Oru(), Hl7, partner: "LAB-A");

        r.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        var problem = await JsonOf(r);
        problem.GetProperty("rule").GetString().Should().Be("inbound.certificate-unknown");
        FieldError(problem, "client-certificate").Should().Contain(certificate.GetCertHashString(HashAlgorithmName.SHA256));
        (await ItemsOfAsync(gw, "LAB-A")).Should().Be(before);
    }

    [Fact]
    public async Task When_client_certificates_are_required_a_connection_without_one_is_closed_at_the_handshake()
    {
        var (gw, address) = await StartAsync(PartnerCertificateMode.Require);
        await using var _ = gw;
        using var client = await ClientAsync(gw, address, certificate: null);

        var send = () => PostAsync(client, "/api/inbound", Oru(), Hl7, partner: "LAB-B");

        await send.Should().ThrowAsync<HttpRequestException>();
    }

    [Fact]
    public void A_binding_with_a_malformed_thumbprint_or_a_subject_without_a_trusted_CA_fails_at_start_naming_the_setting()
    {
        var thumbprint = new PartnerTlsOptions();
        thumbprint.Partners["LAB-X"] = new PartnerCertificateBinding { Thumbprints = { "not-hex" } };
        var subjectOnly = new PartnerTlsOptions();
        subjectOnly.Partners["LAB-Y"] = new PartnerCertificateBinding { Subject = "CN=LAB Y, C=FR" };

        var bad = () => new PartnerCertificates(Microsoft.Extensions.Options.Options.Create(thumbprint), TimeProvider.System);
        var noCa = () => new PartnerCertificates(Microsoft.Extensions.Options.Options.Create(subjectOnly), TimeProvider.System);

        bad.Should().Throw<InvalidOperationException>().WithMessage("*Inbound:Tls:Partners:LAB-X:Thumbprints*");
        noCa.Should().Throw<InvalidOperationException>().WithMessage("*LAB-Y*TrustedCaPaths*");
    }

    [Fact]
    public void A_subject_written_in_OpenSSL_order_with_spaces_matches_the_certificate()
    {
        var options = new PartnerTlsOptions { TrustedCaPaths = { pki.CaPem } };
        var openSsl = string.Join(", ", pki.LabA.SubjectName.Name.Split(", ").Reverse().Select(rdn => rdn.Replace("=", " = ", StringComparison.Ordinal)));
        options.Partners["LAB-A"] = new PartnerCertificateBinding { Subject = openSsl };
        using var certificates = new PartnerCertificates(Microsoft.Extensions.Options.Options.Create(options), TimeProvider.System);

        certificates.Identify(pki.LabA).Should().Equal("LAB-A");
        certificates.Identify(pki.Impostor).Should().BeEmpty("the impostor's chain does not reach the trusted CA");
    }

    [Fact]
    public async Task Over_MLLP_with_mutual_TLS_the_certificate_names_the_partner_and_a_sending_facility_of_another_partner_is_refused()
    {
        var (gw, _) = await StartAsync(PartnerCertificateMode.None, new Dictionary<string, string?>
        {
            ["Hl7:Listener:Port"] = "0",
            ["Hl7:Listener:CertificatePath"] = Path.Combine(pki.Dir, TestPki.ServerP12File),
            ["Hl7:Listener:CertificatePassword"] = PartnerPki.Password,
            ["Hl7:Listener:RequireClientCertificate"] = "true",
            ["Hl7:Listener:PartnersBySendingFacility:LABO-B"] = "LAB-B",
        });
        await using var _ = gw;
        var ct = TestContext.Current.CancellationToken;
        var port = gw.Services.GetRequiredService<Hl7ListenerService>().LocalEndpoint!.Port;
        MllpClient Client(X509Certificate2 certificate) => new(new MllpClientOptions
        {
            Host = "localhost",
            Port = port,
            UseTls = true,
            ClientCertificates = [certificate],
            ServerCertificateValidation = (_, cert, _, errors) => OutboundTls.ValidateServer(cert, errors, [pki.Ca], checkRevocation: false),
        });
        var beforeA = await ItemsOfAsync(gw, "LAB-A");
        var beforeB = await ItemsOfAsync(gw, "LAB-B");

        await using (var labA = Client(pki.LabA))
        {
            // MSH-4 "labo" is mapped to no partner and the listener has no default: the certificate names LAB-A.
            var own = await labA.SendAsync(Encoding.UTF8.GetBytes(Oru()), null, ct);
            own.Code.Should().Be("AA", Encoding.UTF8.GetString(own.Raw));

            var claimed = await labA.SendAsync(Encoding.UTF8.GetBytes(Oru().Replace("|SIL-Y|labo|", "|SIL-Y|LABO-B|", StringComparison.Ordinal)), null, ct);
            claimed.Code.Should().Be("AR");
            var error = claimed.Errors.Single();
            error.ApplicationErrorCode.Should().Be("inbound.partner-not-certificate");
            error.UserMessage.Should().Contain("'LAB-A'").And.Contain("'LAB-B'");
        }

        // A pinned partner's certificate is not in the system trust store: the binding admits it at the handshake.
        await using (var pinned = Client(pki.Pinned))
        {
            var ack = await pinned.SendAsync(Encoding.UTF8.GetBytes(Oru()), null, ct);
            ack.Code.Should().Be("AA", Encoding.UTF8.GetString(ack.Raw));
        }

        (await ItemsOfAsync(gw, "LAB-A")).Should().Be(beforeA + 1);
        (await ItemsOfAsync(gw, "LAB-B")).Should().Be(beforeB, "the refused message never enters the gate as LAB-B");
        (await ItemsOfAsync(gw, "LAB-P")).Should().BeGreaterThan(0);
    }
}
