using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using SanteGateway.Insi;
using SanteGateway.Insi.Sandbox;
using SanteGateway.Insi.Sandbox.Pki;
using SanteGateway.Server;
using SanteGateway.Server.Insi;
using SanteGateway.Server.Security;
using SanteGateway.Store;

namespace SanteGateway.EndToEnd;

/// <summary>
/// The real thing, as <c>santegw serve</c> runs it: the gateway on Kestrel (127.0.0.1, ephemeral port), a fresh data
/// folder with a SQLite database, and the INSi sandbox reached through the INSi client over mutual TLS with a
/// throw-away test PKI. Accounts are created through the admin API with the generated admin password.
/// </summary>
public sealed class GatewayServer : IAsyncDisposable
{
    public const string FrontDesk = "accueil1";
    public const string FrontDesk2 = "accueil2";
    public const string Vigilance = "vigilance1";
    public const string Password = "Motdepasse-E2E-2026!";

    /// <summary>The partner whose accepted data is delivered to <see cref="DeliveryFolder"/> (the publisher's local route).</summary>
    public const string DeliveryPartner = "LAB-LIVRAISON";

    /// <summary>Name of the tracked certificate that expires in 20 days.</summary>
    public const string ExpiringCertificate = "org-expirant";
    private const string PkiPassword = "e2e-sandbox-pass";

    private readonly string dataDir;
    private readonly WebApplication app;
    private readonly InsiSandboxServer? sandbox;
    private SanteGateway.Ror.Sandbox.RorSandboxServer? rorSandbox;

    /// <summary>The documents sandbox (DMP XDS.b and PDSm) the gateway sends to.</summary>
    public SanteGateway.Documents.Sandbox.DocumentsSandboxServer Documents { get; private init; } = null!;

    private GatewayServer(string dataDir, WebApplication app, InsiSandboxServer? sandbox, Uri baseAddress, string adminPassword)
    {
        AdminPassword = adminPassword;
        this.dataDir = dataDir;
        this.app = app;
        this.sandbox = sandbox;
        BaseAddress = baseAddress;
    }

    /// <summary>The generated password of the <c>admin</c> account.</summary>
    public string AdminPassword { get; }

    /// <summary>The folder route <c>Inbound:Routes</c> writes the accepted data of <see cref="DeliveryPartner"/> to, with the local identity.</summary>
    public string DeliveryFolder => Path.Combine(dataDir, "livraisons");

    /// <summary><c>http://127.0.0.1:PORT/</c>.</summary>
    public Uri BaseAddress { get; }

    /// <summary>The gateway's services (test setup of state no screen creates, e.g. an outbox dead letter).</summary>
    public IServiceProvider Services => app.Services;

    /// <param name="configureSandbox">Changes to the INSi sandbox settings (e.g. a latency profile, to see the UI's waiting state).</param>
    /// <param name="insi">
    /// Client settings of an INSi service the test runs itself (e.g. one noting each TLS client certificate), used instead
    /// of the built-in sandbox.
    /// </param>
    /// <param name="arguments">More configuration, as <c>--Key=value</c> (e.g. <c>Gateway:Establishments</c>).</param>
    public static async Task<GatewayServer> StartAsync(Action<InsiSandboxOptions>? configureSandbox = null, InsiClientOptions? insi = null, IReadOnlyList<string>? arguments = null)
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "santegw-e2e-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dataDir);
        var pkiDir = Path.Combine(dataDir, "pki");
        TestPki.Create(pkiDir, PkiPassword, force: true);
        var sandboxOptions = new InsiSandboxOptions { PkiDirectory = pkiDir, Password = PkiPassword, Port = 0 };
        configureSandbox?.Invoke(sandboxOptions);
        var sandbox = insi is null ? await InsiSandboxServer.StartAsync(sandboxOptions) : null;

        var options = new GatewayOptions
        {
            HighTrustDocuments = { "CN", "PA", "CS" },
            DataDirectory = dataDir,
            Urls = "http://127.0.0.1:0",
            RequireHttps = false,
            // The browser signs in many times within a minute.
            AuthPermitsPerMinute = 1000,
            InsPolicy = SanteGateway.Identity.InsPolicy.AllowTestAndDemo,
            Store = new StoreOptions { Provider = StoreProvider.Sqlite, ConnectionString = GatewayStore.SqliteConnectionString(Path.Combine(dataDir, "santegw.db")) },
        };
        var insiOptions = insi ?? new InsiClientOptions
        {
            Endpoint = sandbox!.Endpoint,
            Idam = InsiSandboxOptions.DefaultIdam,
            Instance = "6c1d2e3f-4a5b-4c6d-8e7f-901a2b3c4d5e",
            AutomaticCertificatePath = Path.Combine(pkiDir, TestPki.InsiAutoP12File),
            AutomaticCertificatePassword = PkiPassword,
            ManualCertificatePath = Path.Combine(pkiDir, TestPki.InsiManuP12File),
            ManualCertificatePassword = PkiPassword,
            RetryBaseDelay = TimeSpan.FromMilliseconds(10),
        };
        if (insi is null)
        {
            insiOptions.TrustedCaPaths.Add(Path.Combine(pkiDir, TestPki.CaPemFile));
        }

        // The ROR sandbox, as serve starts it: the ROR screens read the mirror a synchronisation fills from it.
        var ror = await SanteGateway.Ror.Sandbox.RorSandboxServer.StartAsync(new SanteGateway.Ror.Sandbox.RorSandboxOptions { PkiDirectory = Path.Combine(dataDir, "ror-pki"), GeneratedOffers = 60 });
        // A structure certificate 20 days from expiry (inside the 30-day alert threshold): the administrators' banner.
        var expiring = Path.Combine(dataDir, "org-expiring.pem");
        using (var key = System.Security.Cryptography.RSA.Create(2048))
        {
            var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=ORG-EXPIRANT, O=SANTEGATEWAY E2E", key, System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1);
            using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-300), DateTimeOffset.UtcNow.AddDays(20));
            await File.WriteAllTextAsync(expiring, cert.ExportCertificatePem());
        }

        var builder = GatewayApp.CreateBuilder(
            [
                $"--Gateway:Certificates:0:Name={ExpiringCertificate}", $"--Gateway:Certificates:0:Path={expiring}", "--Gateway:Certificates:0:Use=org",
                // The publisher's own software as a folder route, for one partner only (other tests' inbound data stays undelivered).
                "--Inbound:Routes:0:Name=dpi-local", "--Inbound:Routes:0:Kind=folder", $"--Inbound:Routes:0:Folder={Path.Combine(dataDir, "livraisons")}",
                $"--Inbound:Routes:0:Partners:0={DeliveryPartner}",
                .. arguments ?? Array.Empty<string>(),
            ],
            options);
        SanteGateway.Server.Ror.RorRegistration.AddGatewayRor(builder.Services, ror.ClientOptions());
        builder.WebHost.UseUrls(options.Urls);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddGatewayInsi(insiOptions);
        var documents = await DocumentsTarget.StartAsync(builder.Services, pkiDir, PkiPassword);
        var app = GatewayApp.Build(builder);
        var adminPassword = await GatewayApp.InitializeAsync(app.Services) ?? throw new InvalidOperationException("A fresh database must create the admin account.");
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        var server = new GatewayServer(dataDir, app, sandbox, new Uri(address.TrimEnd('/') + "/"), adminPassword) { rorSandbox = ror, Documents = documents };

        using var admin = await server.SignedInClientAsync(GatewayApp.AdminUserName, adminPassword);
        await CreateUserAsync(admin, FrontDesk, GatewayRoles.FrontDesk);
        await CreateUserAsync(admin, FrontDesk2, GatewayRoles.FrontDesk);
        await CreateUserAsync(admin, Vigilance, GatewayRoles.IdentityVigilance);
        return server;
    }

    /// <summary>An HTTP client holding the session cookie of <paramref name="user"/> (for test setup through the API).</summary>
    public async Task<HttpClient> SignedInClientAsync(string user, string password = Password)
    {
        var client = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer() }) { BaseAddress = BaseAddress };
        var response = await client.PostAsJsonAsync("api/auth/login", new { userName = user, password });
        response.StatusCode.Should().Be(HttpStatusCode.NoContent, await response.Content.ReadAsStringAsync());
        return client;
    }

    private static async Task CreateUserAsync(HttpClient admin, string userName, string role)
    {
        var response = await admin.PostAsJsonAsync("api/admin/users", new { userName, password = Password, roles = new[] { role } });
        response.StatusCode.Should().Be(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
        if (sandbox is not null)
        {
            await sandbox.DisposeAsync();
        }
        if (rorSandbox is not null)
        {
            await rorSandbox.DisposeAsync();
        }

        await Documents.DisposeAsync();
        try
        {
            Directory.Delete(dataDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
