using System.Diagnostics.Metrics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;

namespace SanteGateway.Application;

/// <summary>A certificate the gateway is configured with.</summary>
/// <param name="Name">Stable name (<c>insi-auto</c>, <c>insi-manu</c>, <c>ror</c>…), used in metrics and the API.</param>
/// <param name="Path">PKCS#12 / PEM file.</param>
/// <param name="Password">PKCS#12 password (never shown).</param>
/// <param name="Use">What it is for.</param>
/// <param name="Establishment">FINESS or name of the establishment it belongs to, when known.</param>
public sealed record TrackedCertificate(string Name, string Path, string? Password, CertificateUse Use, string? Establishment = null);

/// <summary>State of one configured certificate.</summary>
/// <param name="Name">Configured name.</param>
/// <param name="Use">Configured use.</param>
/// <param name="Establishment">Establishment, when known.</param>
/// <param name="Path">File.</param>
/// <param name="State"><c>ok</c>, <c>expiring</c> (alert threshold reached), <c>expired</c>, <c>invalid</c> (an error finding), <c>unreadable</c>.</param>
/// <param name="DaysLeft">Days to expiry (null when unreadable).</param>
/// <param name="NotAfter">Expiry.</param>
/// <param name="Threshold">The alert threshold reached (60, 30, 7 days), if any.</param>
/// <param name="Report">The checker's report (null when unreadable).</param>
/// <param name="Error">Why it could not be read.</param>
public sealed record CertificateStatus(string Name, CertificateUse Use, string? Establishment, string Path, string State, int? DaysLeft, DateTimeOffset? NotAfter, int? Threshold, CertificateReport? Report, string? Error);

/// <summary>Settings of the certificate tracking.</summary>
public sealed class CertificateInventoryOptions
{
    /// <summary>The configured certificates.</summary>
    public IList<TrackedCertificate> Certificates { get; } = [];

    /// <summary>Alert thresholds in days (default 60, 30, 7): reaching one makes the certificate <c>expiring</c>.</summary>
    public IList<int> AlertDays { get; } = [60, 30, 7];

    /// <summary>CA files (IGC-Santé roots and intermediates) the chains must end at.</summary>
    public IList<string> TrustAnchorPaths { get; } = [];

    /// <summary>How long a reading is reused before the files are read again.</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromMinutes(10);
}

/// <summary>
/// Tracks the certificates the gateway is configured with: reads and checks each file, exposes days to expiry (use case
/// for <c>GET /api/admin/certificates</c>, health check, gauge <c>santegw.certificate.days_left</c>), logs once per threshold.
/// Nothing is persisted: the configuration is the source of truth, files are re-read every <see cref="CertificateInventoryOptions.RefreshInterval"/>.
/// </summary>
public sealed partial class CertificateInventory : IDisposable
{
    /// <summary>Meter name.</summary>
    public const string MeterName = "SanteGateway.Certificates";

    private readonly CertificateInventoryOptions options;
    private readonly TimeProvider time;
    private readonly ILogger<CertificateInventory>? log;
    private readonly Meter meter;
    private readonly Lock gate = new();
    private readonly Dictionary<string, int> loggedThreshold = new(StringComparer.Ordinal);
    private IReadOnlyList<CertificateStatus>? cached;
    private DateTimeOffset cachedAt;

    /// <summary>Creates the inventory.</summary>
    /// <param name="options">Configured certificates and thresholds.</param>
    /// <param name="time">Clock.</param>
    /// <param name="log">Logger (names and days only).</param>
    /// <param name="meterFactory">Meter factory, when the host exports metrics.</param>
    public CertificateInventory(CertificateInventoryOptions options, TimeProvider? time = null, ILogger<CertificateInventory>? log = null, IMeterFactory? meterFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        this.options = options;
        this.time = time ?? TimeProvider.System;
        this.log = log;
        meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        meter.CreateObservableGauge("santegw.certificate.days_left", Measure, "d", "Days until each configured certificate expires (negative once expired).");
    }

    /// <summary>The alert thresholds in days (60, 30, 7 by default), largest first, as the inventory page shows them.</summary>
    public IReadOnlyList<int> AlertDays => [.. options.AlertDays.OrderDescending()];

    /// <summary>The smallest alert threshold reached by <paramref name="daysLeft"/>, or null.</summary>
    /// <param name="daysLeft">Days left.</param>
    /// <returns>The threshold.</returns>
    public int? ThresholdFor(int daysLeft)
    {
        int? reached = null;
        foreach (var d in options.AlertDays)
        {
            if (daysLeft <= d && (reached is null || d < reached))
            {
                reached = d;
            }
        }

        return reached;
    }

    /// <summary>Every configured certificate with its state (cached for the refresh interval).</summary>
    /// <param name="refresh">Read the files again now.</param>
    /// <returns>The states, in configuration order.</returns>
    public IReadOnlyList<CertificateStatus> List(bool refresh = false)
    {
        lock (gate)
        {
            if (!refresh && cached is not null && time.GetUtcNow() - cachedAt < options.RefreshInterval)
            {
                return cached;
            }

            cached = options.Certificates.Select(Read).ToList();
            cachedAt = time.GetUtcNow();
            return cached;
        }
    }

    /// <inheritdoc />
    public void Dispose() => meter.Dispose();

    private CertificateStatus Read(TrackedCertificate t)
    {
        var check = new CertificateCheckOptions { Time = time, WarnDays = options.AlertDays.Count == 0 ? 60 : options.AlertDays.Max() };
        try
        {
            foreach (var ca in options.TrustAnchorPaths)
            {
                check.TrustAnchors.ImportFromPemOrDer(ca);
            }

            var (leaf, others) = CertificateChecker.Load(t.Path, t.Password);
            using (leaf)
            {
                var report = CertificateChecker.Check(leaf, t.Use, check, others);
                var threshold = ThresholdFor(report.DaysLeft);
                var state = report.DaysLeft < 0 ? "expired"
                    : !report.IsUsable ? "invalid"
                    : threshold is not null ? "expiring"
                    : "ok";
                LogOnce(t, state, report.DaysLeft, threshold);
                return new CertificateStatus(t.Name, t.Use, t.Establishment, t.Path, state, report.DaysLeft, report.NotAfter, threshold, report, null);
            }
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException)
        {
            if (log is not null)
            {
                LogUnreadable(log, t.Name, ex.GetType().Name);
            }

            return new CertificateStatus(t.Name, t.Use, t.Establishment, t.Path, "unreadable", null, null, null, null, ex.Message);
        }
    }

    private void LogOnce(TrackedCertificate t, string state, int daysLeft, int? threshold)
    {
        if (log is null || (threshold is null && state == "ok"))
        {
            return;
        }

        var key = threshold ?? (state == "expired" ? -1 : 0);
        lock (loggedThreshold)
        {
            if (loggedThreshold.TryGetValue(t.Name, out var last) && last == key)
            {
                return;
            }

            loggedThreshold[t.Name] = key;
        }

        if (state == "expired")
        {
            LogExpired(log, t.Name, -daysLeft);
        }
        else if (state == "invalid")
        {
            LogInvalid(log, t.Name);
        }
        else
        {
            LogExpiring(log, t.Name, daysLeft, threshold ?? 0);
        }
    }

    private IEnumerable<Measurement<int>> Measure()
    {
        foreach (var s in List())
        {
            if (s.DaysLeft is { } d)
            {
                yield return new Measurement<int>(d, new KeyValuePair<string, object?>("certificate", s.Name), new KeyValuePair<string, object?>("use", s.Use.ToString()));
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Certificate {Name} expires in {DaysLeft} day(s) (alert threshold {Threshold} days)")]
    private static partial void LogExpiring(ILogger logger, string name, int daysLeft, int threshold);

    [LoggerMessage(Level = LogLevel.Error, Message = "Certificate {Name} expired {DaysAgo} day(s) ago: calls using it are refused")]
    private static partial void LogExpired(ILogger logger, string name, int daysAgo);

    [LoggerMessage(Level = LogLevel.Error, Message = "Certificate {Name} fails its check for the configured use (see GET /api/admin/certificates)")]
    private static partial void LogInvalid(ILogger logger, string name);

    [LoggerMessage(Level = LogLevel.Error, Message = "Certificate {Name} cannot be read ({Kind})")]
    private static partial void LogUnreadable(ILogger logger, string name, string kind);
}

/// <summary>Loading CA files.</summary>
public static class CertificateFiles
{
    /// <summary>Adds the certificates of a PEM (one or several) or DER file.</summary>
    /// <param name="collection">Target.</param>
    /// <param name="path">File.</param>
    public static void ImportFromPemOrDer(this X509Certificate2Collection collection, string path)
    {
        ArgumentNullException.ThrowIfNull(collection);
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length > 0 && bytes[0] == (byte)'-')
        {
            collection.ImportFromPemFile(path);
        }
        else
        {
            collection.Add(X509CertificateLoader.LoadCertificate(bytes));
        }
    }
}
