using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Logging;
using SanteGateway.Ror.Sandbox.Pki;

namespace SanteGateway.Ror.Sandbox;

/// <summary>
/// A running ROR sandbox: Kestrel on 127.0.0.1, HTTPS with the sandbox server certificate. A client certificate is asked for at
/// the handshake but optional (profile-0 clients have none); when present it must chain to the sandbox CA and allow client
/// authentication, and the token endpoint matches its subject DN against the registered clients.
/// </summary>
public sealed class RorSandboxServer : IAsyncDisposable
{
    private const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";
    private readonly WebApplication _app;
    private readonly X509Certificate2 _serverCertificate;

    private RorSandboxServer(WebApplication app, X509Certificate2 serverCertificate, RorSandboxHandler handler, Uri root, string pkiDirectory, string password)
    {
        _app = app;
        _serverCertificate = serverCertificate;
        Handler = handler;
        Root = root;
        PkiDirectory = pkiDirectory;
        Password = password;
    }

    /// <summary><c>https://127.0.0.1:PORT/</c>.</summary>
    public Uri Root { get; }

    /// <summary>The FHIR base of the consultation service (<c>…/ws-diffusion-fhir/</c>).</summary>
    public Uri FhirBase => new(Root, RorSandboxHandler.FhirPath + "/");

    /// <summary>The base of the capacity service (<c>…/ws-synchro-dispo-lits-fhir/</c>).</summary>
    public Uri CapacityBase => new(Root, RorSandboxHandler.CapacityPath + "/");

    /// <summary>The token endpoint.</summary>
    public Uri TokenEndpoint => new(Root, RorSandboxHandler.TokenPath);

    /// <summary>The PKI folder in use.</summary>
    public string PkiDirectory { get; }

    /// <summary>The PKCS#12 password of the PKI.</summary>
    public string Password { get; }

    /// <summary>The PEM file of the sandbox CA (to trust in the client).</summary>
    public string CaPemPath => Path.Combine(PkiDirectory, RorSandboxPki.CaPemFile);

    /// <summary>The request handler (data, recorded requests).</summary>
    public RorSandboxHandler Handler { get; }

    /// <summary>Client options for one of the registered clients, pointing at this sandbox.</summary>
    /// <param name="clientId">A registered client id (default: the profile-1 mTLS client).</param>
    /// <returns>Options ready for <see cref="RorClient.Create"/>.</returns>
    public RorClientOptions ClientOptions(string clientId = RorSandboxOptions.DefaultMtlsClientId)
    {
        var options = new RorClientOptions
        {
            FhirBase = FhirBase,
            CapacityBase = CapacityBase,
            TokenEndpoint = TokenEndpoint,
            ClientId = clientId,
            ExportPollInterval = TimeSpan.FromMilliseconds(200),
            AttemptTimeout = TimeSpan.FromSeconds(30),
        };
        options.TrustedCaPaths.Add(CaPemPath);
        switch (clientId)
        {
            case RorSandboxOptions.DefaultSecretClientId:
                options.AccessProfile = 0;
                options.ClientSecret = RorSandboxOptions.DefaultSecret;
                break;
            case RorSandboxOptions.DefaultProfile3ClientId:
                options.AccessProfile = 3;
                options.ClientCertificatePath = Path.Combine(PkiDirectory, RorSandboxPki.ClientProfile3P12File);
                options.ClientCertificatePassword = Password;
                break;
            default:
                options.AccessProfile = 1;
                options.ClientCertificatePath = Path.Combine(PkiDirectory, RorSandboxPki.ClientP12File);
                options.ClientCertificatePassword = Password;
                break;
        }

        return options;
    }

    /// <summary>Starts the sandbox; returns once it accepts connections.</summary>
    /// <param name="options">Settings.</param>
    /// <param name="time">Clock (token expiry, lastUpdated); the system clock when null.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    /// <returns>The running sandbox.</returns>
    /// <exception cref="ArgumentException">A setting is wrong.</exception>
    public static async Task<RorSandboxServer> StartAsync(RorSandboxOptions options, TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (string.IsNullOrEmpty(options.PkiDirectory))
        {
            throw new ArgumentException("PkiDirectory is required.", nameof(options));
        }

        time ??= TimeProvider.System;
        string password;
        if (!RorSandboxPki.Exists(options.PkiDirectory))
        {
            if (!options.CreatePki)
            {
                throw new ArgumentException($"No ROR sandbox PKI in {options.PkiDirectory} (run 'santegw sandbox ror' once with --create-pki).", nameof(options));
            }

            password = RorSandboxPki.Create(options.PkiDirectory, options.Password, force: true);
        }
        else
        {
            password = options.Password ?? RorSandboxPki.ReadPassword(options.PkiDirectory);
        }

        var serverCertificate = RorSandboxPki.Load(options.PkiDirectory, RorSandboxPki.ServerP12File, password);
        var anchors = new X509Certificate2Collection(RorSandboxPki.LoadCa(options.PkiDirectory));
        var data = new RorSandboxData(time);
        if (options.LoadExamples)
        {
            data.LoadExamples();
        }

        var generatedAt = time.GetUtcNow().AddDays(-7);
        foreach (var resource in RorDataGenerator.Generate(options.GeneratedOffers, options.Seed, generatedAt))
        {
            data.Seed(resource);
        }

        var handler = new RorSandboxHandler(options, data, time);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = typeof(RorSandboxServer).Assembly.GetName().Name });
        builder.Logging.ClearProviders();
        ListenOptions? listen = null;
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(IPAddress.Loopback, options.Port, l =>
            {
                listen = l;
                l.Protocols = HttpProtocols.Http1AndHttp2;
                l.UseHttps(new HttpsConnectionAdapterOptions
                {
                    ServerCertificate = serverCertificate,
                    ClientCertificateMode = ClientCertificateMode.AllowCertificate,
                    ClientCertificateValidation = (certificate, _, _) => ValidateClientCertificate(certificate, anchors),
                });
            });
        });
        var app = builder.Build();
        app.Run(handler.HandleAsync);
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            serverCertificate.Dispose();
            throw;
        }

        var root = new Uri($"https://127.0.0.1:{listen!.IPEndPoint!.Port}/");
        handler.PublicBase = options.PublicBase ?? root;
        return new RorSandboxServer(app, serverCertificate, handler, root, Path.GetFullPath(options.PkiDirectory), password);
    }

    /// <summary>True when the certificate chains to <paramref name="anchors"/> and allows client authentication.</summary>
    /// <param name="certificate">Client certificate.</param>
    /// <param name="anchors">Trusted CAs.</param>
    /// <returns>True when accepted at the handshake.</returns>
    public static bool ValidateClientCertificate(X509Certificate2 certificate, X509Certificate2Collection anchors)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(anchors);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(anchors);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new System.Security.Cryptography.Oid(ClientAuthOid));
        return chain.Build(certificate);
    }

    /// <summary>Waits until the host stops or <paramref name="cancellationToken"/> fires.</summary>
    /// <param name="cancellationToken">Cancellation.</param>
    /// <returns>A task.</returns>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken) => _app.WaitForShutdownAsync(cancellationToken);

    /// <summary>Stops the sandbox.</summary>
    /// <returns>A task.</returns>
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _serverCertificate.Dispose();
    }
}
