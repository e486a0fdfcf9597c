using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SanteGateway.Documents.Fhir;
using SanteGateway.Documents.Xds;
using SanteGateway.Insi.Sandbox;
using SanteGateway.Insi.Sandbox.Pki;

namespace SanteGateway.Documents.Sandbox;

/// <summary>Settings of <see cref="DocumentsSandboxServer"/>.</summary>
public sealed class DocumentsSandboxOptions
{
    /// <summary>Port on 127.0.0.1 (0 = ephemeral).</summary>
    public int Port { get; set; }

    /// <summary>PKI folder made by <c>santegw pki init</c> (server certificate and CA).</summary>
    public string? PkiDirectory { get; set; }

    /// <summary>Password of the PKCS#12 files (default: the PKI's password file).</summary>
    public string? Password { get; set; }

    /// <summary>CAs trusted for client certificates and VIHF signatures (default: the PKI's CA).</summary>
    public X509Certificate2Collection? TrustAnchors { get; set; }

    /// <summary>repositoryUniqueId of the sandbox's repository.</summary>
    public string RepositoryUniqueId { get; set; } = "1.2.250.1.999.1.1.1";

    /// <summary>SOAP action of the DMP status request (as configured in the client).</summary>
    public string DmpStatusAction { get; set; } = XdsActions.DmpStatus;

    /// <summary>State of a DMP absent from <see cref="DmpStates"/>.</summary>
    public XdsDmpState DefaultDmpState { get; set; } = XdsDmpState.Active;

    /// <summary>DMP state per matricule (15 characters).</summary>
    public IDictionary<string, XdsDmpState> DmpStates { get; } = new Dictionary<string, XdsDmpState>(StringComparer.Ordinal);

    /// <summary>Largest request accepted.</summary>
    public long MaxRequestBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>
    /// Optional profile check of each ITI-65 bundle (e.g. the Firely validator with the PDSm profiles): the error
    /// messages it returns refuse the bundle with a 422 OperationOutcome. Null: the sandbox's own rules only.
    /// </summary>
    public Func<Hl7.Fhir.Model.Bundle, IReadOnlyList<string>>? PdsmValidator { get; set; }
}

/// <summary>
/// A running document-sharing sandbox: Kestrel on 127.0.0.1, mutual TLS (client certificate issued by the trusted CA
/// required at the handshake), serving <c>POST /xds/repository</c> (ITI-41, ITI-43), <c>POST /xds/registry</c> (ITI-18)
/// and <c>POST /dmp/status</c> (the DMP state), and PDSm under <c>/fhir/</c> (<see cref="PdsmSandboxHandler"/>) on the
/// same registry.
/// </summary>
public sealed class DocumentsSandboxServer : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly X509Certificate2 serverCertificate;

    private DocumentsSandboxServer(WebApplication app, X509Certificate2 serverCertificate, DocumentsSandboxHandler handler, Uri baseUri)
    {
        this.app = app;
        this.serverCertificate = serverCertificate;
        Handler = handler;
        BaseUri = baseUri;
    }

    /// <summary><c>https://127.0.0.1:PORT/</c>.</summary>
    public Uri BaseUri { get; }

    /// <summary>Repository endpoint (ITI-41, ITI-43).</summary>
    public Uri RepositoryEndpoint => new(BaseUri, "xds/repository");

    /// <summary>Registry endpoint (ITI-18).</summary>
    public Uri RegistryEndpoint => new(BaseUri, "xds/registry");

    /// <summary>DMP status endpoint.</summary>
    public Uri DmpStatusEndpoint => new(BaseUri, "dmp/status");

    /// <summary>PDSm (FHIR) base.</summary>
    public Uri FhirBase => new(BaseUri, "fhir/");

    /// <summary>The PDSm handler.</summary>
    public PdsmSandboxHandler Pdsm { get; private init; } = null!;

    /// <summary>The handler (store, DMP states).</summary>
    public DocumentsSandboxHandler Handler { get; }

    private System.Collections.Concurrent.ConcurrentQueue<string> seenCertificates = new();

    /// <summary>
    /// The subject of the client certificate each request presented (the last 1000, in arrival order): which
    /// establishment's certificate a publisher's software really used.
    /// </summary>
    public IReadOnlyList<string> ClientCertificateSubjects => seenCertificates.ToArray();

    /// <summary>Forgets <see cref="ClientCertificateSubjects"/>.</summary>
    public void ClearClientCertificateSubjects() => seenCertificates.Clear();

    /// <summary>Starts the sandbox; returns once it accepts connections.</summary>
    /// <param name="options">Settings.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    /// <returns>The running sandbox.</returns>
    /// <exception cref="ArgumentException">No PKI folder.</exception>
    public static async Task<DocumentsSandboxServer> StartAsync(DocumentsSandboxOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrEmpty(options.PkiDirectory))
        {
            throw new ArgumentException("PkiDirectory is required (run 'santegw pki init --dir DIR' first).", nameof(options));
        }

        options.Password ??= TestPki.ReadPasswordFile(options.PkiDirectory);
        var certificate = TestPki.LoadP12(options.PkiDirectory, TestPki.ServerP12File, options.Password);
        var anchors = options.TrustAnchors ??= [TestPki.LoadCa(options.PkiDirectory)];
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = typeof(DocumentsSandboxServer).Assembly.GetName().Name });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton<DocumentsSandboxHandler>();
        builder.Services.AddSingleton<PdsmSandboxHandler>();
        ListenOptions? listen = null;
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = options.MaxRequestBytes;
            kestrel.Listen(IPAddress.Loopback, options.Port, l =>
            {
                listen = l;
                l.Protocols = HttpProtocols.Http1AndHttp2;
                l.UseHttps(new HttpsConnectionAdapterOptions
                {
                    ServerCertificate = certificate,
                    ClientCertificateMode = ClientCertificateMode.RequireCertificate,
                    ClientCertificateValidation = (c, _, _) => InsiSandboxServer.ValidateClientCertificate(c, anchors),
                });
            });
        });
        var app = builder.Build();
        var seen = new System.Collections.Concurrent.ConcurrentQueue<string>();
        app.Use(async (context, next) =>
        {
            // Which client certificate each request came with (mTLS checked it already): what the DMP would see.
            seen.Enqueue(context.Connection.ClientCertificate?.Subject ?? "(none)");
            while (seen.Count > 1000 && seen.TryDequeue(out _))
            {
            }

            await next(context).ConfigureAwait(false);
        });
        var handler = app.Services.GetRequiredService<DocumentsSandboxHandler>();
        app.MapPost("/xds/repository", handler.HandleAsync);
        app.MapPost("/xds/registry", handler.HandleAsync);
        app.MapPost("/dmp/status", handler.HandleAsync);
        var pdsm = app.Services.GetRequiredService<PdsmSandboxHandler>();
        app.Use(async (context, next) =>
        {
            try
            {
                await next(context).ConfigureAwait(false);
            }
            catch (Exception ex) when (!context.Response.HasStarted && context.Request.Path.StartsWithSegments("/fhir", StringComparison.Ordinal))
            {
                // A sandbox bug is said as such (OperationOutcome 500 naming the exception), never as an empty answer.
                context.Response.StatusCode = 500;
                context.Response.ContentType = "application/fhir+json";
                await context.Response.WriteAsync(PdsmClient.ToJson(new Hl7.Fhir.Model.OperationOutcome
                {
                    Issue = [new() { Severity = Hl7.Fhir.Model.OperationOutcome.IssueSeverity.Fatal, Code = Hl7.Fhir.Model.OperationOutcome.IssueType.Exception, Diagnostics = $"{ex.GetType().Name}: {ex.Message}" }],
                })).ConfigureAwait(false);
            }
        });
        app.MapPost("/fhir", pdsm.ProvideAsync);
        app.MapPost("/fhir/DocumentReference", pdsm.PublishAsync);
        app.MapGet("/fhir/DocumentReference", pdsm.FindAsync);
        app.MapGet("/fhir/Binary/{id}", (HttpContext c, string id) => pdsm.RetrieveAsync(c, id));
        app.MapGet("/fhir/Patient", pdsm.PatientAsync);
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            certificate.Dispose();
            throw;
        }

        return new DocumentsSandboxServer(app, certificate, handler, new Uri($"https://127.0.0.1:{listen!.IPEndPoint!.Port}/")) { Pdsm = pdsm, seenCertificates = seen };
    }

    /// <summary>Stops the listener.</summary>
    /// <returns>A task.</returns>
    public async ValueTask DisposeAsync()
    {
        await app.StopAsync().ConfigureAwait(false);
        await app.DisposeAsync().ConfigureAwait(false);
        serverCertificate.Dispose();
    }
}
