using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SanteGateway.Insi.Sandbox.Pki;

namespace SanteGateway.Insi.Sandbox;

/// <summary>
/// A running INSi sandbox: Kestrel on 127.0.0.1 with a mutual-TLS listener (client certificate issued by the sandbox CA
/// required at the TLS handshake) and optionally a CPx listener (server TLS only, PS assertion required).
/// Both serve <c>POST /lps</c>.
/// </summary>
public sealed class InsiSandboxServer : IAsyncDisposable
{
    private const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";
    private readonly WebApplication _app;
    private readonly X509Certificate2 _serverCertificate;

    private InsiSandboxServer(WebApplication app, X509Certificate2 serverCertificate, InsiSandboxHandler handler, Uri endpoint, Uri? cpxEndpoint)
    {
        _app = app;
        _serverCertificate = serverCertificate;
        Handler = handler;
        Endpoint = endpoint;
        CpxEndpoint = cpxEndpoint;
    }

    /// <summary>Mutual-TLS endpoint, <c>https://127.0.0.1:PORT/lps</c>.</summary>
    public Uri Endpoint { get; }

    /// <summary>CPx endpoint (<c>https://127.0.0.1:PORT/lps</c>), or null when <see cref="InsiSandboxOptions.CpxPort"/> is null.</summary>
    public Uri? CpxEndpoint { get; }

    /// <summary>The request handler (identity base, options).</summary>
    public InsiSandboxHandler Handler { get; }

    /// <summary>Starts the sandbox; returns once both listeners accept connections.</summary>
    /// <exception cref="ArgumentException">A required option is missing or out of range.</exception>
    /// <exception cref="InvalidDataException">The identity base or scripted folder is invalid.</exception>
    public static async Task<InsiSandboxServer> StartAsync(InsiSandboxOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (string.IsNullOrEmpty(options.PkiDirectory))
        {
            throw new ArgumentException("PkiDirectory is required (run 'santegw pki init --dir DIR' first).", nameof(options));
        }

        var password = options.Password ?? TestPki.ReadPasswordFile(options.PkiDirectory);
        options.Password = password;
        var serverCertificate = TestPki.LoadP12(options.PkiDirectory, TestPki.ServerP12File, password);
        var anchors = options.TrustAnchors ?? [TestPki.LoadCa(options.PkiDirectory)];
        options.TrustAnchors = anchors;

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = typeof(InsiSandboxServer).Assembly.GetName().Name });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton<InsiSandboxHandler>();
        ListenOptions? mtls = null;
        ListenOptions? cpx = null;
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = options.MaxRequestBytes;
            kestrel.Listen(IPAddress.Loopback, options.Port, listen =>
            {
                mtls = listen;
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                listen.UseHttps(new HttpsConnectionAdapterOptions
                {
                    ServerCertificate = serverCertificate,
                    ClientCertificateMode = ClientCertificateMode.RequireCertificate,
                    ClientCertificateValidation = (certificate, _, _) => ValidateClientCertificate(certificate, anchors),
                });
            });
            if (options.CpxPort is { } cpxPort)
            {
                kestrel.Listen(IPAddress.Loopback, cpxPort, listen =>
                {
                    cpx = listen;
                    listen.Protocols = HttpProtocols.Http1AndHttp2;
                    listen.UseHttps(new HttpsConnectionAdapterOptions { ServerCertificate = serverCertificate, ClientCertificateMode = ClientCertificateMode.NoCertificate });
                });
            }
        });

        var app = builder.Build();
        var handler = app.Services.GetRequiredService<InsiSandboxHandler>();
        var cpxPortBound = -1;
        app.MapPost("/lps", context => handler.HandleAsync(
            context,
            context.Connection.LocalPort == cpxPortBound ? InsiSandboxAuthentication.CpxAssertion : InsiSandboxAuthentication.MutualTls));
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

        // Kestrel writes the bound endpoint (real port when 0 was asked) back into the listen options.
        var port = mtls!.IPEndPoint!.Port;
        Uri? cpxEndpoint = null;
        if (cpx is not null)
        {
            cpxPortBound = cpx.IPEndPoint!.Port;
            cpxEndpoint = new Uri($"https://127.0.0.1:{cpxPortBound}/lps");
        }

        return new InsiSandboxServer(app, serverCertificate, handler, new Uri($"https://127.0.0.1:{port}/lps"), cpxEndpoint);
    }

    /// <summary>
    /// True when <paramref name="certificate"/> chains to one of <paramref name="anchors"/> (custom root trust, no revocation
    /// check) and allows client authentication. The CN rule (INSI-AUTO / INSI-MANU) is applied later, as a SOAP fault.
    /// </summary>
    public static bool ValidateClientCertificate(X509Certificate2 certificate, X509Certificate2Collection anchors)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(anchors);
        if (anchors.Count == 0)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(anchors);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new System.Security.Cryptography.Oid(ClientAuthOid));
        return chain.Build(certificate);
    }

    /// <summary>Waits until the sandbox stops (e.g. Ctrl-C when the host handles it) or <paramref name="cancellationToken"/> fires.</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken) => _app.WaitForShutdownAsync(cancellationToken);

    /// <summary>Stops the listeners and releases the server certificate.</summary>
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _serverCertificate.Dispose();
    }
}
