using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;

namespace SanteGateway.Insi;

/// <summary>
/// Records every exchange the INSi client makes into a folder, byte for byte, so that a session on the qualification
/// platform can be replayed by the sandbox (<c>santegw sandbox insi --replay DIR</c>) as a CI fixture. Attached by
/// <see cref="InsiClient"/> when <see cref="InsiClientOptions.RecordDirectory"/> is set; forwards every trace to the sink
/// it wraps.
/// </summary>
/// <remarks>
/// One exchange = three files sharing a stem <c>yyyyMMdd'T'HHmmssfff_NNNN</c>: <c>.request.xml</c> and
/// <c>.response.xml</c> (exact bytes) and <c>.exchange.json</c> (<see cref="FormatId"/>, operation, messageId, endpoint,
/// httpStatus, durationMs, outcome, timestamp). Exchanges without a response (transport errors) are not recorded: they
/// cannot be replayed. Files are owner-only on Unix: they hold (test) identity data.
/// Recording refuses production: a production INSi host, or a client certificate issued by a production IGC-Santé CA.
/// </remarks>
public sealed class InsiExchangeRecorder : IInsiTraceSink
{
    /// <summary>Value of the <c>format</c> field of each <c>.exchange.json</c>.</summary>
    public const string FormatId = "santegw-insi-recording/1";

    /// <summary>Suffix of the metadata file of an exchange.</summary>
    public const string ExchangeSuffix = ".exchange.json";

    /// <summary>Suffix of the request file of an exchange.</summary>
    public const string RequestSuffix = ".request.xml";

    /// <summary>Suffix of the response file of an exchange.</summary>
    public const string ResponseSuffix = ".response.xml";

    private readonly string _directory;
    private readonly Uri _endpoint;
    private readonly IInsiTraceSink? _inner;
    private int _sequence;

    /// <summary>Creates the recorder (and the folder).</summary>
    /// <param name="directory">Target folder.</param>
    /// <param name="endpoint">Endpoint the client calls (checked, and written into each exchange).</param>
    /// <param name="inner">Sink to forward every trace to (the audit sink), or null.</param>
    /// <exception cref="ArgumentException">The endpoint is a production INSi endpoint.</exception>
    public InsiExchangeRecorder(string directory, Uri endpoint, IInsiTraceSink? inner = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(endpoint);
        EnsureNotProduction(endpoint);
        _directory = directory;
        _endpoint = endpoint;
        _inner = inner;
        Directory.CreateDirectory(directory);
        _sequence = Directory.EnumerateFiles(directory, "*" + ExchangeSuffix).Count();
    }

    /// <summary>
    /// The sink <see cref="InsiClient"/> uses: <paramref name="traces"/> alone, or wrapped in a recorder when
    /// <see cref="InsiClientOptions.RecordDirectory"/> is set (after checking endpoint and certificates are not production).
    /// </summary>
    /// <exception cref="ArgumentException">Recording was asked against production.</exception>
    public static IInsiTraceSink? Attach(InsiClientOptions options, IInsiTraceSink? traces)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrEmpty(options.RecordDirectory))
        {
            return traces;
        }

        EnsureNotProduction(options.Endpoint);
        foreach (var (path, password) in new[] { (options.AutomaticCertificatePath, options.AutomaticCertificatePassword), (options.ManualCertificatePath, options.ManualCertificatePassword) })
        {
            if (string.IsNullOrEmpty(path) || !File.Exists(path))
            {
                continue;
            }

            using var certificate = InsiCertificates.LoadPkcs12(path, password);
            var issuer = certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: true);
            if (IsProductionIssuer(issuer))
            {
                throw new ArgumentException(
                    $"RecordDirectory: refusing to record with a production certificate (issuer '{issuer}'); record only qualification sessions with test certificates.",
                    nameof(options));
            }
        }

        return new InsiExchangeRecorder(options.RecordDirectory, options.Endpoint, traces);
    }

    /// <summary>True for the production INSi hosts (<c>services-ps[-tlsm].ameli.fr</c>, and any ameli.fr host that is not a qualification one).</summary>
    public static bool IsProductionEndpoint(Uri endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var host = endpoint.IdnHost.TrimEnd('.').ToLowerInvariant();
        return (host == "ameli.fr" || host.EndsWith(".ameli.fr", StringComparison.Ordinal)) && !host.StartsWith("qualif", StringComparison.Ordinal);
    }

    /// <summary>True for an issuer CN of the production IGC-Santé (<c>AC IGC-SANTE …</c>; test CAs are <c>TEST AC IGC-SANTE …</c>).</summary>
    public static bool IsProductionIssuer(string? issuerCommonName) =>
        issuerCommonName is not null && issuerCommonName.Trim().StartsWith("AC IGC-SANTE", StringComparison.OrdinalIgnoreCase);

    /// <inheritdoc />
    public async ValueTask WriteAsync(InsiTrace trace, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(trace);
        try
        {
            if (trace.ResponseXml is { } response && trace.HttpStatus is { } status)
            {
                var n = Interlocked.Increment(ref _sequence);
                var stem = Path.Combine(_directory, trace.Timestamp.UtcDateTime.ToString("yyyyMMdd'T'HHmmssfff", CultureInfo.InvariantCulture) + "_" + n.ToString("D4", CultureInfo.InvariantCulture));
                await WriteFileAsync(stem + RequestSuffix, trace.RequestXml, cancellationToken).ConfigureAwait(false);
                await WriteFileAsync(stem + ResponseSuffix, response, cancellationToken).ConfigureAwait(false);
                var meta = JsonSerializer.SerializeToUtf8Bytes(
                    new Dictionary<string, object?>
                    {
                        ["format"] = FormatId,
                        ["timestamp"] = trace.Timestamp.UtcDateTime.ToString("O", CultureInfo.InvariantCulture),
                        ["operation"] = trace.Operation,
                        ["messageId"] = trace.MessageId,
                        ["endpoint"] = _endpoint.GetLeftPart(UriPartial.Path),
                        ["httpStatus"] = status,
                        ["durationMs"] = Math.Round(trace.Duration.TotalMilliseconds, 1),
                        ["outcome"] = trace.Outcome,
                    },
                    new JsonSerializerOptions { WriteIndented = true });

                // Written last: a replayer only considers exchanges whose metadata exists, so a half-written one is ignored.
                await WriteFileAsync(stem + ExchangeSuffix, meta, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            if (_inner is not null)
            {
                await _inner.WriteAsync(trace, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static void EnsureNotProduction(Uri endpoint)
    {
        if (IsProductionEndpoint(endpoint))
        {
            throw new ArgumentException(
                $"RecordDirectory: refusing to record against the production endpoint {endpoint.Host}; record only qualification sessions (test identities).",
                nameof(endpoint));
        }
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
}
