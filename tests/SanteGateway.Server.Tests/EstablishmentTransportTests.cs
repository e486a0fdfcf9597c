using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography.X509Certificates;
using Hl7.Fhir.Model;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SanteGateway.Application;
using SanteGateway.Documents.Fhir;
using SanteGateway.Documents.Xds;
using SanteGateway.Identity;
using SanteGateway.Insi;
using SanteGateway.Insi.Sandbox.Pki;
using SanteGateway.Ror;
using SanteGateway.Ror.Sandbox;
using SanteGateway.Ror.Sandbox.Pki;
using SanteGateway.Server.Certificates;
using SanteGateway.Server.Ror;
using SanteGateway.Server.Security;
using SanteGateway.Server.Tests.Ror;
using SanteGateway.Store.Tests;
using Task = System.Threading.Tasks.Task;

namespace SanteGateway.Server.Tests;

/// <summary>
/// A TLS listener that asks every client for its certificate and notes its subject OU before answering 503: what the
/// service really saw, whatever the client says it sent.
/// </summary>
public sealed class RecordingTlsListener : IAsyncDisposable
{
    private readonly WebApplication app;

    private RecordingTlsListener(WebApplication app, Uri root)
    {
        this.app = app;
        Root = root;
    }

    public Uri Root { get; }

    /// <summary>Subject OU of the client certificate of each request, in arrival order.</summary>
    public ConcurrentQueue<string> Seen { get; } = new();

    public static async Task<RecordingTlsListener> StartAsync(X509Certificate2 serverCertificate)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.UseHttps(new HttpsConnectionAdapterOptions
        {
            ServerCertificate = serverCertificate,
            ClientCertificateMode = ClientCertificateMode.RequireCertificate,
            ClientCertificateValidation = (_, _, _) => true,
        })));
        var app = builder.Build();
        RecordingTlsListener? listener = null;
        app.Run(async context =>
        {
            var cert = context.Connection.ClientCertificate;
            listener!.Seen.Enqueue(cert is null ? "(none)" : InsiCertificateIdentity.Of(cert).OrganizationalUnit ?? "(no OU)");
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            await context.Response.WriteAsync("recorded", context.RequestAborted);
        });
        await app.StartAsync();
        listener = new RecordingTlsListener(app, new Uri(app.Urls.First()));
        return listener;
    }

    public List<string> Drain()
    {
        var seen = new List<string>();
        while (Seen.TryDequeue(out var s))
        {
            seen.Add(s);
        }

        return seen;
    }

    public async ValueTask DisposeAsync() => await app.DisposeAsync();
}

/// <summary>
/// Document sharing and the ROR present the ORG AUTH_CLI certificate of the establishment the flow acts for, as seen by
/// the service; an unknown establishment and an expired certificate are refused before anything is sent.
/// </summary>
public sealed class EstablishmentTransportTests(ObservingSandbox pki, SqliteTestDatabase database) : IClassFixture<ObservingSandbox>, IClassFixture<SqliteTestDatabase>
{
    private const string Main = "0B0000001";
    private const string Lyon = "690000123";
    private const string LyonStructure = "1690000123";
    private const string Expired = "130000789";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly InsIdentifier Ins = TestIns();

    private static InsIdentifier TestIns()
    {
        const string body = "1600175056001";
        var matricule = body + InsMatricule.ComputeKey(body).ToString("00", System.Globalization.CultureInfo.InvariantCulture);
        return InsIdentifier.TryCreate(matricule, "1.2.250.1.213.1.4.10", InsPolicy.AllowTestAndDemo, out var ins, out var error)
            ? ins!
            : throw new InvalidOperationException(error);
    }

    private EstablishmentDirectory Directory(bool withExpired)
    {
        var lyon = pki.Issue("dmp-lyon.p12", LyonStructure, "ORG AUTH_CLI");
        List<Establishment> list =
        [
            new(Main, "Site principal") { IsDefault = true },
            new(Lyon, "Site de Lyon") { Dmp = new(lyon, ObservingSandbox.Password) },
            new("330000456", "Site de Bordeaux"),
        ];
        if (withExpired)
        {
            list.Add(new(Expired, "Site au certificat expiré") { Dmp = new(pki.Issue("dmp-expired.p12", "1" + Expired, "ORG AUTH_CLI", daysLeft: -2), ObservingSandbox.Password) });
        }

        return new EstablishmentDirectory(list);
    }

    private static ServiceProvider Services(EstablishmentDirectory establishments)
    {
        var services = new ServiceCollection();
        services.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        services.AddSingleton(establishments);
        return services.BuildServiceProvider();
    }

    private async Task<RecordingTlsListener> ListenerAsync()
    {
        using var server = TestPki.LoadP12(pki.Pki, TestPki.ServerP12File, ObservingSandbox.Password);
        return await RecordingTlsListener.StartAsync(X509CertificateLoader.LoadPkcs12(server.Export(X509ContentType.Pkcs12, "x"), "x"));
    }

    private XdsClientOptions XdsOptions(Uri root)
    {
        var o = new XdsClientOptions
        {
            RepositoryEndpoint = new Uri(root, "/repository"),
            RegistryEndpoint = new Uri(root, "/registry"),
            DmpStatusEndpoint = new Uri(root, "/dmp-status"),
            CertificatePath = Path.Combine(pki.Pki, TestPki.InsiAutoP12File),
            CertificatePassword = ObservingSandbox.Password,
            Timeout = TimeSpan.FromSeconds(10),
        };
        o.TrustedCaPaths.Add(Path.Combine(pki.Pki, TestPki.CaPemFile));
        return o;
    }

    private PdsmClientOptions PdsmOptions(Uri root)
    {
        var o = new PdsmClientOptions
        {
            BaseUrl = new Uri(root, "/fhir/"),
            CertificatePath = Path.Combine(pki.Pki, TestPki.InsiAutoP12File),
            CertificatePassword = ObservingSandbox.Password,
            Timeout = TimeSpan.FromSeconds(10),
        };
        o.TrustedCaPaths.Add(Path.Combine(pki.Pki, TestPki.CaPemFile));
        return o;
    }

    private static async Task<(DmpStatusResult Result, List<string> Seen)> StatusAsync(IDocumentSharingPort port, RecordingTlsListener listener, string? establishment)
    {
        listener.Drain();
        using (EstablishmentContext.Enter(establishment))
        {
            var result = await port.GetDmpStatusAsync(Ins, Ct);
            return (result, listener.Drain());
        }
    }

    [Fact]
    public async Task Each_XDS_call_presents_the_DMP_certificate_of_the_establishment_the_flow_acts_for_as_seen_by_the_service()
    {
        await using var listener = await ListenerAsync();
        var options = XdsOptions(listener.Root);
        using var sp = Services(Directory(withExpired: true));
        var port = EstablishmentTransports.Xds(sp, XdsClient.FromOptions(options), options);
        using var owned = port as IDisposable;

        var lyon = await StatusAsync(port, listener, Lyon);
        var main = await StatusAsync(port, listener, null);
        var bordeaux = await StatusAsync(port, listener, "330000456");
        var unknown = await StatusAsync(port, listener, "750000999");
        var expired = await StatusAsync(port, listener, Expired);

        port.Should().BeOfType<EstablishmentDocumentPort>();
        port.Transport.Should().Be("xds");
        lyon.Seen.Should().NotBeEmpty().And.OnlyContain(ou => ou == LyonStructure);
        main.Seen.Should().NotBeEmpty().And.OnlyContain(ou => ou == TestPki.StructureId, "the default establishment has no certificate of its own: the gateway-wide one");
        bordeaux.Seen.Should().NotBeEmpty().And.OnlyContain(ou => ou == TestPki.StructureId);
        unknown.Seen.Should().BeEmpty();
        unknown.Result.State.Should().Be(DmpState.Unknown);
        unknown.Result.Code.Should().Be("establishment.unknown");
        unknown.Result.Error.Should().Contain("750000999").And.Contain("nothing was sent");
        expired.Seen.Should().BeEmpty();
        expired.Result.Code.Should().Be("certificate.expired");
        expired.Result.Error.Should().Contain(Expired).And.Contain("expired on").And.Contain("cert install");
    }

    [Fact]
    public async Task Each_PDSm_call_presents_the_DMP_certificate_of_the_establishment_the_flow_acts_for_and_an_unknown_one_is_refused_before_sending()
    {
        await using var listener = await ListenerAsync();
        var options = PdsmOptions(listener.Root);
        using var sp = Services(Directory(withExpired: false));
        var port = EstablishmentTransports.Pdsm(sp, PdsmClient.FromOptions(options), options);
        using var owned = port as IDisposable;

        var lyon = await StatusAsync(port, listener, Lyon);
        var main = await StatusAsync(port, listener, Main);
        listener.Drain();
        ShareResult refused;
        using (EstablishmentContext.Enter("750000999"))
        {
            refused = await port.ProvideAsync(null!, Ct);
        }

        port.Transport.Should().Be("pdsm");
        lyon.Seen.Should().NotBeEmpty().And.OnlyContain(ou => ou == LyonStructure);
        main.Seen.Should().NotBeEmpty().And.OnlyContain(ou => ou == TestPki.StructureId);
        refused.Outcome.Should().Be(ShareOutcome.Refused, "sending it again unchanged will not help");
        refused.Errors.Should().ContainSingle(e => e.Code == "establishment.unknown");
        listener.Drain().Should().BeEmpty();
    }

    [Fact]
    public void Without_establishments_the_document_port_is_the_plain_gateway_wide_one()
    {
        var options = XdsOptions(new Uri("https://127.0.0.1:9/"));
        using var sp = Services(EstablishmentDirectory.Empty);

        var port = EstablishmentTransports.Xds(sp, XdsClient.FromOptions(options), options);
        using var owned = port as IDisposable;

        port.Should().BeOfType<SanteGateway.Server.Documents.XdsDocumentPort>();
    }

    [Fact]
    public async Task A_capacity_feed_through_the_API_presents_the_ROR_certificate_of_the_callers_establishment_and_the_synchronisation_the_instances()
    {
        await using var sandbox = await RorSandboxes.StartAsync();
        Environment.SetEnvironmentVariable("SANTEGW_E2E_ROR_PWD", sandbox.Password);
        await using var gw = await TestGateway.StartAsync(database, configureBuilder: b =>
        {
            var c = b.Configuration;
            c["Gateway:Establishments:0:Finess"] = Main;
            c["Gateway:Establishments:0:Default"] = "true";
            c["Gateway:Establishments:1:Finess"] = Lyon;
            c["Gateway:Establishments:1:Certificates:Ror:Path"] = Path.Combine(sandbox.PkiDirectory, RorSandboxPki.ClientProfile3P12File);
            c["Gateway:Establishments:1:Certificates:Ror:PasswordEnv"] = "SANTEGW_E2E_ROR_PWD";
            c["Gateway:Establishments:1:Certificates:Ror:ClientId"] = RorSandboxOptions.DefaultProfile3ClientId;
            c["Gateway:CertificateTrustAnchors:0"] = sandbox.CaPemPath;
            b.Services.AddGatewayRor(sandbox.ClientOptions());
        });
        var admin = await gw.ClientAsync(GatewayRoles.Admin);
        var created = await (await admin.PostAsJsonAsync("/api/admin/api-keys", new { name = "lyon ror", roles = new[] { GatewayRoles.FrontDesk } }, Http.Json, Ct)).JsonAsync();
        (await admin.PutAsJsonAsync($"/api/admin/api-keys/{created.GetProperty("id").GetString()}/establishment", new { establishment = Lyon }, Http.Json, Ct))
            .StatusCode.Should().Be(HttpStatusCode.OK);
        var lyonDesk = gw.Anonymous();
        lyonDesk.DefaultRequestHeaders.Add(ApiKeys.Header, created.GetProperty("key").GetString());
        var mainDesk = await gw.ClientAsync(GatewayRoles.FrontDesk);
        var location = (Location)sandbox.Handler.Data.Get("Location", "loc-000003")!;
        var eg = (Organization)sandbox.Handler.Data.Resolve(location.ManagingOrganization)!;
        var figure = new
        {
            egIdentifier = eg.Identifier.First(i => i.System == RorConstants.IdNatStructSystem).Value,
            externalId = location.Identifier.First(i => i.Type?.Coding.Any(c => c.Code == "26") == true).Value,
            capacityType = "01",
            capacityStatus = "01",
            count = 12,
        };

        sandbox.Handler.ClearRequests();
        await lyonDesk.PostAsJsonAsync("/api/ror/capacity", figure, Http.Json, Ct);
        var lyonSeen = sandbox.Handler.Requests.Select(r => r.ClientCertificateSubject).ToList();
        sandbox.Handler.ClearRequests();
        // Whatever the ROR's business rules answer (the sandbox checks the figures), the certificate is what is looked at.
        await mainDesk.PostAsJsonAsync("/api/ror/capacity", figure, Http.Json, Ct);
        var mainSeen = sandbox.Handler.Requests.Select(r => r.ClientCertificateSubject).ToList();
        sandbox.Handler.ClearRequests();
        var port = gw.Services.GetRequiredService<IRorPort>();
        using (EstablishmentContext.Enter(Lyon))
        {
            await foreach (var _ in port.ReadChangesAsync(DateTimeOffset.UtcNow.AddMinutes(-1), Ct))
            {
            }
        }

        var syncSeen = sandbox.Handler.Requests.Select(r => r.ClientCertificateSubject).ToList();

        port.Should().BeOfType<EstablishmentRorPort>();
        lyonSeen.Should().NotBeEmpty().And.OnlyContain(s => Same(s, RorSandboxPki.ClientProfile3Subject), "Lyon's capacity feed presents Lyon's ORG AUTH_CLI (token and PATCH)");
        mainSeen.Should().NotBeEmpty().And.OnlyContain(s => Same(s, RorSandboxPki.ClientSubject), "the default establishment uses the gateway's ROR certificate");
        syncSeen.Should().NotBeEmpty().And.OnlyContain(s => Same(s, RorSandboxPki.ClientSubject), "reading the national directory is the application instance's, whoever triggers it");
    }

    /// <summary>Same certificate: same CN (the two sandbox clients differ by CN only; the DN's state is written S= or ST=).</summary>
    private static bool Same(string? seen, string expected) =>
        seen is not null && seen.StartsWith(expected[..(expected.IndexOf(',', StringComparison.Ordinal) + 1)], StringComparison.Ordinal);
}
