using SanteGateway.Application;
using SanteGateway.Identity;

namespace SanteGateway.Server.Certificates;

/// <summary>
/// The ROR as the application sees it, with the certificates of each establishment: a capacity feed is the act of the
/// establishment the current flow acts for (<see cref="EstablishmentContext"/>: the signed-in user's, the job's) and
/// presents its ORG AUTH_CLI certificate; the mirror's synchronisation (export, deltas) reads the national directory for
/// the application instance and always uses the default establishment's certificate (an export job must be followed
/// with the certificate that started it).
/// </summary>
public sealed class EstablishmentRorPort : IRorPort, IDisposable
{
    private readonly EstablishmentClients<IRorPort> ports;
    private readonly TimeProvider time;

    /// <summary>Creates the port.</summary>
    /// <param name="ports">The ROR port of each establishment and the gateway-wide one.</param>
    /// <param name="time">Clock (certificate expiry).</param>
    public EstablishmentRorPort(EstablishmentClients<IRorPort> ports, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(ports);
        this.ports = ports;
        this.time = time ?? TimeProvider.System;
    }

    /// <inheritdoc />
    public string Endpoint => ports.General.Endpoint;

    /// <inheritdoc />
    public Task<string> StartExportAsync(CancellationToken cancellationToken) => Instance().StartExportAsync(cancellationToken);

    /// <inheritdoc />
    public Task<RorExportManifestData> WaitForExportAsync(string job, CancellationToken cancellationToken) => Instance().WaitForExportAsync(job, cancellationToken);

    /// <inheritdoc />
    public IAsyncEnumerable<RorResourceData> ReadExportFileAsync(RorExportFileRef file, CancellationToken cancellationToken) => Instance().ReadExportFileAsync(file, cancellationToken);

    /// <inheritdoc />
    public Task DeleteExportAsync(string job, CancellationToken cancellationToken) => Instance().DeleteExportAsync(job, cancellationToken);

    /// <inheritdoc />
    public IAsyncEnumerable<RorResourceData> ReadChangesAsync(DateTimeOffset since, CancellationToken cancellationToken) => Instance().ReadChangesAsync(since, cancellationToken);

    /// <inheritdoc />
    public Task<RorCapacityChangeResult> SetCapacityAsync(RorCapacityChange change, CancellationToken cancellationToken) =>
        For(EstablishmentContext.Current).SetCapacityAsync(change, cancellationToken);

    /// <inheritdoc />
    public void Dispose() => ports.Dispose();

    private IRorPort Instance() => For(null);

    private IRorPort For(string? establishment)
    {
        var s = ports.Select(establishment, time.GetUtcNow());
        return s.Client ?? throw new RorPortException(
            s.ErrorCode == "certificate.expired" ? RorFailureKind.Authentication : RorFailureKind.Rejected, s.Error!);
    }
}

/// <summary>
/// A document-sharing transport with the certificates of each establishment: every call presents the ORG AUTH_CLI
/// certificate of the establishment the current flow acts for (<see cref="EstablishmentContext"/>); an unknown
/// establishment or an expired certificate is refused (nothing sent; the refusal names the establishment).
/// </summary>
public sealed class EstablishmentDocumentPort : IDocumentSharingPort, IDisposable
{
    private readonly EstablishmentClients<IDocumentSharingPort> ports;
    private readonly TimeProvider time;

    /// <summary>Creates the port.</summary>
    /// <param name="ports">The transport of each establishment and the gateway-wide one (same transport, same endpoint).</param>
    /// <param name="time">Clock (certificate expiry).</param>
    public EstablishmentDocumentPort(EstablishmentClients<IDocumentSharingPort> ports, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(ports);
        this.ports = ports;
        this.time = time ?? TimeProvider.System;
    }

    /// <inheritdoc />
    public string Transport => ports.General.Transport;

    /// <inheritdoc />
    public bool IsProductionEndpoint => ports.General.IsProductionEndpoint;

    /// <inheritdoc />
    public Task<DmpStatusResult> GetDmpStatusAsync(InsIdentifier ins, CancellationToken cancellationToken)
    {
        var s = ports.Select(EstablishmentContext.Current, time.GetUtcNow());
        return s.Client is { } port
            ? port.GetDmpStatusAsync(ins, cancellationToken)
            : Task.FromResult(new DmpStatusResult(DmpState.Unknown, s.ErrorCode, s.Error));
    }

    /// <inheritdoc />
    public Task<ShareResult> ProvideAsync(SharedDocument document, CancellationToken cancellationToken)
    {
        var s = ports.Select(EstablishmentContext.Current, time.GetUtcNow());
        return s.Client is { } port
            ? port.ProvideAsync(document, cancellationToken)
            : Task.FromResult(new ShareResult(ShareOutcome.Refused, [new ShareError(s.ErrorCode!, s.Error)], TimeSpan.Zero));
    }

    /// <inheritdoc />
    public void Dispose() => ports.Dispose();
}

/// <summary>
/// Builds the ROR and document-sharing ports with the establishments' certificates (used by the registrations): the
/// plain gateway-wide port when no establishment is configured, else a port that selects the establishment's client.
/// </summary>
public static class EstablishmentTransports
{
    /// <summary>The ROR port.</summary>
    /// <param name="sp">Services (the gateway-wide <see cref="SanteGateway.Ror.RorClient"/>, the establishments).</param>
    /// <param name="options">Gateway-wide ROR settings; each establishment's client copies them with its certificate and client id.</param>
    /// <returns>The port.</returns>
    public static IRorPort Ror(IServiceProvider sp, SanteGateway.Ror.RorClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(sp);
        var log = sp.GetRequiredService<ILogger<SanteGateway.Server.Ror.RorClientPort>>();
        IRorPort general = new SanteGateway.Server.Ror.RorClientPort(sp.GetRequiredService<SanteGateway.Ror.RorClient>(), log);
        var establishments = sp.GetService<EstablishmentDirectory>();
        if (establishments is null || establishments.All.Count == 0)
        {
            return general;
        }

        var loggers = sp.GetRequiredService<ILoggerFactory>();
        var clients = new EstablishmentClients<IRorPort>(general, establishments, OrganisationCertificateUse.Ror, c =>
            new OwningRorPort(SanteGateway.Ror.RorClient.Create(TransportOptionsCopy.With(options, o =>
            {
                o.ClientCertificatePath = c.Path;
                o.ClientCertificatePassword = c.Password;
                o.ClientId = c.ClientId ?? o.ClientId;
            }), loggers), log));
        return new EstablishmentRorPort(clients, sp.GetService<TimeProvider>() ?? TimeProvider.System);
    }

    /// <summary>The XDS.b port.</summary>
    /// <param name="sp">Services.</param>
    /// <param name="client">The gateway-wide client.</param>
    /// <param name="options">Its settings; each establishment's client copies them with its certificate.</param>
    /// <returns>The port.</returns>
    public static IDocumentSharingPort Xds(IServiceProvider sp, SanteGateway.Documents.Xds.XdsClient client, SanteGateway.Documents.Xds.XdsClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(sp);
        var log = sp.GetRequiredService<ILogger<SanteGateway.Server.Documents.XdsDocumentPort>>();
        return Documents(sp, new SanteGateway.Server.Documents.XdsDocumentPort(client, log), c =>
            new SanteGateway.Server.Documents.XdsDocumentPort(SanteGateway.Documents.Xds.XdsClient.FromOptions(TransportOptionsCopy.With(options, o =>
            {
                o.CertificatePath = c.Path;
                o.CertificatePassword = c.Password;
            })), log));
    }

    /// <summary>The PDSm port.</summary>
    /// <param name="sp">Services.</param>
    /// <param name="client">The gateway-wide client.</param>
    /// <param name="options">Its settings; each establishment's client copies them with its certificate.</param>
    /// <returns>The port.</returns>
    public static IDocumentSharingPort Pdsm(IServiceProvider sp, SanteGateway.Documents.Fhir.PdsmClient client, SanteGateway.Documents.Fhir.PdsmClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(sp);
        var log = sp.GetRequiredService<ILogger<SanteGateway.Server.Documents.PdsmDocumentPort>>();
        return Documents(sp, new SanteGateway.Server.Documents.PdsmDocumentPort(client, log), c =>
            new SanteGateway.Server.Documents.PdsmDocumentPort(SanteGateway.Documents.Fhir.PdsmClient.FromOptions(TransportOptionsCopy.With(options, o =>
            {
                o.CertificatePath = c.Path;
                o.CertificatePassword = c.Password;
            })), log));
    }

    private static IDocumentSharingPort Documents(IServiceProvider sp, IDocumentSharingPort general, Func<EstablishmentCertificate, IDocumentSharingPort> create)
    {
        var establishments = sp.GetService<EstablishmentDirectory>();
        return establishments is null || establishments.All.Count == 0
            ? general
            : new EstablishmentDocumentPort(new EstablishmentClients<IDocumentSharingPort>(general, establishments, OrganisationCertificateUse.Dmp, create),
                sp.GetService<TimeProvider>() ?? TimeProvider.System);
    }

    /// <summary>A ROR port that owns its client (the gateway-wide client is owned by the container).</summary>
    private sealed class OwningRorPort(SanteGateway.Ror.RorClient client, ILogger<SanteGateway.Server.Ror.RorClientPort> log) : IRorPort, IDisposable
    {
        private readonly SanteGateway.Server.Ror.RorClientPort port = new(client, log);

        public string Endpoint => port.Endpoint;

        public Task<string> StartExportAsync(CancellationToken cancellationToken) => port.StartExportAsync(cancellationToken);

        public Task<RorExportManifestData> WaitForExportAsync(string job, CancellationToken cancellationToken) => port.WaitForExportAsync(job, cancellationToken);

        public IAsyncEnumerable<RorResourceData> ReadExportFileAsync(RorExportFileRef file, CancellationToken cancellationToken) => port.ReadExportFileAsync(file, cancellationToken);

        public Task DeleteExportAsync(string job, CancellationToken cancellationToken) => port.DeleteExportAsync(job, cancellationToken);

        public IAsyncEnumerable<RorResourceData> ReadChangesAsync(DateTimeOffset since, CancellationToken cancellationToken) => port.ReadChangesAsync(since, cancellationToken);

        public Task<RorCapacityChangeResult> SetCapacityAsync(RorCapacityChange change, CancellationToken cancellationToken) => port.SetCapacityAsync(change, cancellationToken);

        public void Dispose() => client.Dispose();
    }
}
