using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using SanteGateway.Insi;

namespace SanteGateway.Documents.Fhir;

/// <summary>Settings of <see cref="PdsmClient"/>.</summary>
public sealed class PdsmClientOptions
{
    /// <summary>FHIR base of the document-sharing manager (<c>https://…/fhir/</c>).</summary>
    public Uri? BaseUrl { get; set; }

    /// <summary>PKCS#12 of the structure's IGC-Santé certificate (mutual TLS).</summary>
    public string? CertificatePath { get; set; }

    /// <summary>Password of <see cref="CertificatePath"/>.</summary>
    public string? CertificatePassword { get; set; }

    /// <summary>CA files trusted for the server chain (never the system store).</summary>
    public IList<string> TrustedCaPaths { get; } = [];

    /// <summary>Check revocation of the server chain.</summary>
    public bool CheckRevocation { get; set; }

    /// <summary>True for a production endpoint (test and demonstration INS are never sent there).</summary>
    public bool IsProduction { get; set; }

    /// <summary>Largest answer read.</summary>
    public int MaxResponseBytes { get; set; } = 64 * 1024 * 1024;

    /// <summary>Time allowed per call.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Publish with ITI-105 simplified publish (<c>POST [base]/DocumentReference</c>, the document inside the
    /// resource; the manager makes the submission set) instead of the ITI-65 provide bundle (default).</summary>
    public bool SimplifiedPublish { get; set; }
}

/// <summary>No usable answer: connection, TLS, timeout, or an HTTP 5xx / unreadable answer. The call may be repeated.</summary>
public sealed class PdsmTransportException : Exception
{
    /// <summary>Creates the exception.</summary>
    public PdsmTransportException()
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What happened.</param>
    public PdsmTransportException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What happened.</param>
    /// <param name="inner">Cause.</param>
    public PdsmTransportException(string message, Exception inner)
        : base(message, inner)
    {
    }

    /// <summary>Creates the exception for an HTTP answer that is not the one expected.</summary>
    /// <param name="message">What happened.</param>
    /// <param name="statusCode">HTTP status of the answer.</param>
    public PdsmTransportException(string message, int statusCode)
        : base(message) => StatusCode = statusCode;

    /// <summary>HTTP status of the answer, when there was one.</summary>
    public int? StatusCode { get; }

    /// <summary>True for a 4xx answer other than 408 and 429: the server blamed the request (or its credentials), so the
    /// same request sent again will be refused again — a permanent refusal, not an outage.</summary>
    public bool IsClientError => StatusCode is >= 400 and < 500 and not 408 and not 429;
}

/// <summary>State of the patient's DMP as the PDSm4DMP draft exposes it (Patient search on the INS).</summary>
public enum PdsmDmpState
{
    /// <summary>Exists and active.</summary>
    Active,

    /// <summary>No DMP (no Patient).</summary>
    None,

    /// <summary>Closed (<c>active = false</c> or <c>dmp-fermeture</c>).</summary>
    Closed,

    /// <summary>Patient opposed to feeding (sandbox extension, UNCONFIRMED).</summary>
    Opposed,
}

/// <summary>The answer to an ITI-105 simplified publish.</summary>
/// <param name="Status">HTTP status (201 on success).</param>
/// <param name="Published">The DocumentReference as the manager stored it (id, versionId, lastUpdated) on success.</param>
/// <param name="Outcome">The OperationOutcome of a refusal.</param>
/// <param name="Duration">Round trip.</param>
public sealed record PdsmPublishResponse(int Status, DocumentReference? Published, OperationOutcome? Outcome, TimeSpan Duration)
{
    /// <summary>True for a 2xx answer.</summary>
    public bool IsSuccess => Status is >= 200 and < 300;
}

/// <summary>The answer to an ITI-65 provide.</summary>
/// <param name="Status">HTTP status.</param>
/// <param name="Response">The <c>transaction-response</c> Bundle on success.</param>
/// <param name="Outcome">The OperationOutcome of a refusal.</param>
/// <param name="Duration">Round trip.</param>
public sealed record PdsmProvideResponse(int Status, Bundle? Response, OperationOutcome? Outcome, TimeSpan Duration)
{
    /// <summary>True for a 2xx answer.</summary>
    public bool IsSuccess => Status is >= 200 and < 300;

    /// <summary>Server id of the DocumentReference created (from the entry's <c>response.location</c>).</summary>
    public string? DocumentReferenceId => Response?.Entry
        .Select(e => e.Response?.Location)
        .FirstOrDefault(l => l is not null && l.StartsWith("DocumentReference/", StringComparison.Ordinal))?
        .Split('/')[1];
}

/// <summary>
/// PDSm (IHE MHD, ANS profiles) document source and consumer over mutual TLS: ITI-65 provide document bundle, ITI-67
/// find document references, ITI-68 retrieve document, and the DMP state (<c>GET Patient?identifier=</c>, PDSm4DMP
/// draft, TD0.2 equivalent). JSON only (<c>application/fhir+json</c>).
/// </summary>
public sealed partial class PdsmClient : IDisposable
{
    private const string FhirJson = "application/fhir+json";
    private static readonly FhirJsonSerializer Serializer = new();
    private static readonly FhirJsonDeserializer Deserializer = new(new DeserializerSettings { Validator = null });
    private readonly HttpClient http;
    private readonly Uri baseUrl;

    /// <summary>Creates the client.</summary>
    /// <param name="options">Settings.</param>
    /// <param name="clientCertificate">TLS client certificate (with key).</param>
    /// <param name="trustedCas">CAs of the server chain.</param>
    public PdsmClient(PdsmClientOptions options, X509Certificate2 clientCertificate, X509Certificate2Collection trustedCas)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(clientCertificate);
        ArgumentNullException.ThrowIfNull(trustedCas);
        var url = options.BaseUrl ?? throw new ArgumentException("BaseUrl is required.", nameof(options));
        if (url.Scheme != Uri.UriSchemeHttps)
        {
            throw new ArgumentException("BaseUrl must be https (mutual TLS).", nameof(options));
        }

        if (trustedCas.Count == 0)
        {
            throw new ArgumentException("At least one trusted CA is required for the server chain.", nameof(trustedCas));
        }

        Options = options;
        baseUrl = url.AbsoluteUri.EndsWith('/') ? url : new Uri(url.AbsoluteUri + "/");
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

    /// <summary>Settings.</summary>
    public PdsmClientOptions Options { get; }

    /// <summary>Builds the client from options (loads the PKCS#12 and the CAs).</summary>
    /// <param name="options">Settings.</param>
    /// <returns>The client.</returns>
    public static PdsmClient FromOptions(PdsmClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrEmpty(options.CertificatePath))
        {
            throw new ArgumentException("CertificatePath (PKCS#12 of the structure's certificate) is required.", nameof(options));
        }

        return new PdsmClient(options, InsiCertificates.LoadPkcs12(options.CertificatePath, options.CertificatePassword), InsiCertificates.LoadTrustedCas(options.TrustedCaPaths));
    }

    /// <summary>JSON of a resource.</summary>
    /// <param name="resource">Resource.</param>
    /// <returns>JSON text.</returns>
    public static string ToJson(Resource resource) =>
        // Firely 6 models Attachment.size as integer64, which its serializer writes as a JSON string; FHIR R4 (and the
        // PDSm profiles) want an unsignedInt, a JSON number.
        AttachmentSize().Replace(Serializer.SerializeToString(resource), "\"size\":$1");

    [System.Text.RegularExpressions.GeneratedRegex("\"size\":\"([0-9]{1,18})\"", System.Text.RegularExpressions.RegexOptions.CultureInvariant, 1000)]
    private static partial System.Text.RegularExpressions.Regex AttachmentSize();

    /// <summary>Reads a resource (elements it cannot read are skipped; a non-resource is refused).</summary>
    /// <typeparam name="T">Expected type.</typeparam>
    /// <param name="json">UTF-8 JSON.</param>
    /// <returns>The resource, or null when it is not a <typeparamref name="T"/>.</returns>
    public static T? Parse<T>(ReadOnlySpan<byte> json)
        where T : Resource
    {
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 64 });
            Deserializer.TryDeserializeResource(ref reader, out var resource, out _);
            return resource as T;
        }
        catch (Exception ex) when (ex is JsonException or DeserializationFailedException or FormatException)
        {
            return null;
        }
    }

    /// <summary>ITI-65: posts a provide document bundle (<c>POST [base]</c>).</summary>
    /// <param name="bundle">The transaction bundle (<see cref="PdsmBundles.Provide"/>).</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The answer: a transaction-response, or an OperationOutcome with a 4xx.</returns>
    /// <exception cref="PdsmTransportException">No usable answer (5xx included).</exception>
    public async Task<PdsmProvideResponse> ProvideAsync(Bundle bundle, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        var watch = Stopwatch.StartNew();
        using var request = new HttpRequestMessage(HttpMethod.Post, baseUrl) { Content = new StringContent(ToJson(bundle), Encoding.UTF8, FhirJson) };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(FhirJson));
        var (status, body) = await SendAsync(request, ct).ConfigureAwait(false);
        if (status is >= 200 and < 300)
        {
            return new PdsmProvideResponse(status, Parse<Bundle>(body) ?? throw new PdsmTransportException($"HTTP {status} without a transaction-response Bundle."), null, watch.Elapsed);
        }

        return new PdsmProvideResponse(status, null, Parse<OperationOutcome>(body) ?? Outcome($"HTTP {status} without an OperationOutcome."), watch.Elapsed);
    }

    /// <summary>ITI-105: publishes one document with its metadata (<c>POST [base]/DocumentReference</c>).</summary>
    /// <param name="documentReference">The resource (<see cref="PdsmBundles.SimplifiedPublish"/>).</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The answer: 201 with the stored resource, or an OperationOutcome with a 4xx.</returns>
    /// <exception cref="PdsmTransportException">No usable answer (5xx included).</exception>
    public async Task<PdsmPublishResponse> PublishAsync(DocumentReference documentReference, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(documentReference);
        var watch = Stopwatch.StartNew();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(baseUrl, "DocumentReference")) { Content = new StringContent(ToJson(documentReference), Encoding.UTF8, FhirJson) };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(FhirJson));
        var (status, body) = await SendAsync(request, ct).ConfigureAwait(false);
        if (status is >= 200 and < 300)
        {
            return new PdsmPublishResponse(status, Parse<DocumentReference>(body) ?? throw new PdsmTransportException($"HTTP {status} without the published DocumentReference."), null, watch.Elapsed);
        }

        return new PdsmPublishResponse(status, null, Parse<OperationOutcome>(body) ?? Outcome($"HTTP {status} without an OperationOutcome."), watch.Elapsed);
    }

    /// <summary>ITI-67: the current document references of a patient (<c>GET DocumentReference?patient.identifier=…&amp;status=current</c>).</summary>
    /// <param name="insOid">INS OID.</param>
    /// <param name="matricule">INS matricule.</param>
    /// <param name="ct">Cancellation.</param>
    /// <param name="includeSuperseded">Also the replaced ones.</param>
    /// <returns>The searchset bundle.</returns>
    /// <exception cref="PdsmTransportException">No usable answer.</exception>
    public async Task<Bundle> FindAsync(string insOid, string matricule, CancellationToken ct, bool includeSuperseded = false)
    {
        var status = includeSuperseded ? "current,superseded" : "current";
        var query = $"DocumentReference?patient.identifier={Uri.EscapeDataString($"urn:oid:{insOid}|{matricule}")}&status={status}";
        return await SearchAsync(query, ct).ConfigureAwait(false);
    }

    /// <summary>ITI-68: the document at an attachment URL (absolute, or relative to the base).</summary>
    /// <param name="url">The attachment URL.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The bytes.</returns>
    /// <exception cref="PdsmTransportException">No usable answer, or not 200.</exception>
    public async Task<byte[]> RetrieveAsync(string url, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(url);
        var target = new Uri(baseUrl, url);
        if (target.Scheme != Uri.UriSchemeHttps || target.Authority != baseUrl.Authority)
        {
            // The certificate goes to the configured manager only.
            throw new PdsmTransportException("The attachment URL is not on the configured document-sharing manager.");
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, target);
        var (status, body) = await SendAsync(request, ct).ConfigureAwait(false);
        return status == 200 ? body : throw new PdsmTransportException($"HTTP {status} for the document.");
    }

    /// <summary>The DMP state (<c>GET Patient?identifier=urn:oid:OID|MATRICULE</c>, PDSm4DMP draft).</summary>
    /// <param name="insOid">INS OID.</param>
    /// <param name="matricule">Matricule.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The state.</returns>
    /// <exception cref="PdsmTransportException">No usable answer.</exception>
    public async Task<PdsmDmpState> GetDmpStatusAsync(string insOid, string matricule, CancellationToken ct)
    {
        var bundle = await SearchAsync($"Patient?identifier={Uri.EscapeDataString($"urn:oid:{insOid}|{matricule}")}", ct).ConfigureAwait(false);
        var patient = bundle.Entry.Select(e => e.Resource).OfType<Patient>().FirstOrDefault();
        if (patient is null)
        {
            return PdsmDmpState.None;
        }

        if (patient.GetExtension(Pdsm.DmpOppositionExtension)?.Value is FhirBoolean { Value: true })
        {
            return PdsmDmpState.Opposed;
        }

        return patient.Active == false || patient.GetExtension(Pdsm.DmpClosedExtension) is not null ? PdsmDmpState.Closed : PdsmDmpState.Active;
    }

    /// <inheritdoc />
    public void Dispose() => http.Dispose();

    private static OperationOutcome Outcome(string text) => new()
    {
        Issue = [new OperationOutcome.IssueComponent { Severity = OperationOutcome.IssueSeverity.Error, Code = OperationOutcome.IssueType.Exception, Diagnostics = text }],
    };

    private async Task<Bundle> SearchAsync(string relative, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(baseUrl, relative));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(FhirJson));
        var (status, body) = await SendAsync(request, ct).ConfigureAwait(false);
        if (status != 200)
        {
            throw new PdsmTransportException($"HTTP {status} for the search: {Parse<OperationOutcome>(body)?.Issue.FirstOrDefault()?.Diagnostics}".Trim(), status);
        }

        return Parse<Bundle>(body) ?? throw new PdsmTransportException("The search answer is not a Bundle.");
    }

    private async Task<(int Status, byte[] Body)> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        request.Version = HttpVersion.Version11;
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            var tls = ex.HttpRequestError == HttpRequestError.SecureConnectionError || ex.InnerException is AuthenticationException;
            throw new PdsmTransportException(tls ? "TLS handshake with the document-sharing manager failed (certificate or trust)." : "Could not reach the document-sharing manager: " + ex.Message, ex);
        }
        catch (TaskCanceledException ex) when (!ct.IsCancellationRequested)
        {
            throw new PdsmTransportException($"No answer from the document-sharing manager within {Options.Timeout.TotalSeconds:0} s.", ex);
        }

        using (response)
        {
            if (response.Content.Headers.ContentLength is long declared && declared > Options.MaxResponseBytes)
            {
                throw new PdsmTransportException($"Answer of {declared} bytes exceeds the {Options.MaxResponseBytes}-byte limit.");
            }

            byte[] bytes;
            try
            {
                bytes = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
            }
            catch (HttpRequestException ex)
            {
                throw new PdsmTransportException("Connection lost while reading the answer.", ex);
            }

            var status = (int)response.StatusCode;
            if (bytes.Length > Options.MaxResponseBytes)
            {
                throw new PdsmTransportException($"Answer exceeds the {Options.MaxResponseBytes}-byte limit.");
            }

            if (status >= 500 || status == 429)
            {
                var said = Parse<OperationOutcome>(bytes)?.Issue.FirstOrDefault()?.Diagnostics;
                throw new PdsmTransportException($"HTTP {status} from the document-sharing manager{(said is null ? "." : ": " + said)}", status);
            }

            return (status, bytes);
        }
    }
}
