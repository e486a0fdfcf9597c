using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using SanteGateway.Application;
using SanteGateway.Insi;

namespace SanteGateway.Server.Certificates;

/// <summary>
/// One INSi client per establishment that has its own INSi certificates (each with its own TLS connection pool and
/// circuit breaker), plus the gateway-wide client of the <c>Insi</c> settings. A call for an establishment presents that
/// establishment's INSI-AUTO/INSI-MANU certificate; a call naming no establishment uses the default establishment's, or
/// the gateway-wide ones; an establishment without INSi certificates of its own uses the gateway-wide ones (a legal
/// entity's certificates commonly serve all its sites). An unknown establishment or an expired certificate is refused
/// before anything is sent.
/// </summary>
public sealed class EstablishmentInsiClients : IDisposable
{
    private readonly Entry general;
    private readonly Dictionary<string, Entry> byFiness = new(StringComparer.OrdinalIgnoreCase);
    private readonly EstablishmentDirectory establishments;

    /// <summary>Creates the clients (loads every establishment's PKCS#12 files now: a wrong file or password stops the start).</summary>
    /// <param name="options">Gateway-wide INSi settings (endpoint, IDAM, CAs, resilience, certificates).</param>
    /// <param name="establishments">Establishments.</param>
    /// <param name="sink">Trace sink shared by every client.</param>
    /// <param name="loggerFactory">Logging.</param>
    /// <param name="time">Clock.</param>
    /// <exception cref="InvalidOperationException">An establishment's certificate cannot be loaded (the message names the establishment).</exception>
    public EstablishmentInsiClients(InsiClientOptions options, EstablishmentDirectory establishments, IInsiTraceSink sink, ILoggerFactory loggerFactory, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(establishments);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        this.establishments = establishments;
        var log = loggerFactory.CreateLogger<InsiClient>();
        general = new Entry(
            new InsiClient(options, HttpInsiTransport.FromOptions(options), null, sink, log, time, ownsTransport: true),
            // The transport falls back on the other file when one of INSI-AUTO / INSI-MANU is not configured.
            string.IsNullOrEmpty(options.AutomaticCertificatePath)
                ? ExpiryOf(options.ManualCertificatePath, options.ManualCertificatePassword, options)
                : ExpiryOf(options.AutomaticCertificatePath, options.AutomaticCertificatePassword, options),
            string.IsNullOrEmpty(options.ManualCertificatePath)
                ? ExpiryOf(options.AutomaticCertificatePath, options.AutomaticCertificatePassword, options)
                : ExpiryOf(options.ManualCertificatePath, options.ManualCertificatePassword, options),
            null);
        if (options.Mode != InsiAuthenticationMode.MutualTls)
        {
            return; // CPx: the card authenticates the user; establishments' software certificates play no part.
        }

        if (!string.IsNullOrEmpty(options.Emitter) && establishments.All.Any(e => e.HasInsiCertificates))
        {
            // The Emetteur is read from each certificate's OU; a fixed one would name the wrong structure.
            throw new InvalidOperationException("Insi:Emitter must be left empty when Gateway:Establishments carry their own INSi certificates (the Emetteur is each certificate's OU).");
        }

        var cas = InsiCertificates.LoadTrustedCas(options.TrustedCaPaths);
        foreach (var e in establishments.All.Where(e => e.HasInsiCertificates))
        {
            X509Certificate2? auto = null, manual = null;
            try
            {
                auto = e.InsiAutomatic is { } a ? InsiCertificates.LoadPkcs12(a.Path, a.Password) : null;
                manual = e.InsiManual is { } m ? InsiCertificates.LoadPkcs12(m.Path, m.Password) : null;
            }
            catch (Exception ex) when (ex is System.Security.Cryptography.CryptographicException or IOException or UnauthorizedAccessException)
            {
                auto?.Dispose();
                throw new InvalidOperationException($"Gateway:Establishments: the INSi certificate of {e.Finess} cannot be loaded ({ex.Message}).", ex);
            }

            auto ??= manual;
            var transport = new HttpInsiTransport(options.Endpoint, auto, manual, cas, options.MaxResponseBytes, options.CheckRevocation);
            byFiness[e.Finess] = new Entry(
                new InsiClient(options, transport, null, sink, log, time, ownsTransport: true),
                Expiry(auto),
                Expiry(manual ?? auto),
                e.Finess);
        }
    }

    /// <summary>Which client a call uses, or why none.</summary>
    /// <param name="Client">The client, null when refused.</param>
    /// <param name="Establishment">FINESS whose certificate is presented (null = gateway-wide certificates).</param>
    /// <param name="ErrorCode"><c>establishment.unknown</c> or <c>certificate.expired</c> when refused.</param>
    /// <param name="Error">Why (no identity data).</param>
    public sealed record Selection(InsiClient? Client, string? Establishment, string? ErrorCode, string? Error);

    /// <summary>Chooses the client for a call.</summary>
    /// <param name="establishment">FINESS the call is made for, or null.</param>
    /// <param name="certificate">INSI-AUTO or INSI-MANU.</param>
    /// <param name="now">Now.</param>
    /// <returns>The selection.</returns>
    public Selection Select(string? establishment, InsiCertificate certificate, DateTimeOffset now)
    {
        Entry entry;
        if (establishment is null)
        {
            entry = establishments.Default is { } d && byFiness.TryGetValue(d.Finess, out var def) ? def : general;
        }
        else if (establishments.Find(establishment) is not { } known)
        {
            return new Selection(null, establishment, "establishment.unknown",
                $"Establishment {establishment} is not configured (Gateway:Establishments); nothing was sent to INSi.");
        }
        else
        {
            entry = byFiness.TryGetValue(known.Finess, out var own) ? own : general;
        }

        var notAfter = certificate == InsiCertificate.Manual ? entry.ManualNotAfter : entry.AutomaticNotAfter;
        if (notAfter is { } end && now > end)
        {
            var cn = certificate == InsiCertificate.Manual ? "INSI-MANU" : "INSI-AUTO";
            var owner = entry.Establishment is null ? "the gateway's INSi settings" : "establishment " + entry.Establishment;
            return new Selection(null, entry.Establishment, "certificate.expired",
                $"The {cn} certificate of {owner} expired on {end.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}: nothing was sent to INSi; install the renewed certificate (santegw cert install).");
        }

        return new Selection(entry.Client, entry.Establishment, null, null);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        general.Client.Dispose();
        foreach (var e in byFiness.Values)
        {
            e.Client.Dispose();
        }
    }

    private static DateTimeOffset? Expiry(X509Certificate2? certificate) =>
        certificate is null ? null : new DateTimeOffset(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero);

    private static DateTimeOffset? ExpiryOf(string? path, string? password, InsiClientOptions options)
    {
        if (options.Mode != InsiAuthenticationMode.MutualTls || string.IsNullOrEmpty(path))
        {
            return null;
        }

        using var c = InsiCertificates.LoadPkcs12(path, password);
        return Expiry(c);
    }

    private sealed record Entry(InsiClient Client, DateTimeOffset? AutomaticNotAfter, DateTimeOffset? ManualNotAfter, string? Establishment);
}
