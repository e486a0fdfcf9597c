namespace SanteGateway.Insi;

/// <summary>How the client authenticates to the service.</summary>
public enum InsiAuthenticationMode
{
    /// <summary>Mutual TLS with an IGC-Santé software certificate (<c>INSI-AUTO</c>/<c>INSI-MANU</c>); no <c>wsse:Security</c>.</summary>
    MutualTls,

    /// <summary>CPx card: server-authenticated TLS and a PS assertion signed by the card in <c>wsse:Security</c>.</summary>
    CpxCard,
}

/// <summary>Settings of <see cref="InsiClient"/> (bind from configuration section <c>Insi</c>).</summary>
public sealed class InsiClientOptions
{
    /// <summary>Local sandbox endpoint, the default (never the real service by accident).</summary>
    public const string SandboxEndpoint = "https://127.0.0.1:8443/lps";

    /// <summary>Qualification (test) platform, mutual TLS.</summary>
    public const string QualificationMutualTlsEndpoint = "https://qualiflps-services-ps-tlsm.ameli.fr/lps";

    /// <summary>Production, mutual TLS.</summary>
    public const string ProductionMutualTlsEndpoint = "https://services-ps-tlsm.ameli.fr/lps";

    /// <summary>Service URL (one endpoint, dispatch by action).</summary>
    public Uri Endpoint { get; set; } = new(SandboxEndpoint);

    /// <summary>Authentication mode.</summary>
    public InsiAuthenticationMode Mode { get; set; } = InsiAuthenticationMode.MutualTls;

    /// <summary>CNDA authorisation number of the software (<c>LPS/IDAM</c>).</summary>
    public string Idam { get; set; } = string.Empty;

    /// <summary>Software name used in <c>LPS/Nom</c> (<c>urn:lps:&lt;name&gt;:&lt;version&gt;</c>).</summary>
    public string SoftwareName { get; set; } = "santegateway";

    /// <summary>Software version (<c>LPS/Version</c>).</summary>
    public string SoftwareVersion { get; set; } = "0.1.0";

    /// <summary>Per-installation stable UUID (<c>LPS/Instance</c>); generate once at install and keep it.</summary>
    public string Instance { get; set; } = string.Empty;

    /// <summary>Forces <c>Emetteur</c>; by default the OU of the certificate (mTLS) or the PS id (CPx).</summary>
    public string? Emitter { get; set; }

    /// <summary>PKCS#12 file of the <c>INSI-AUTO</c> certificate.</summary>
    public string? AutomaticCertificatePath { get; set; }

    /// <summary>Password of <see cref="AutomaticCertificatePath"/>.</summary>
    public string? AutomaticCertificatePassword { get; set; }

    /// <summary>PKCS#12 file of the <c>INSI-MANU</c> certificate (falls back to the automatic one when absent).</summary>
    public string? ManualCertificatePath { get; set; }

    /// <summary>Password of <see cref="ManualCertificatePath"/>.</summary>
    public string? ManualCertificatePassword { get; set; }

    /// <summary>PEM or DER files of the CAs trusted for the server chain (e.g. IGC-Santé ACR-EL + ACI-EL-ORG, or the sandbox <c>ca.pem</c>).</summary>
    public IList<string> TrustedCaPaths { get; } = [];

    /// <summary>Check revocation of the server chain online (off by default: CRL endpoints may not be reachable).</summary>
    public bool CheckRevocation { get; set; }

    /// <summary>Timeout of one HTTP attempt.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Timeout of a whole call including retries.</summary>
    public TimeSpan TotalTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Retries after a transport error or an "unavailable" fault (<c>siram_40</c>/<c>insi_102</c>/<c>desir_1020</c>).</summary>
    public int MaxRetries { get; set; } = 2;

    /// <summary>Base delay of the exponential back-off (jittered).</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Failure ratio that opens the circuit.</summary>
    public double BreakerFailureRatio { get; set; } = 0.5;

    /// <summary>Minimum calls in the sampling window before the circuit can open.</summary>
    public int BreakerMinimumThroughput { get; set; } = 10;

    /// <summary>Sampling window of the circuit breaker.</summary>
    public TimeSpan BreakerSamplingDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long the circuit stays open.</summary>
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Folder where every exchange (request, response, timing) is recorded for replay by the sandbox
    /// (<see cref="InsiExchangeRecorder"/>); null = no recording. Refused against production. Configuration key <c>Insi:RecordDirectory</c>.
    /// </summary>
    public string? RecordDirectory { get; set; }

    /// <summary>
    /// CNDA conformance tests only: replaces the answer to matching traits searches by the approval centre's response
    /// files (the request is still sent). Null in normal use; refused against a production endpoint.
    /// </summary>
    public IInsiResponseInjector? ResponseInjector { get; set; }

    /// <summary>Maximum accepted response size in bytes.</summary>
    public int MaxResponseBytes { get; set; } = InsiResponseReader.DefaultMaxBytes;

    /// <summary>The software block sent in <c>ContexteLPS</c>.</summary>
    public InsiSoftware Software => new(Idam, SoftwareName, SoftwareVersion, Instance);
}
