using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SanteGateway.Insi;

/// <summary>Raw HTTP answer of the service.</summary>
/// <param name="StatusCode">HTTP status (200 for a RESULTAT, 500 for a SOAP fault).</param>
/// <param name="Body">Response body (at most the configured size).</param>
public sealed record InsiHttpResponse(int StatusCode, byte[] Body);

/// <summary>Sends one SOAP request over HTTP. Replaceable in tests.</summary>
public interface IInsiTransport
{
    /// <summary>Posts <paramref name="body"/> with the SOAP 1.2 content type carrying <paramref name="action"/>.</summary>
    /// <exception cref="InsiTransportException">Connection, TLS, or HTTP-level failure.</exception>
    Task<InsiHttpResponse> SendAsync(string action, ReadOnlyMemory<byte> body, InsiCertificateKind kind, CancellationToken cancellationToken);

    /// <summary>CN and OU of the certificate used for <paramref name="kind"/> (null in CPx mode).</summary>
    InsiCertificateIdentity? Describe(InsiCertificateKind kind);
}

/// <summary>Subject parts of a client certificate that matter to INSi.</summary>
/// <param name="CommonName">CN (<c>INSI-AUTO</c>/<c>INSI-MANU</c>).</param>
/// <param name="OrganizationalUnit">OU: the structure id, sent as <c>Emetteur</c>.</param>
public sealed record InsiCertificateIdentity(string? CommonName, string? OrganizationalUnit)
{
    /// <summary>Reads CN and OU from <paramref name="certificate"/>'s subject.</summary>
    public static InsiCertificateIdentity Of(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        string? cn = null, ou = null;
        foreach (var rdn in certificate.SubjectName.EnumerateRelativeDistinguishedNames())
        {
            var oid = rdn.GetSingleElementType().Value;
            if (oid == "2.5.4.3")
            {
                cn ??= rdn.GetSingleElementValue();
            }
            else if (oid == "2.5.4.11")
            {
                ou ??= rdn.GetSingleElementValue();
            }
        }

        return new InsiCertificateIdentity(cn, ou);
    }
}

/// <summary>Loading of the PKCS#12 client certificates and of the trusted server CAs.</summary>
public static class InsiCertificates
{
    /// <summary>Loads a PKCS#12 file with an ephemeral key (never written to a key store).</summary>
    /// <exception cref="CryptographicException">Wrong password or not a PKCS#12 file.</exception>
    public static X509Certificate2 LoadPkcs12(string path, string? password)
    {
        var flags = OperatingSystem.IsMacOS() ? X509KeyStorageFlags.DefaultKeySet : X509KeyStorageFlags.EphemeralKeySet;
        return X509CertificateLoader.LoadPkcs12FromFile(path, password, flags);
    }

    /// <summary>Loads CA certificates from PEM (one or several) or DER files.</summary>
    public static X509Certificate2Collection LoadTrustedCas(IEnumerable<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var all = new X509Certificate2Collection();
        foreach (var path in paths)
        {
            var bytes = File.ReadAllBytes(path);
            if (bytes.Length > 0 && bytes[0] == (byte)'-')
            {
                all.ImportFromPemFile(path);
            }
            else
            {
                all.Add(X509CertificateLoader.LoadCertificate(bytes));
            }
        }

        return all;
    }

    /// <summary>
    /// Validates a server certificate against <paramref name="trustedCas"/> only (custom root trust, never the
    /// system store, never "accept any") and requires the serverAuth purpose (<see cref="OutboundTls"/>). The host name
    /// check of the platform must already have passed.
    /// </summary>
    public static bool ValidateServer(X509Certificate? certificate, SslPolicyErrors errors, X509Certificate2Collection trustedCas, bool checkRevocation) =>
        OutboundTls.ValidateServer(certificate, errors, trustedCas, checkRevocation);
}

/// <summary>
/// Server certificate policy of every outbound TLS client of the gateway (INSi today; ROR and document sharing reuse it):
/// the chain must end at one of the configured CAs (custom root trust, never the system store), the host name must
/// match, and the leaf must carry the <c>serverAuth</c> extended key usage explicitly (a certificate issued by the
/// same CA for a client or a signature purpose is refused) with every CA of the chain allowing that purpose.
/// </summary>
public static class OutboundTls
{
    /// <summary>id-kp-serverAuth (RFC 5280 4.2.1.12).</summary>
    public const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";

    /// <summary>Validates a server certificate; use as <c>RemoteCertificateValidationCallback</c>.</summary>
    /// <param name="certificate">The server's leaf certificate.</param>
    /// <param name="errors">The platform's verdict (only the name mismatch and missing certificate are kept).</param>
    /// <param name="trustedCas">The only trust anchors (and intermediates) accepted.</param>
    /// <param name="checkRevocation">Online revocation check of the chain.</param>
    public static bool ValidateServer(X509Certificate? certificate, SslPolicyErrors errors, X509Certificate2Collection trustedCas, bool checkRevocation)
    {
        ArgumentNullException.ThrowIfNull(trustedCas);
        if (certificate is null || (errors & (SslPolicyErrors.RemoteCertificateNotAvailable | SslPolicyErrors.RemoteCertificateNameMismatch)) != 0)
        {
            return false;
        }

        var leaf = certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        try
        {
            return HasServerAuth(leaf) && BuildChain(leaf, trustedCas, checkRevocation);
        }
        finally
        {
            if (!ReferenceEquals(leaf, certificate))
            {
                leaf.Dispose();
            }
        }
    }

    /// <summary>
    /// True when the certificate carries an extended key usage extension listing serverAuth. A certificate without the
    /// extension is refused: RFC 5280 would read it as "any purpose", which is exactly what this check rules out.
    /// </summary>
    public static bool HasServerAuth(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        foreach (var extension in certificate.Extensions)
        {
            if (extension is X509EnhancedKeyUsageExtension eku)
            {
                foreach (var oid in eku.EnhancedKeyUsages)
                {
                    if (oid.Value == ServerAuthOid)
                    {
                        return true;
                    }
                }
            }
        }

        return false;
    }

    private static bool BuildChain(X509Certificate2 leaf, X509Certificate2Collection trustedCas, bool checkRevocation)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(trustedCas);
        chain.ChainPolicy.ExtraStore.AddRange(trustedCas);
        chain.ChainPolicy.RevocationMode = checkRevocation ? X509RevocationMode.Online : X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationFlags = X509VerificationFlags.NoFlag;
        // The platform also checks that CAs restricting their EKU allow serverAuth (NotValidForUsage otherwise).
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid(ServerAuthOid));
        return chain.Build(leaf);
    }
}

/// <summary>
/// HTTP transport over <see cref="SocketsHttpHandler"/>: one handler (and connection pool) per client certificate,
/// server chain checked against the configured CAs only.
/// </summary>
public sealed class HttpInsiTransport : IInsiTransport, IDisposable
{
    private readonly Uri _endpoint;
    private readonly int _maxResponseBytes;
    private readonly HttpClient _automatic;
    private readonly HttpClient _manual;
    private readonly InsiCertificateIdentity? _automaticIdentity;
    private readonly InsiCertificateIdentity? _manualIdentity;

    /// <summary>Creates the transport.</summary>
    /// <param name="endpoint">Service URL.</param>
    /// <param name="automaticCertificate"><c>INSI-AUTO</c> certificate with private key (null in CPx mode).</param>
    /// <param name="manualCertificate"><c>INSI-MANU</c> certificate (null: the automatic one is used).</param>
    /// <param name="trustedCas">CAs trusted for the server chain (must not be empty).</param>
    /// <param name="maxResponseBytes">Largest accepted response.</param>
    /// <param name="checkRevocation">Online revocation check of the server chain.</param>
    public HttpInsiTransport(Uri endpoint, X509Certificate2? automaticCertificate, X509Certificate2? manualCertificate, X509Certificate2Collection trustedCas, int maxResponseBytes = InsiResponseReader.DefaultMaxBytes, bool checkRevocation = false)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(trustedCas);
        if (trustedCas.Count == 0)
        {
            throw new ArgumentException("At least one trusted CA is required for the server chain.", nameof(trustedCas));
        }

        _endpoint = endpoint;
        _maxResponseBytes = maxResponseBytes;
        manualCertificate ??= automaticCertificate;
        _automatic = CreateClient(automaticCertificate, trustedCas, checkRevocation);
        _manual = ReferenceEquals(manualCertificate, automaticCertificate) ? _automatic : CreateClient(manualCertificate, trustedCas, checkRevocation);
        _automaticIdentity = automaticCertificate is null ? null : InsiCertificateIdentity.Of(automaticCertificate);
        _manualIdentity = manualCertificate is null ? null : InsiCertificateIdentity.Of(manualCertificate);
    }

    /// <summary>Builds the transport from options (loads the p12 files and CAs).</summary>
    public static HttpInsiTransport FromOptions(InsiClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        X509Certificate2? auto = null, manual = null;
        if (options.Mode == InsiAuthenticationMode.MutualTls)
        {
            if (string.IsNullOrEmpty(options.AutomaticCertificatePath) && string.IsNullOrEmpty(options.ManualCertificatePath))
            {
                throw new InvalidOperationException("Mutual TLS mode needs AutomaticCertificatePath and/or ManualCertificatePath.");
            }

            if (!string.IsNullOrEmpty(options.AutomaticCertificatePath))
            {
                auto = InsiCertificates.LoadPkcs12(options.AutomaticCertificatePath, options.AutomaticCertificatePassword);
            }

            if (!string.IsNullOrEmpty(options.ManualCertificatePath))
            {
                manual = InsiCertificates.LoadPkcs12(options.ManualCertificatePath, options.ManualCertificatePassword);
            }

            auto ??= manual;
        }

        return new HttpInsiTransport(options.Endpoint, auto, manual, InsiCertificates.LoadTrustedCas(options.TrustedCaPaths), options.MaxResponseBytes, options.CheckRevocation);
    }

    /// <inheritdoc />
    public InsiCertificateIdentity? Describe(InsiCertificateKind kind) => kind == InsiCertificateKind.Manual ? _manualIdentity : _automaticIdentity;

    /// <inheritdoc />
    public async Task<InsiHttpResponse> SendAsync(string action, ReadOnlyMemory<byte> body, InsiCertificateKind kind, CancellationToken cancellationToken)
    {
        var client = kind == InsiCertificateKind.Manual ? _manual : _automatic;
        using var request = new HttpRequestMessage(HttpMethod.Post, _endpoint) { Version = HttpVersion.Version11 };
        var content = new ReadOnlyMemoryContent(body);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse($"application/soap+xml; charset=utf-8; action=\"{action}\"");
        request.Content = content;
        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            var tls = ex.HttpRequestError == HttpRequestError.SecureConnectionError || ex.InnerException is AuthenticationException;
            throw new InsiTransportException(tls ? "TLS handshake with the INSi service failed (certificate or trust)." : "Could not reach the INSi service: " + ex.Message, ex, isTransient: !tls);
        }

        using (response)
        {
            var status = (int)response.StatusCode;
            byte[] bytes;
            try
            {
                bytes = await ReadLimitedAsync(response.Content, cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException ex)
            {
                throw new InsiTransportException("Connection lost while reading the INSi response.", ex, status);
            }
            catch (IOException ex)
            {
                throw new InsiTransportException("Connection lost while reading the INSi response.", ex, status);
            }

            return new InsiHttpResponse(status, bytes);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _automatic.Dispose();
        if (!ReferenceEquals(_manual, _automatic))
        {
            _manual.Dispose();
        }
    }

    private async Task<byte[]> ReadLimitedAsync(HttpContent content, CancellationToken ct)
    {
        if (content.Headers.ContentLength is long declared && declared > _maxResponseBytes)
        {
            throw new InsiProtocolException($"Response of {declared} bytes exceeds the {_maxResponseBytes}-byte limit.");
        }

        var stream = await content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            using var buffer = new MemoryStream();
            var chunk = new byte[16 * 1024];
            int read;
            while ((read = await stream.ReadAsync(chunk, ct).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + read > _maxResponseBytes)
                {
                    throw new InsiProtocolException($"Response exceeds the {_maxResponseBytes}-byte limit.");
                }

                buffer.Write(chunk, 0, read);
            }

            return buffer.ToArray();
        }
    }

    private static HttpClient CreateClient(X509Certificate2? certificate, X509Certificate2Collection trustedCas, bool checkRevocation)
    {
        var ssl = new SslClientAuthenticationOptions
        {
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            RemoteCertificateValidationCallback = (_, cert, _, errors) => InsiCertificates.ValidateServer(cert, errors, trustedCas, checkRevocation),
        };
        if (certificate is not null)
        {
            // The certificate is fixed per handler: whatever the server asks, this is the one presented.
            ssl.LocalCertificateSelectionCallback = (_, _, _, _, _) => certificate;
            ssl.ClientCertificates = [certificate];
        }

        var handler = new SocketsHttpHandler
        {
            SslOptions = ssl,
            ConnectTimeout = TimeSpan.FromSeconds(10),
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            AllowAutoRedirect = false,
        };

        // Timeouts are enforced by the resilience pipeline, not by HttpClient.
        return new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }
}
