using System.Formats.Asn1;
using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SanteGateway.Application;

/// <summary>What an establishment's software certificate is for.</summary>
public enum CertificateUse
{
    /// <summary>INSi, unattended calls: CN must be exactly <c>INSI-AUTO</c>.</summary>
    InsiAutomatic,

    /// <summary>INSi, user-triggered calls: CN must be exactly <c>INSI-MANU</c>.</summary>
    InsiManual,

    /// <summary>IGC-Santé ORG AUTH_CLI client certificate for the ROR and the DMP (mutual TLS).</summary>
    OrganisationClient,

    /// <summary>Not recognised.</summary>
    Unknown,

    /// <summary>
    /// The gateway's own HTTPS server certificate (web UI, REST API: <c>Gateway:Https</c>), tracked for its expiry; not an
    /// IGC-Santé certificate: serverAuth, and a chain the machine's trust store knows (else staff browsers warn).
    /// </summary>
    ServerTls,
}

/// <summary>How serious a finding is.</summary>
public enum CertificateSeverity
{
    /// <summary>Fine.</summary>
    Ok,

    /// <summary>Worth knowing.</summary>
    Info,

    /// <summary>Works today but needs action (expiry soon, unusual form).</summary>
    Warning,

    /// <summary>The certificate will be refused for the intended use.</summary>
    Error,
}

/// <summary>One finding, in French and English.</summary>
/// <param name="Code">Stable code (<c>cn.insi</c>, <c>chain.untrusted</c>, <c>validity.expiring</c>…).</param>
/// <param name="Severity">Severity.</param>
/// <param name="French">Message in French.</param>
/// <param name="English">Message in English.</param>
public sealed record CertificateFinding(string Code, CertificateSeverity Severity, string French, string English);

/// <summary>What the checker found about one certificate.</summary>
/// <param name="Subject">Subject DN.</param>
/// <param name="Issuer">Issuer DN.</param>
/// <param name="CommonName">Subject CN.</param>
/// <param name="OrganizationalUnit">Subject OU (the structure id sent as INSi <c>Emetteur</c>).</param>
/// <param name="Organization">Subject O.</param>
/// <param name="SerialNumber">Serial (hex).</param>
/// <param name="Thumbprint">SHA-1 thumbprint (hex), as shown by certificate stores.</param>
/// <param name="NotBefore">Start of validity (UTC).</param>
/// <param name="NotAfter">End of validity (UTC).</param>
/// <param name="DaysLeft">Whole days until <paramref name="NotAfter"/> (negative once expired).</param>
/// <param name="DetectedUse">Use read from the CN and extensions.</param>
/// <param name="Environment"><c>test</c>, <c>production</c> or <c>unknown</c> (from the issuing CA).</param>
/// <param name="KeyAlgorithm">Key algorithm.</param>
/// <param name="KeySize">Key size in bits.</param>
/// <param name="HasPrivateKey">Whether the file holds the private key.</param>
/// <param name="KeyUsages">Key usages.</param>
/// <param name="ExtendedKeyUsages">Extended key usages (OID and name).</param>
/// <param name="Chain">Chain built, leaf first (subject CNs).</param>
/// <param name="Findings">Every finding, worst first.</param>
public sealed record CertificateReport(
    string Subject,
    string Issuer,
    string? CommonName,
    string? OrganizationalUnit,
    string? Organization,
    string SerialNumber,
    string Thumbprint,
    DateTimeOffset NotBefore,
    DateTimeOffset NotAfter,
    int DaysLeft,
    CertificateUse DetectedUse,
    string Environment,
    string KeyAlgorithm,
    int KeySize,
    bool HasPrivateKey,
    IReadOnlyList<string> KeyUsages,
    IReadOnlyList<string> ExtendedKeyUsages,
    IReadOnlyList<string> Chain,
    IReadOnlyList<CertificateFinding> Findings)
{
    /// <summary>The worst severity found.</summary>
    public CertificateSeverity Severity => Findings.Count == 0 ? CertificateSeverity.Ok : Findings.Max(f => f.Severity);

    /// <summary>True when no finding is an error.</summary>
    public bool IsUsable => Severity < CertificateSeverity.Error;
}

/// <summary>Settings of the checker.</summary>
public sealed class CertificateCheckOptions
{
    /// <summary>IGC-Santé CAs (roots and intermediates) the chain must end at; empty = the chain is not checked (warning).</summary>
    public X509Certificate2Collection TrustAnchors { get; } = [];

    /// <summary>Warn when fewer days than this are left (default 60).</summary>
    public int WarnDays { get; set; } = 60;

    /// <summary>
    /// Issuer CN prefixes of the IGC-Santé test CAs (default <c>TEST AC IGC-SANTE</c>, insi.md §4.1; the full list of test
    /// CA names is UNCONFIRMED: configurable).
    /// </summary>
    public IList<string> TestIssuerPrefixes { get; } = ["TEST AC IGC-SANTE", "TEST AC RACINE IGC-SANTE", "TEST AC SANTEGATEWAY"];

    /// <summary>Issuer CN prefixes of the production IGC-Santé CAs (default <c>AC IGC-SANTE</c>, <c>AC RACINE IGC-SANTE</c>).</summary>
    public IList<string> ProductionIssuerPrefixes { get; } = ["AC IGC-SANTE", "AC RACINE IGC-SANTE"];

    /// <summary>Clock.</summary>
    public TimeProvider Time { get; set; } = TimeProvider.System;

    /// <summary>
    /// Where the private key is held when it is not with the certificate, e.g. <c>jeton PKCS#11 'HSM1', clé 'org-lyon'</c>,
    /// once the caller has checked that the key there matches the certificate's public key; the key's absence from the
    /// certificate is then reported as information instead of an error. Null = the key must come with the certificate.
    /// </summary>
    public string? PrivateKeyLocation { get; set; }
}

/// <summary>
/// Checks an establishment's IGC-Santé software certificate for its use: INSi (CN exactly <c>INSI-AUTO</c>/<c>INSI-MANU</c>,
/// else the service answers DESIR_560), ORG AUTH_CLI for ROR/DMP; chain to the configured IGC-Santé CAs, test or
/// production CA, validity and days left, key usage and EKU (clientAuth), key size, private key, structure OU, CPx
/// card certificates (not software certificates). Every message in French and English.
/// </summary>
public static class CertificateChecker
{
    /// <summary>id-kp-clientAuth.</summary>
    public const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";

    /// <summary>EKU TLS server authentication.</summary>
    public const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";

    /// <summary>GIP-CPS card type extension (present on CPx card certificates).</summary>
    public const string CpsCardTypeOid = "1.2.250.1.71.1.2.2";

    /// <summary>Loads a certificate file: PKCS#12 (.p12/.pfx, with key and chain), PEM (certificate, optional key) or DER.</summary>
    /// <param name="path">File.</param>
    /// <param name="password">PKCS#12 password.</param>
    /// <returns>The leaf (the one with a private key, else the first non-CA) and the other certificates of the file.</returns>
    /// <exception cref="CryptographicException">Wrong password or not a certificate file.</exception>
    public static (X509Certificate2 Leaf, X509Certificate2Collection Others) Load(string path, string? password)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var bytes = File.ReadAllBytes(path);
        X509Certificate2Collection all;
        if (bytes.Length > 0 && bytes[0] == (byte)'-')
        {
            all = [];
            all.ImportFromPemFile(path);
            try
            {
                var withKey = X509Certificate2.CreateFromPemFile(path);
                all.Insert(0, withKey);
                all.RemoveAt(1);
            }
            catch (CryptographicException)
            {
                // No private key in the PEM: the certificates alone are checked.
            }
        }
        else if (LooksLikePkcs12(bytes))
        {
            var flags = OperatingSystem.IsMacOS() ? X509KeyStorageFlags.DefaultKeySet : X509KeyStorageFlags.EphemeralKeySet;
            all = X509CertificateLoader.LoadPkcs12Collection(bytes, password, flags);
        }
        else
        {
            all = [X509CertificateLoader.LoadCertificate(bytes)];
        }

        if (all.Count == 0)
        {
            throw new CryptographicException("The file holds no certificate.");
        }

        var leaf = all.FirstOrDefault(c => c.HasPrivateKey) ?? all.FirstOrDefault(c => !IsCa(c)) ?? all[0];
        var others = new X509Certificate2Collection();
        foreach (var c in all)
        {
            if (!ReferenceEquals(c, leaf))
            {
                others.Add(c);
            }
        }

        return (leaf, others);
    }

    /// <summary>Checks <paramref name="certificate"/>.</summary>
    /// <param name="certificate">The certificate (with its private key when loaded from a PKCS#12).</param>
    /// <param name="intended">The use it is configured for; null = the use read from the certificate.</param>
    /// <param name="options">CAs, warning threshold, clock.</param>
    /// <param name="extraChain">Intermediates shipped with the certificate (PKCS#12 chain).</param>
    /// <returns>The report.</returns>
    public static CertificateReport Check(X509Certificate2 certificate, CertificateUse? intended, CertificateCheckOptions options, X509Certificate2Collection? extraChain = null)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(options);
        var findings = new List<CertificateFinding>();
        var cn = Rdn(certificate.SubjectName, "2.5.4.3");
        var ou = Rdn(certificate.SubjectName, "2.5.4.11");
        var o = Rdn(certificate.SubjectName, "2.5.4.10");
        var issuerCn = Rdn(certificate.IssuerName, "2.5.4.3") ?? certificate.Issuer;
        var now = options.Time.GetUtcNow();
        var notAfter = new DateTimeOffset(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero);
        var notBefore = new DateTimeOffset(certificate.NotBefore.ToUniversalTime(), TimeSpan.Zero);
        var daysLeft = (int)Math.Floor((notAfter - now).TotalDays);
        var ekus = Ekus(certificate);
        var kus = KeyUsages(certificate);
        var isCpx = certificate.Extensions[CpsCardTypeOid] is not null || issuerCn.Contains("PERSONNES", StringComparison.OrdinalIgnoreCase);
        var detected = cn switch
        {
            "INSI-AUTO" => CertificateUse.InsiAutomatic,
            "INSI-MANU" => CertificateUse.InsiManual,
            _ when !isCpx && ekus.Any(e => e.StartsWith(ClientAuthOid, StringComparison.Ordinal)) => CertificateUse.OrganisationClient,
            _ => CertificateUse.Unknown,
        };
        var use = intended ?? detected;

        // Validity.
        if (now < notBefore)
        {
            findings.Add(new("validity.not-yet-valid", CertificateSeverity.Error,
                $"Certificat pas encore valide (à partir du {notBefore:yyyy-MM-dd}).", $"Certificate not valid yet (from {notBefore:yyyy-MM-dd})."));
        }
        else if (daysLeft < 0 || now > notAfter)
        {
            findings.Add(new("validity.expired", CertificateSeverity.Error,
                $"Certificat expiré le {notAfter:yyyy-MM-dd} : tout appel sera refusé ; commandez-en un nouveau.", $"Certificate expired on {notAfter:yyyy-MM-dd}: every call will be refused; order a new one."));
        }
        else if (daysLeft <= options.WarnDays)
        {
            findings.Add(new("validity.expiring", CertificateSeverity.Warning,
                $"Le certificat expire dans {daysLeft} jour(s), le {notAfter:yyyy-MM-dd} : renouvelez-le (délai de commande IGC-Santé).", $"Certificate expires in {daysLeft} day(s), on {notAfter:yyyy-MM-dd}: renew it (IGC-Santé ordering takes time)."));
        }
        else
        {
            findings.Add(new("validity.ok", CertificateSeverity.Ok, $"Valide jusqu'au {notAfter:yyyy-MM-dd} ({daysLeft} jours).", $"Valid until {notAfter:yyyy-MM-dd} ({daysLeft} days)."));
        }

        // CN form expected by INSi.
        if (use is CertificateUse.InsiAutomatic or CertificateUse.InsiManual)
        {
            var wanted = use == CertificateUse.InsiAutomatic ? "INSI-AUTO" : "INSI-MANU";
            if (cn is "INSI-AUTO" or "INSI-MANU" && cn != wanted)
            {
                findings.Add(new("cn.insi-kind", CertificateSeverity.Warning,
                    $"CN {cn} alors que l'usage configuré attend {wanted} : les appels {(wanted == "INSI-AUTO" ? "automatiques" : "déclenchés par un utilisateur")} présenteront le mauvais profil.",
                    $"CN {cn} while the configured use expects {wanted}: {(wanted == "INSI-AUTO" ? "unattended" : "user-triggered")} calls will present the wrong profile."));
            }
            else if (cn != wanted)
            {
                var hint = cn is not null && string.Equals(cn.Trim(), wanted, StringComparison.OrdinalIgnoreCase) ? " (casse ou espaces)" : "";
                var hintEn = hint.Length > 0 ? " (case or spaces)" : "";
                findings.Add(new("cn.insi", CertificateSeverity.Error,
                    $"CN « {cn} » : INSi exige exactement {wanted}{hint} ; le service répondrait DESIR_560 (droits insuffisants).",
                    $"CN '{cn}': INSi requires exactly {wanted}{hintEn}; the service would answer DESIR_560 (insufficient rights)."));
            }
            else
            {
                findings.Add(new("cn.insi", CertificateSeverity.Ok, $"CN {cn} conforme pour INSi.", $"CN {cn} is what INSi expects."));
            }

            if (string.IsNullOrWhiteSpace(ou))
            {
                findings.Add(new("subject.ou", CertificateSeverity.Warning,
                    "Pas d'OU dans le sujet : l'identifiant de structure (Emetteur INSi) ne peut pas en être lu.", "No OU in the subject: the structure id (INSi Emetteur) cannot be read from it."));
            }
        }

        if (use == CertificateUse.ServerTls)
        {
            CheckServer(certificate, ekus, findings);
        }

        // Key usage and EKU for TLS client authentication.
        if (use is not (CertificateUse.Unknown or CertificateUse.ServerTls))
        {
            var eku = certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().FirstOrDefault();
            if (eku is null)
            {
                findings.Add(new("eku.client-auth", CertificateSeverity.Warning,
                    "Pas d'usage étendu (EKU) : les certificats IGC-Santé AUTH_CLI portent clientAuth ; ce certificat n'en est probablement pas un.",
                    "No extended key usage: IGC-Santé AUTH_CLI certificates carry clientAuth; this is probably not one."));
            }
            else if (!eku.EnhancedKeyUsages.Cast<Oid>().Any(x => x.Value == ClientAuthOid))
            {
                findings.Add(new("eku.client-auth", CertificateSeverity.Error,
                    $"L'usage étendu ne permet pas l'authentification client TLS (clientAuth absent : {string.Join(", ", ekus)}) : la poignée de main TLS sera refusée.",
                    $"The extended key usage does not allow TLS client authentication (no clientAuth: {string.Join(", ", ekus)}): the TLS handshake will be refused."));
            }
            else
            {
                findings.Add(new("eku.client-auth", CertificateSeverity.Ok, "Usage étendu clientAuth présent.", "Extended key usage clientAuth present."));
            }

            var ku = certificate.Extensions.OfType<X509KeyUsageExtension>().FirstOrDefault();
            if (ku is not null && (ku.KeyUsages & X509KeyUsageFlags.DigitalSignature) == 0)
            {
                findings.Add(new("ku.digital-signature", CertificateSeverity.Error,
                    "L'usage de clé ne comprend pas digitalSignature, nécessaire à l'authentification TLS.", "Key usage lacks digitalSignature, needed for TLS authentication."));
            }
        }

        if (IsCa(certificate))
        {
            findings.Add(new("basic.ca", CertificateSeverity.Error, "C'est un certificat d'autorité (CA), pas un certificat de serveur applicatif.", "This is a CA certificate, not a software certificate."));
        }

        // Key.
        var (alg, size) = KeyOf(certificate);
        if (alg == "RSA" && size < 2048)
        {
            findings.Add(new("key.size", CertificateSeverity.Error, $"Clé RSA de {size} bits : 2048 bits au moins.", $"RSA key of {size} bits: at least 2048 bits."));
        }

        if (!certificate.HasPrivateKey && options.PrivateKeyLocation is { } where)
        {
            findings.Add(new("key.external", CertificateSeverity.Info,
                $"Clé privée hors du fichier, correspondant au certificat : {where}.",
                $"Private key held outside the file, matching the certificate: {where}."));
        }

        // A server certificate's key may live in its own PEM file (Gateway:Https:KeyPath); serve checks it at start.
        else if (!certificate.HasPrivateKey && use is not (CertificateUse.Unknown or CertificateUse.ServerTls))
        {
            findings.Add(new("key.private", CertificateSeverity.Error,
                "Le fichier ne contient pas la clé privée : impossible de s'authentifier (utilisez le .p12 livré avec la clé).",
                "The file holds no private key: it cannot authenticate (use the .p12 delivered with the key)."));
        }

        // CPx card certificates.
        if (isCpx)
        {
            var nominative = Rdn(certificate.SubjectName, "2.5.4.4") is not null || Rdn(certificate.SubjectName, "2.5.4.42") is not null;
            findings.Add(nominative
                ? new("cpx.card", CertificateSeverity.Warning,
                    "Certificat de carte CPx (personnel) : il sert à signer l'assertion PS en mode carte, pas à l'authentification mTLS d'un établissement.",
                    "CPx card (personal) certificate: it signs the PS assertion in card mode; it is not an establishment's mTLS certificate.")
                : new("cpx.non-nominative", CertificateSeverity.Warning,
                    "Certificat de carte CPx non nominative (sans nom ni prénom) : les appels INSi doivent être rattachés à une personne ou à la structure (certificat logiciel) [non confirmé].",
                    "Non-nominative CPx card certificate (no surname or given name): INSi calls must be tied to a person or to the establishment (software certificate) [unconfirmed]."));
        }

        // Chain and environment.
        var environment = EnvironmentOf(issuerCn, options);
        var chain = new List<string>();
        if (use == CertificateUse.ServerTls)
        {
            // Browsers judge it against the machines' trust stores, not against IGC-Santé.
            environment = "unknown";
            ServerChain(certificate, extraChain, now, chain, findings);
        }
        else if (options.TrustAnchors.Count == 0)
        {
            findings.Add(new("chain.not-checked", CertificateSeverity.Warning,
                "Chaîne non vérifiée : aucune AC IGC-Santé configurée (--ca).", "Chain not checked: no IGC-Santé CA configured (--ca)."));
            chain.Add(cn ?? certificate.Subject);
        }
        else
        {
            using var x = new X509Chain();
            x.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            x.ChainPolicy.CustomTrustStore.AddRange(options.TrustAnchors);
            x.ChainPolicy.ExtraStore.AddRange(options.TrustAnchors);
            if (extraChain is not null)
            {
                x.ChainPolicy.ExtraStore.AddRange(extraChain);
            }

            x.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            // Validity is reported above with its date; the chain finding is about trust only.
            x.ChainPolicy.VerificationFlags = X509VerificationFlags.IgnoreNotTimeValid | X509VerificationFlags.IgnoreCtlNotTimeValid;
            x.ChainPolicy.VerificationTime = now.UtcDateTime;
            var ok = x.Build(certificate);
            chain.AddRange(x.ChainElements.Select(e => Rdn(e.Certificate.SubjectName, "2.5.4.3") ?? e.Certificate.Subject));
            if (ok)
            {
                findings.Add(new("chain.trusted", CertificateSeverity.Ok,
                    $"Chaîne de confiance jusqu'à {chain[^1]}.", $"Chain of trust up to {chain[^1]}."));
                if (chain.Count > 0)
                {
                    environment = EnvironmentOf(chain[^1], options) is var rootEnv && rootEnv != "unknown" ? rootEnv : environment;
                }
            }
            else
            {
                var status = string.Join(", ", x.ChainStatus.Select(s => s.Status.ToString()).Distinct(StringComparer.Ordinal));
                findings.Add(new("chain.untrusted", CertificateSeverity.Error,
                    $"Le certificat ne remonte pas aux AC IGC-Santé configurées (émetteur « {issuerCn} » ; {status}) : autre AC, AC de test contre la production, ou chaîne incomplète.",
                    $"The certificate does not chain to the configured IGC-Santé CAs (issuer '{issuerCn}'; {status}): another CA, a test CA against production, or an incomplete chain."));
            }
        }

        if (use != CertificateUse.ServerTls)
        {
            findings.Add(environment switch
            {
                "test" => new("environment.test", CertificateSeverity.Info,
                    "Certificat émis par une AC de TEST IGC-Santé : pour la plateforme de qualification seulement (la production répond CR 01 ou refuse).",
                    "Issued by an IGC-Santé TEST CA: for the qualification platform only (production answers CR 01 or refuses)."),
                "production" => new("environment.production", CertificateSeverity.Info,
                    "Certificat émis par une AC de PRODUCTION IGC-Santé : ne pas l'utiliser sur la plateforme de qualification ni pour enregistrer des échanges.",
                    "Issued by an IGC-Santé PRODUCTION CA: do not use it on the qualification platform nor for recording exchanges."),
                _ => new("environment.unknown", CertificateSeverity.Warning,
                    $"Émetteur « {issuerCn} » : ce n'est pas une AC IGC-Santé connue.", $"Issuer '{issuerCn}': not a known IGC-Santé CA."),
            });
        }

        return new CertificateReport(
            certificate.Subject, certificate.Issuer, cn, ou, o, certificate.SerialNumber, certificate.Thumbprint, notBefore, notAfter, daysLeft, detected, environment,
            alg, size, certificate.HasPrivateKey, kus, ekus, chain, findings.OrderByDescending(f => f.Severity).ToList());
    }

    private static void CheckServer(X509Certificate2 certificate, List<string> ekus, List<CertificateFinding> findings)
    {
        var eku = certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().FirstOrDefault();
        if (eku is not null && !eku.EnhancedKeyUsages.Cast<Oid>().Any(x => x.Value == ServerAuthOid))
        {
            findings.Add(new("eku.server-auth", CertificateSeverity.Error,
                $"L'usage étendu ne permet pas l'authentification de serveur TLS (serverAuth absent : {string.Join(", ", ekus)}) : les navigateurs refuseront la connexion.",
                $"The extended key usage does not allow TLS server authentication (no serverAuth: {string.Join(", ", ekus)}): browsers will refuse the connection."));
        }
        else
        {
            findings.Add(new("eku.server-auth", CertificateSeverity.Ok, "Utilisable pour un serveur HTTPS (serverAuth).", "Usable for an HTTPS server (serverAuth)."));
        }

        if (certificate.Extensions["2.5.29.17"] is null)
        {
            findings.Add(new("san.missing", CertificateSeverity.Warning,
                "Pas de nom alternatif (SAN) : les navigateurs récents refusent un certificat de serveur qui n'en porte pas.",
                "No subject alternative name: current browsers refuse a server certificate without one."));
        }
    }

    private static void ServerChain(X509Certificate2 certificate, X509Certificate2Collection? extraChain, DateTimeOffset now, List<string> chain, List<CertificateFinding> findings)
    {
        using var x = new X509Chain();
        if (extraChain is not null)
        {
            x.ChainPolicy.ExtraStore.AddRange(extraChain);
        }

        x.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        x.ChainPolicy.VerificationFlags = X509VerificationFlags.IgnoreNotTimeValid | X509VerificationFlags.IgnoreCtlNotTimeValid;
        x.ChainPolicy.VerificationTime = now.UtcDateTime;
        var ok = x.Build(certificate);
        chain.AddRange(x.ChainElements.Select(e => Rdn(e.Certificate.SubjectName, "2.5.4.3") ?? e.Certificate.Subject));
        findings.Add(ok
            ? new("chain.system", CertificateSeverity.Ok, $"Chaîne reconnue par le magasin de confiance de la machine, jusqu'à {chain[^1]}.", $"Chain known to the machine's trust store, up to {chain[^1]}.")
            : new("chain.system", CertificateSeverity.Warning,
                "Chaîne inconnue du magasin de confiance de cette machine (AC interne ou certificat auto-signé) : les navigateurs du personnel avertiront, sauf si l'AC y est déployée.",
                "Chain unknown to this machine's trust store (internal CA or self-signed): staff browsers will warn unless the CA is deployed to them."));
    }

    /// <summary>Parses a use name: <c>insi-auto</c>, <c>insi-manu</c>, <c>org</c> (ROR/DMP AUTH_CLI).</summary>
    /// <param name="text">Text.</param>
    /// <param name="use">The use.</param>
    /// <returns>True when recognised.</returns>
    public static bool TryParseUse(string? text, out CertificateUse use)
    {
        use = (text ?? "").Trim().ToUpperInvariant() switch
        {
            "INSI-AUTO" or "INSIAUTOMATIC" or "AUTO" => CertificateUse.InsiAutomatic,
            "INSI-MANU" or "INSIMANUAL" or "MANU" => CertificateUse.InsiManual,
            "ORG" or "ORG-AUTH-CLI" or "AUTH_CLI" or "ROR" or "DMP" or "ORGANISATIONCLIENT" => CertificateUse.OrganisationClient,
            _ => CertificateUse.Unknown,
        };
        return use != CertificateUse.Unknown;
    }

    private static string EnvironmentOf(string issuerCn, CertificateCheckOptions options)
    {
        if (options.TestIssuerPrefixes.Any(p => issuerCn.StartsWith(p, StringComparison.OrdinalIgnoreCase)))
        {
            return "test";
        }

        return options.ProductionIssuerPrefixes.Any(p => issuerCn.StartsWith(p, StringComparison.OrdinalIgnoreCase)) ? "production" : "unknown";
    }

    private static bool LooksLikePkcs12(byte[] bytes)
    {
        // PFX = SEQUENCE { INTEGER 3, ContentInfo, ... }; a certificate starts SEQUENCE { SEQUENCE ... }.
        try
        {
            var reader = new AsnReader(bytes, AsnEncodingRules.BER);
            var seq = reader.ReadSequence();
            return seq.PeekTag().HasSameClassAndValue(Asn1Tag.Integer);
        }
        catch (AsnContentException)
        {
            return false;
        }
    }

    private static bool IsCa(X509Certificate2 c) => c.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault()?.CertificateAuthority == true;

    private static string? Rdn(X500DistinguishedName name, string oid)
    {
        foreach (var rdn in name.EnumerateRelativeDistinguishedNames())
        {
            if (rdn.GetSingleElementType().Value == oid)
            {
                return rdn.GetSingleElementValue();
            }
        }

        return null;
    }

    private static List<string> Ekus(X509Certificate2 c) =>
        c.Extensions.OfType<X509EnhancedKeyUsageExtension>().SelectMany(e => e.EnhancedKeyUsages.Cast<Oid>())
            .Select(o => o.FriendlyName is { Length: > 0 } f ? $"{o.Value} ({f})" : o.Value ?? "").ToList();

    private static List<string> KeyUsages(X509Certificate2 c)
    {
        var ku = c.Extensions.OfType<X509KeyUsageExtension>().FirstOrDefault();
        return ku is null
            ? []
            : Enum.GetValues<X509KeyUsageFlags>().Where(f => f != X509KeyUsageFlags.None && (ku.KeyUsages & f) == f).Select(f => f.ToString()).ToList();
    }

    private static (string Algorithm, int Size) KeyOf(X509Certificate2 c)
    {
        using var rsa = c.GetRSAPublicKey();
        if (rsa is not null)
        {
            return ("RSA", rsa.KeySize);
        }

        using var ec = c.GetECDsaPublicKey();
        return ec is not null ? ("ECDSA", ec.KeySize) : (c.PublicKey.Oid.FriendlyName ?? c.PublicKey.Oid.Value ?? "?", 0);
    }

    /// <summary>Days left as text for logs and tables.</summary>
    /// <param name="report">Report.</param>
    /// <returns><c>123</c> or <c>expired</c>.</returns>
    public static string DaysText(CertificateReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return report.DaysLeft < 0 ? "expired" : report.DaysLeft.ToString(CultureInfo.InvariantCulture);
    }
}
