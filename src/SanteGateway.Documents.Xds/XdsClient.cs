using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Xml;
using System.Xml.Linq;
using SanteGateway.Insi;

namespace SanteGateway.Documents.Xds;

/// <summary>Settings of <see cref="XdsClient"/>.</summary>
public sealed class XdsClientOptions
{
    /// <summary>Document repository endpoint (ITI-41, ITI-43).</summary>
    public Uri? RepositoryEndpoint { get; set; }

    /// <summary>Document registry endpoint (ITI-18).</summary>
    public Uri? RegistryEndpoint { get; set; }

    /// <summary>DMP status endpoint (TD0.2 equivalent; UNCONFIRMED, see docs/conformance.md).</summary>
    public Uri? DmpStatusEndpoint { get; set; }

    /// <summary>SOAP action of the DMP status request (UNCONFIRMED).</summary>
    public string DmpStatusAction { get; set; } = XdsActions.DmpStatus;

    /// <summary>repositoryUniqueId used for ITI-43 when a query result gives none.</summary>
    public string? RepositoryUniqueId { get; set; }

    /// <summary>PKCS#12 of the structure's IGC-Santé certificate: TLS client authentication, and the VIHF signature in indirect mode.</summary>
    public string? CertificatePath { get; set; }

    /// <summary>
    /// Direct VIHF mode: the professional's card (PKCS#11) that signs each VIHF; null for the indirect mode (the VIHF is
    /// signed with the structure's certificate). The TLS client certificate stays the structure's.
    /// </summary>
    public Pkcs11VihfCardOptions? Card { get; set; }

    /// <summary>Password of <see cref="CertificatePath"/>.</summary>
    public string? CertificatePassword { get; set; }

    /// <summary>CAs trusted for the server chain (IGC-Santé), never the system store.</summary>
    public IList<string> TrustedCaPaths { get; } = [];

    /// <summary>Online revocation check of the server chain.</summary>
    public bool CheckRevocation { get; set; }

    /// <summary>True for a production endpoint (test and demonstration INS are then refused before any call).</summary>
    public bool IsProduction { get; set; }

    /// <summary>VIHF settings.</summary>
    public VihfOptions Vihf { get; set; } = new();

    /// <summary>Largest answer accepted.</summary>
    public int MaxResponseBytes { get; set; } = 64 * 1024 * 1024;

    /// <summary>Time allowed for one call.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(60);
}

/// <summary>The call failed before a usable answer (connection, TLS, timeout, HTTP error without SOAP body).</summary>
public sealed class XdsTransportException : Exception
{
    /// <summary>Creates the exception.</summary>
    public XdsTransportException()
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What failed.</param>
    public XdsTransportException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What failed.</param>
    /// <param name="inner">Cause.</param>
    public XdsTransportException(string message, Exception inner)
        : base(message, inner)
    {
    }
}

/// <summary>The service answered with a SOAP fault.</summary>
public sealed class XdsFaultException : Exception
{
    /// <summary>Creates the exception.</summary>
    public XdsFaultException()
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">Reason.</param>
    public XdsFaultException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">Reason.</param>
    /// <param name="inner">Cause.</param>
    public XdsFaultException(string message, Exception inner)
        : base(message, inner)
    {
    }

    /// <summary>Creates the exception from a fault.</summary>
    /// <param name="fault">The fault.</param>
    public XdsFaultException(SoapFault fault)
        : base($"{fault?.Code}: {fault?.Reason}") => Fault = fault;

    /// <summary>The fault.</summary>
    public SoapFault? Fault { get; }

    /// <summary>True when the service blamed the request (<see cref="SoapFault.IsSenderFault"/>): a permanent refusal,
    /// never to be retried unchanged; otherwise (<c>Receiver</c> or unknown class) the failure may be transient.</summary>
    public bool IsSenderFault => Fault?.IsSenderFault == true;
}

/// <summary>
/// XDS.b document source and consumer for the DMP: every request is a SOAP 1.2 envelope with WS-Addressing and a
/// freshly signed VIHF assertion about the patient, sent over mutual TLS (the structure's IGC-Santé certificate; the
/// server chain checked against the configured CAs only). ITI-41 goes out as MTOM/XOP; answers may be MTOM or plain SOAP.
/// Thread-safe; one instance per configuration.
/// </summary>
public sealed class XdsClient : IDisposable
{
    private readonly XdsClientOptions options;
    private readonly HttpClient http;
    private readonly X509Certificate2 signingCertificate;
    private Pkcs11VihfSigner? card;
    private readonly Func<byte[], byte[]> sign;
    private readonly TimeProvider time;

    /// <summary>Creates the client.</summary>
    /// <param name="options">Settings.</param>
    /// <param name="clientCertificate">TLS client certificate (with key).</param>
    /// <param name="trustedCas">Trust anchors for the server chain.</param>
    /// <param name="signingCertificate">VIHF signing certificate (null: the client certificate, indirect mode).</param>
    /// <param name="sign">VIHF signer (null: the software key of <paramref name="signingCertificate"/>); a PKCS#11 card signer in direct mode.</param>
    /// <param name="time">Clock.</param>
    public XdsClient(XdsClientOptions options, X509Certificate2 clientCertificate, X509Certificate2Collection trustedCas, X509Certificate2? signingCertificate = null, Func<byte[], byte[]>? sign = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(clientCertificate);
        ArgumentNullException.ThrowIfNull(trustedCas);
        if (trustedCas.Count == 0)
        {
            throw new ArgumentException("At least one trusted CA is required for the server chain.", nameof(trustedCas));
        }

        this.options = options;
        this.signingCertificate = signingCertificate ?? clientCertificate;
        this.sign = sign ?? VihfAssertionBuilder.SoftwareSigner(this.signingCertificate);
        this.time = time ?? TimeProvider.System;
        var ssl = new SslClientAuthenticationOptions
        {
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            RemoteCertificateValidationCallback = (_, cert, _, errors) => OutboundTls.ValidateServer(cert, errors, trustedCas, options.CheckRevocation),
            LocalCertificateSelectionCallback = (_, _, _, _, _) => clientCertificate,
            ClientCertificates = [clientCertificate],
        };
        http = new HttpClient(new SocketsHttpHandler
        {
            SslOptions = ssl,
            ConnectTimeout = TimeSpan.FromSeconds(10),
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            UseCookies = false,
            AllowAutoRedirect = false,
        })
        { Timeout = options.Timeout };
    }

    /// <summary>Builds the client from options (loads the PKCS#12 and the CAs).</summary>
    /// <param name="options">Settings.</param>
    /// <param name="time">Clock.</param>
    /// <returns>The client.</returns>
    public static XdsClient FromOptions(XdsClientOptions options, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrEmpty(options.CertificatePath))
        {
            throw new ArgumentException("CertificatePath (PKCS#12 of the structure's certificate) is required.", nameof(options));
        }

        var certificate = InsiCertificates.LoadPkcs12(options.CertificatePath, options.CertificatePassword);
        var cas = InsiCertificates.LoadTrustedCas(options.TrustedCaPaths);
        if (options.Card is null)
        {
            return new XdsClient(options, certificate, cas, time: time);
        }

        // Direct mode: each VIHF is signed on the card; the client owns (and disposes) the open session.
        var card = new Pkcs11VihfSigner(options.Card);
        options.Vihf.Mode = VihfMode.Direct;
        return new XdsClient(options, certificate, cas, card.Certificate, card.Sign, time) { card = card };
    }

    /// <summary>The settings.</summary>
    public XdsClientOptions Options => options;

    /// <summary>ITI-41 Provide and Register Document Set-b.</summary>
    /// <param name="request">The submission.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The registry response (success or errors).</returns>
    /// <exception cref="XdsTransportException">No usable answer.</exception>
    /// <exception cref="XdsFaultException">SOAP fault.</exception>
    public async Task<XdsRegistryResponse> ProvideAndRegisterAsync(XdsProvideRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        var endpoint = options.RepositoryEndpoint ?? throw new InvalidOperationException("RepositoryEndpoint is not configured.");
        var contentId = "doc1." + Guid.NewGuid().ToString("N") + "@santegateway";
        var envelope = Envelope(XdsActions.ProvideAndRegister, endpoint, request.Entry.PatientId, w => EbRimWriter.WriteProvideAndRegister(w, request, contentId));
        var body = Mtom.Write(envelope, [new MimePart(contentId, request.Entry.MimeType ?? "text/xml", request.Content)], XdsActions.ProvideAndRegister, out var contentType);
        var (message, _) = await SendAsync(endpoint, body, contentType, ct).ConfigureAwait(false);
        return EbRimReader.ReadRegistryResponse(Expect(message, XdsNamespaces.Rs, "RegistryResponse"));
    }

    /// <summary>ITI-18 FindDocuments for a patient.</summary>
    /// <param name="patientId">INS as CX.</param>
    /// <param name="ct">Cancellation.</param>
    /// <param name="includeDeprecated">Also list replaced documents.</param>
    /// <returns>The entries.</returns>
    public async Task<XdsQueryResponse> FindDocumentsAsync(string patientId, CancellationToken ct, bool includeDeprecated = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(patientId);
        var endpoint = options.RegistryEndpoint ?? throw new InvalidOperationException("RegistryEndpoint is not configured.");
        var envelope = Envelope(XdsActions.RegistryStoredQuery, endpoint, patientId, w => EbRimWriter.WriteFindDocuments(w, patientId, includeDeprecated));
        var (message, _) = await SendAsync(endpoint, envelope, Soap(XdsActions.RegistryStoredQuery), ct).ConfigureAwait(false);
        return EbRimReader.ReadQueryResponse(Expect(message, XdsNamespaces.Query, "AdhocQueryResponse"));
    }

    /// <summary>ITI-43 Retrieve Document Set for one document.</summary>
    /// <param name="patientId">INS as CX (for the VIHF).</param>
    /// <param name="repositoryUniqueId">Repository (null: <see cref="XdsClientOptions.RepositoryUniqueId"/>).</param>
    /// <param name="documentUniqueId">Document.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The documents.</returns>
    public async Task<XdsRetrieveResponse> RetrieveAsync(string patientId, string? repositoryUniqueId, string documentUniqueId, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(documentUniqueId);
        var endpoint = options.RepositoryEndpoint ?? throw new InvalidOperationException("RepositoryEndpoint is not configured.");
        var repository = repositoryUniqueId ?? options.RepositoryUniqueId ?? throw new InvalidOperationException("No repositoryUniqueId.");
        var envelope = Envelope(XdsActions.RetrieveDocumentSet, endpoint, patientId, w => EbRimWriter.WriteRetrieve(w, repository, documentUniqueId));
        var (message, parts) = await SendAsync(endpoint, envelope, Soap(XdsActions.RetrieveDocumentSet), ct).ConfigureAwait(false);
        return EbRimReader.ReadRetrieveResponse(Expect(message, XdsNamespaces.XdsB, "RetrieveDocumentSetResponse"), parts);
    }

    /// <summary>Reads the state of the patient's DMP (TD0.2 equivalent, UNCONFIRMED message shape).</summary>
    /// <param name="patientId">INS as CX.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The state.</returns>
    public async Task<XdsDmpState> GetDmpStatusAsync(string patientId, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(patientId);
        var endpoint = options.DmpStatusEndpoint ?? throw new InvalidOperationException("DmpStatusEndpoint is not configured.");
        var envelope = Envelope(options.DmpStatusAction, endpoint, patientId, w =>
        {
            w.WriteStartElement("dmp", "ConsulterStatutDmp", XdsNamespaces.DmpStatus);
            w.WriteElementString("dmp", "PatientId", XdsNamespaces.DmpStatus, patientId);
            w.WriteEndElement();
        });
        var (message, _) = await SendAsync(endpoint, envelope, Soap(options.DmpStatusAction), ct).ConfigureAwait(false);
        var answer = Expect(message, XdsNamespaces.DmpStatus, "StatutDmp");
        return DmpStates.Parse(answer.Element(XName.Get("Etat", XdsNamespaces.DmpStatus))?.Value)
            ?? throw new XdsFormatException("Unknown DMP state in the answer.");
    }

    /// <inheritdoc />
    public void Dispose()
    {
        http.Dispose();
        card?.Dispose();
    }

    private static string Soap(string action) => $"application/soap+xml; charset=utf-8; action=\"{action}\"";

    private static XElement Expect(SoapMessage message, string ns, string local)
    {
        if (message.Fault is { } fault)
        {
            throw new XdsFaultException(fault);
        }

        var body = message.Body ?? throw new XdsFormatException("Empty SOAP body.");
        return body.Name == XName.Get(local, ns) ? body : throw new XdsFormatException($"Expected {local}, got {body.Name.LocalName}.");
    }

    private byte[] Envelope(string action, Uri to, string patientId, Action<XmlWriter> body)
    {
        var assertion = VihfAssertionBuilder.Build(options.Vihf, signingCertificate, patientId, time.GetUtcNow(), sign);
        return SoapEnvelope.Write(action, to, null, assertion, body);
    }

    private async Task<(SoapMessage Message, IReadOnlyDictionary<string, byte[]> Parts)> SendAsync(Uri endpoint, byte[] body, string contentType, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint) { Version = HttpVersion.Version11 };
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        request.Content = content;
        HttpResponseMessage response;
        var watch = Stopwatch.StartNew();
        try
        {
            response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            var tls = ex.HttpRequestError == HttpRequestError.SecureConnectionError || ex.InnerException is AuthenticationException;
            throw new XdsTransportException(tls ? "TLS handshake with the DMP service failed (certificate or trust)." : "Could not reach the DMP service: " + ex.Message, ex);
        }
        catch (TaskCanceledException ex) when (!ct.IsCancellationRequested)
        {
            throw new XdsTransportException($"No answer from the DMP service within {options.Timeout.TotalSeconds:0} s.", ex);
        }

        using (response)
        {
            if (response.Content.Headers.ContentLength is long declared && declared > options.MaxResponseBytes)
            {
                throw new XdsTransportException($"Answer of {declared} bytes exceeds the {options.MaxResponseBytes}-byte limit.");
            }

            byte[] bytes;
            try
            {
                bytes = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
            }
            catch (HttpRequestException ex)
            {
                throw new XdsTransportException("Connection lost while reading the answer.", ex);
            }

            if (bytes.Length > options.MaxResponseBytes)
            {
                throw new XdsTransportException($"Answer exceeds the {options.MaxResponseBytes}-byte limit.");
            }

            var type = response.Content.Headers.ContentType?.ToString();
            var status = (int)response.StatusCode;
            if (type is null || !(type.Contains("soap+xml", StringComparison.OrdinalIgnoreCase) || type.Contains("multipart/related", StringComparison.OrdinalIgnoreCase)))
            {
                throw new XdsTransportException($"HTTP {status} without a SOAP answer.");
            }

            try
            {
                var mtom = Mtom.Read(type, bytes);
                return (SoapEnvelope.Read(mtom.Envelope), mtom.Attachments);
            }
            catch (XdsFormatException ex) when (status >= 500)
            {
                throw new XdsTransportException($"HTTP {status} with an unreadable answer.", ex);
            }
        }
    }
}

/// <summary>Wire names of the DMP states in the status answer (UNCONFIRMED).</summary>
public static class DmpStates
{
    /// <summary>Wire name of a state.</summary>
    /// <param name="state">State.</param>
    /// <returns>Name.</returns>
    public static string ToWire(XdsDmpState state) => state switch
    {
        XdsDmpState.Active => "ACTIF",
        XdsDmpState.Closed => "FERME",
        XdsDmpState.Opposed => "OPPOSITION",
        _ => "INEXISTANT",
    };

    /// <summary>Parses a wire name (also accepts the English names, case-insensitive).</summary>
    /// <param name="value">Name.</param>
    /// <returns>The state, or null.</returns>
    public static XdsDmpState? Parse(string? value) => value?.Trim().ToUpperInvariant() switch
    {
        "ACTIF" or "ACTIVE" => XdsDmpState.Active,
        "FERME" or "CLOSED" => XdsDmpState.Closed,
        "OPPOSITION" or "OPPOSED" => XdsDmpState.Opposed,
        "INEXISTANT" or "NONE" => XdsDmpState.None,
        _ => null,
    };
}
