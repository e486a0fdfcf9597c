namespace SanteGateway.Ror;

/// <summary>Settings of the ROR client. Every URL is configurable: host names changed several times (see docs/conformance.md).</summary>
public sealed class RorClientOptions
{
    /// <summary>Production token endpoint.</summary>
    public static readonly Uri ProductionTokenEndpoint = new("https://auth-api.ror.esante.gouv.fr/auth/realms/ror/protocol/openid-connect/token");

    /// <summary>Production FHIR base (consultation).</summary>
    public static readonly Uri ProductionFhirBase = new("https://api-fhir.ror.esante.gouv.fr/ws-diffusion-fhir/");

    /// <summary>ANS sandbox ("bac à sable") token endpoint.</summary>
    public static readonly Uri AnsSandboxTokenEndpoint = new("https://bas-auth-api.qualif.ror.esante.gouv.fr/auth/realms/ror/protocol/openid-connect/token");

    /// <summary>ANS sandbox FHIR base.</summary>
    public static readonly Uri AnsSandboxFhirBase = new("https://bas-api-fhir.qualif.ror.esante.gouv.fr/ws-diffusion-fhir/");

    /// <summary>FHIR base of the consultation service (<c>…/ws-diffusion-fhir/</c>).</summary>
    public Uri FhirBase { get; set; } = ProductionFhirBase;

    /// <summary>Base of the capacity-write service (<c>…/ws-synchro-dispo-lits-fhir/</c>); when null, <c>ws-synchro-dispo-lits-fhir/</c> on the host of <see cref="FhirBase"/>.</summary>
    public Uri? CapacityBase { get; set; }

    /// <summary>OAuth2 token endpoint.</summary>
    public Uri TokenEndpoint { get; set; } = ProductionTokenEndpoint;

    /// <summary>The <c>client_id</c> given by ANS at onboarding.</summary>
    public string ClientId { get; set; } = string.Empty;

    /// <summary>The <c>client_secret</c> (access profile 0 only; profiles 1–4 authenticate with the certificate and send no secret).</summary>
    public string? ClientSecret { get; set; }

    /// <summary>The access profile assigned at onboarding (0–5); decides how the client authenticates.</summary>
    public int AccessProfile { get; set; }

    /// <summary>IGC-Santé ORG AUTH_CLI certificate (PKCS#12) for profiles 1–5.</summary>
    public string? ClientCertificatePath { get; set; }

    /// <summary>Password of <see cref="ClientCertificatePath"/>.</summary>
    public string? ClientCertificatePassword { get; set; }

    /// <summary>
    /// Also present the client certificate on API calls, not only to the token endpoint. The ROR documentation says mTLS is for
    /// the token call, but ANS's own $export sample sends it on every call (UNCONFIRMED, docs/conformance.md); default true.
    /// </summary>
    public bool CertificateOnApiCalls { get; set; } = true;

    /// <summary>CA certificates (PEM or DER) trusted for the server certificates: the IGC-Santé chain. Empty = the system store.</summary>
    public IList<string> TrustedCaPaths { get; } = new List<string>();

    /// <summary>Check revocation of the server chain online.</summary>
    public bool CheckRevocation { get; set; }

    /// <summary>Value of <c>Ror-Profil-Utilisateur-Code</c> (given by ANS).</summary>
    public string ProfilUtilisateurCode { get; set; } = "CU22";

    /// <summary>Value of <c>Ror-Profil-Utilisateur-System</c>.</summary>
    public string ProfilUtilisateurSystem { get; set; } = "1.2.250.1.213.1.6.1.66";

    /// <summary>Value of <c>Ror-Role-Metier-Code</c>.</summary>
    public string RoleMetierCode { get; set; } = "AUTOMATE";

    /// <summary>Value of <c>Ror-Role-Metier-System</c>.</summary>
    public string RoleMetierSystem { get; set; } = "1.2.250.1.213.1.1.4.6";

    /// <summary>A token is renewed when less than this remains before its <c>exp</c> (ANS's sample uses 10 s).</summary>
    public TimeSpan TokenRenewalMargin { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Timeout of one attempt.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Total timeout of a call with its retries.</summary>
    public TimeSpan TotalTimeout { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>Retries of idempotent calls (GET) on transient failures; PATCH and the token POST are never retried.</summary>
    public int MaxRetries { get; set; } = 3;

    /// <summary>Delay between two polls of an $export job when the server gives no Retry-After.</summary>
    public TimeSpan ExportPollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Give up waiting for an $export job after this long.</summary>
    public TimeSpan ExportTimeout { get; set; } = TimeSpan.FromHours(2);

    /// <summary>Largest single answer read (bytes), $export files excepted (streamed).</summary>
    public long MaxResponseBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>True when the access profile authenticates with the client certificate (profiles 1–5).</summary>
    public bool UsesMutualTls => AccessProfile != 0;

    /// <summary>The capacity-write base actually used.</summary>
    public Uri EffectiveCapacityBase => CapacityBase ?? new Uri(FhirBase, "/ws-synchro-dispo-lits-fhir/");

    /// <summary>Checks the settings; returns one message per problem, naming the setting.</summary>
    /// <returns>The problems (empty when valid).</returns>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (FhirBase is null || !FhirBase.IsAbsoluteUri || FhirBase.Scheme != Uri.UriSchemeHttps)
        {
            problems.Add("Ror:FhirBase: an absolute https URL is required.");
        }

        if (TokenEndpoint is null || !TokenEndpoint.IsAbsoluteUri || TokenEndpoint.Scheme != Uri.UriSchemeHttps)
        {
            problems.Add("Ror:TokenEndpoint: an absolute https URL is required.");
        }

        if (string.IsNullOrWhiteSpace(ClientId))
        {
            problems.Add("Ror:ClientId: the client_id given by ANS is required.");
        }

        if (AccessProfile is < 0 or > 5)
        {
            problems.Add("Ror:AccessProfile: must be between 0 and 5.");
        }
        else if (AccessProfile == 0 && string.IsNullOrEmpty(ClientSecret))
        {
            problems.Add("Ror:ClientSecret: access profile 0 authenticates with a client secret.");
        }
        else if (AccessProfile != 0)
        {
            if (string.IsNullOrWhiteSpace(ClientCertificatePath) || !File.Exists(ClientCertificatePath))
            {
                problems.Add("Ror:ClientCertificatePath: access profiles 1–5 need the IGC-Santé ORG AUTH_CLI PKCS#12 file.");
            }

            if (!string.IsNullOrEmpty(ClientSecret))
            {
                problems.Add("Ror:ClientSecret: access profiles 1–5 authenticate with the certificate; no secret is sent (remove it).");
            }
        }

        foreach (var ca in TrustedCaPaths)
        {
            if (!File.Exists(ca))
            {
                problems.Add($"Ror:TrustedCaPaths: {ca} does not exist.");
            }
        }

        if (TokenRenewalMargin < TimeSpan.Zero)
        {
            problems.Add("Ror:TokenRenewalMargin: must not be negative.");
        }

        return problems;
    }
}
