using System.Globalization;
using System.Text;
using System.Text.Json;

namespace SanteGateway.Insi;

/// <summary>One exchange with the service, kept for audit (contains identity data: store it protected).</summary>
/// <param name="Timestamp">Start of the exchange (UTC).</param>
/// <param name="Operation">SOAP action.</param>
/// <param name="MessageId"><c>wsa:MessageID</c>.</param>
/// <param name="CertificateCn">CN of the client certificate used (or the PS id in CPx mode).</param>
/// <param name="Duration">Duration of the HTTP exchange.</param>
/// <param name="Outcome"><c>CR 00</c>, <c>Fault Sender/siram_100/desir_550</c>, <c>TransportError</c>, <c>ProtocolError</c>.</param>
/// <param name="HttpStatus">HTTP status when one was received.</param>
/// <param name="RequestXml">Request bytes (UTF-8).</param>
/// <param name="ResponseXml">Response bytes when one was received.</param>
/// <param name="CorrelationId">Caller's correlation id from <see cref="InsiCallContext"/>.</param>
public sealed record InsiTrace(
    DateTimeOffset Timestamp,
    string Operation,
    string MessageId,
    string? CertificateCn,
    TimeSpan Duration,
    string Outcome,
    int? HttpStatus,
    ReadOnlyMemory<byte> RequestXml,
    ReadOnlyMemory<byte>? ResponseXml,
    string? CorrelationId);

/// <summary>Receives every exchange. Implementations must be thread-safe; failures are logged, never fail the call.</summary>
public interface IInsiTraceSink
{
    /// <summary>Stores <paramref name="trace"/>.</summary>
    ValueTask WriteAsync(InsiTrace trace, CancellationToken cancellationToken);
}

/// <summary>
/// Writes each exchange to a directory as <c>&lt;utc&gt;_&lt;messageId&gt;.request.xml</c>, <c>.response.xml</c> and
/// <c>.meta.json</c> (owner-only permissions on Unix), and deletes files older than the retention period.
/// </summary>
public sealed class FileInsiTraceSink : IInsiTraceSink
{
    private static readonly TimeSpan PurgeInterval = TimeSpan.FromMinutes(10);
    private readonly string _directory;
    private readonly TimeSpan _retention;
    private readonly TimeProvider _time;
    private readonly Lock _purgeLock = new();
    private DateTimeOffset _lastPurge = DateTimeOffset.MinValue;

    /// <summary>Creates the sink; the directory is created when missing.</summary>
    /// <param name="directory">Target directory.</param>
    /// <param name="retention">How long files are kept (e.g. the legal retention of your organisation).</param>
    /// <param name="time">Clock (tests).</param>
    public FileInsiTraceSink(string directory, TimeSpan retention, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        _directory = directory;
        _retention = retention;
        _time = time ?? TimeProvider.System;
        Directory.CreateDirectory(directory);
    }

    /// <inheritdoc />
    public async ValueTask WriteAsync(InsiTrace trace, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(trace);
        var stem = Path.Combine(
            _directory,
            trace.Timestamp.UtcDateTime.ToString("yyyyMMdd'T'HHmmssfff", CultureInfo.InvariantCulture) + "_" + Sanitize(trace.MessageId));
        await WriteFileAsync(stem + ".request.xml", trace.RequestXml, cancellationToken).ConfigureAwait(false);
        if (trace.ResponseXml is { } response)
        {
            await WriteFileAsync(stem + ".response.xml", response, cancellationToken).ConfigureAwait(false);
        }

        var meta = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object?>
        {
            ["timestamp"] = trace.Timestamp.UtcDateTime.ToString("O", CultureInfo.InvariantCulture),
            ["operation"] = trace.Operation,
            ["messageId"] = trace.MessageId,
            ["certificateCn"] = trace.CertificateCn,
            ["durationMs"] = Math.Round(trace.Duration.TotalMilliseconds, 1),
            ["outcome"] = trace.Outcome,
            ["httpStatus"] = trace.HttpStatus,
            ["correlationId"] = trace.CorrelationId,
        });
        await WriteFileAsync(stem + ".meta.json", meta, cancellationToken).ConfigureAwait(false);
        PurgeIfDue();
    }

    /// <summary>Deletes trace files older than the retention period (also called automatically every 10 minutes).</summary>
    public void Purge()
    {
        var limit = _time.GetUtcNow() - _retention;
        foreach (var file in Directory.EnumerateFiles(_directory))
        {
            var name = Path.GetFileName(file);
            if (!(name.EndsWith(".xml", StringComparison.Ordinal) || name.EndsWith(".meta.json", StringComparison.Ordinal)))
            {
                continue;
            }

            if (name.Length >= 18
                && DateTime.TryParseExact(name.AsSpan(0, 18), "yyyyMMdd'T'HHmmssfff", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var stamp)
                && stamp < limit.UtcDateTime)
            {
                File.Delete(file);
            }
        }
    }

    private void PurgeIfDue()
    {
        var now = _time.GetUtcNow();
        lock (_purgeLock)
        {
            if (now - _lastPurge < PurgeInterval)
            {
                return;
            }

            _lastPurge = now;
        }

        Purge();
    }

    private static async Task WriteFileAsync(string path, ReadOnlyMemory<byte> content, CancellationToken ct)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Options = FileOptions.Asynchronous };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        var stream = new FileStream(path, options);
        await using (stream.ConfigureAwait(false))
        {
            await stream.WriteAsync(content, ct).ConfigureAwait(false);
        }
    }

    private static string Sanitize(string value)
    {
        var sb = new StringBuilder(value.Length);
        foreach (var c in value)
        {
            sb.Append(char.IsAsciiLetterOrDigit(c) || c == '-' ? c : '_');
        }

        return sb.ToString();
    }
}
