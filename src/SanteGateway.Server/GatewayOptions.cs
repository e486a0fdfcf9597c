using SanteGateway.Store;

namespace SanteGateway.Server;

/// <summary>Gateway settings (configuration root section <c>Gateway</c>; <c>Store</c> and <c>Insi</c> sections).</summary>
public sealed class GatewayOptions
{
    /// <summary>The data folder: database, certificates, test PKI, configuration file.</summary>
    public string DataDirectory { get; set; } = "";

    /// <summary>Listening URLs, semicolon separated.</summary>
    public string Urls { get; set; } = DefaultUrls;

    /// <summary>Default listening URLs: HTTPS on 5443 and HTTP on 5080, loopback only.</summary>
    public const string DefaultUrls = "https://127.0.0.1:5443;http://127.0.0.1:5080";

    /// <summary>Database settings.</summary>
    public StoreOptions Store { get; set; } = new();

    /// <summary>
    /// Document types the structure accepts as high-trust identification devices (RNIV [EXI ID 19]: configurable per
    /// structure, nothing pre-selected). Empty by default: until the structure configures
    /// <c>Gateway:HighTrustDocuments</c>, no document validates an identity. <c>santegw serve</c> writes
    /// <see cref="StarterHighTrustDocuments"/> into a fresh data folder's configuration file, where it is reviewed and edited.
    /// </summary>
    public IList<string> HighTrustDocuments { get; } = [];

    /// <summary>
    /// The list written into a new data folder's configuration file for the structure to review: CNI, passport, residence
    /// permit, e-ID card, Identité Numérique La Poste, Appli carte Vitale, livret de famille/acte + Vitale with photo, eIDAS.
    /// </summary>
    public static IReadOnlyList<string> StarterHighTrustDocuments { get; } = ["CN", "PA", "CS", "ECN", "IN", "AV", "LECV", "ANCV", "IE"];

    /// <summary>
    /// Which INS OIDs are accepted from INSi: <see cref="SanteGateway.Identity.InsPolicy.Production"/> refuses the test and
    /// demonstration authorities; <c>serve</c> switches to <c>AllowTestAndDemo</c> when the local sandbox is the endpoint.
    /// </summary>
    public SanteGateway.Identity.InsPolicy InsPolicy { get; set; } = SanteGateway.Identity.InsPolicy.Production;

    /// <summary>When false (tests), no HTTPS redirection and no HSTS are applied.</summary>
    public bool RequireHttps { get; set; } = true;

    /// <summary>HTTPS port that plain-HTTP requests are redirected to; null to take it from the listening addresses.</summary>
    public int? HttpsPort { get; set; }

    /// <summary>Authentication attempts allowed per client address and minute.</summary>
    public int AuthPermitsPerMinute { get; set; } = 10;

    /// <summary>INSi certificate for calls a user triggers at a screen or through the API (default INSI-MANU).</summary>
    public SanteGateway.Application.InsiCertificate UserCallCertificate { get; set; } = SanteGateway.Application.InsiCertificate.Manual;

    /// <summary>INSi certificate for unattended calls: batch jobs, inbound messages (default INSI-AUTO).</summary>
    public SanteGateway.Application.InsiCertificate AutomaticCallCertificate { get; set; } = SanteGateway.Application.InsiCertificate.Automatic;
}
