using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Options;

namespace SanteGateway.Server.Inbound;

/// <summary>Whether the gateway's HTTPS endpoints ask senders for a client certificate (<c>Inbound:Tls:ClientCertificates</c>).</summary>
public enum PartnerCertificateMode
{
    /// <summary>No client certificate is asked for; partners are named by <c>X-Partner</c> only.</summary>
    None,

    /// <summary>Asked for, optional: partners present one, browsers and other API clients need not.</summary>
    Allow,

    /// <summary>Required on every HTTPS connection; the inbound endpoints refuse a request without one.</summary>
    Require,
}

/// <summary>Mutual TLS of the inbound gate (<c>Inbound:Tls</c>): how a partner is identified by its client certificate.</summary>
public sealed class PartnerTlsOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Inbound:Tls";

    /// <summary>Client-certificate mode of the HTTPS endpoints (default <see cref="PartnerCertificateMode.None"/>).</summary>
    public PartnerCertificateMode ClientCertificates { get; set; } = PartnerCertificateMode.None;

    /// <summary>CA certificates (PEM or DER files: IGC-Santé, a private CA) that chains of subject/issuer bindings must reach.</summary>
    public IList<string> TrustedCaPaths { get; } = [];

    /// <summary>Check revocation online (CRL/OCSP of the chain); off by default, as for the gateway's outbound TLS.</summary>
    public bool CheckRevocation { get; set; }

    /// <summary>Partner code → the certificate that identifies it.</summary>
    public IDictionary<string, PartnerCertificateBinding> Partners { get; } = new Dictionary<string, PartnerCertificateBinding>(StringComparer.Ordinal);
}

/// <summary>
/// The certificate of one partner. Every criterion given must hold: a thumbprint alone pins one certificate (no CA needed);
/// a subject and/or an issuer also require a chain to one of <see cref="PartnerTlsOptions.TrustedCaPaths"/>.
/// </summary>
public sealed class PartnerCertificateBinding
{
    /// <summary>Accepted thumbprints: SHA-1 (40 hex digits) or SHA-256 (64); spaces and colons ignored.</summary>
    public IList<string> Thumbprints { get; } = [];

    /// <summary>Subject distinguished name, e.g. <c>CN=LABO ANALYSES, OU=340000001, O=LABO, C=FR</c>.</summary>
    public string? Subject { get; set; }

    /// <summary>Issuer distinguished name (the IGC-Santé or private CA that issued it).</summary>
    public string? Issuer { get; set; }
}

/// <summary>Which partner a request or connection comes from: <c>X-Partner</c> checked against the client certificate.</summary>
/// <param name="Partner">The partner code to receive for, or null (no header and no certificate: the gate names the field).</param>
/// <param name="Error">The refusal (nothing is stored), or null.</param>
public sealed record PartnerResolution(string? Partner, AppError? Error);

/// <summary>
/// Identifies inbound partners by their client certificate under mutual TLS. TLS itself accepts any certificate whose key the
/// client holds (Kestrel's validation is switched off); this class decides what it proves, so a refused certificate gets a
/// problem naming the rule instead of a bare handshake failure: a certificate must match exactly one partner binding
/// (thumbprint pin, or subject/issuer with a chain to a configured CA), be within its validity and, when it declares
/// extended key usages, allow client authentication. A partner with a binding can only be named by a request carrying its
/// certificate, and a certificate's request may not name another partner in <c>X-Partner</c>.
/// </summary>
public sealed class PartnerCertificates : IDisposable
{
    private const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";
    private const string HeaderField = "X-Partner";
    private const string CertificateField = "client-certificate";
    private static readonly TimeSpan CacheLifetime = TimeSpan.FromMinutes(5);

    private readonly PartnerTlsOptions options;
    private readonly TimeProvider clock;
    private readonly X509Certificate2Collection anchors = [];
    private readonly List<(string Partner, Binding Binding)> bindings = [];
    private readonly ConcurrentDictionary<string, (string[] Partners, DateTimeOffset Until)> cache = new(StringComparer.Ordinal);

    /// <summary>Reads the bindings and the CA files; a malformed setting fails here, at start, naming it.</summary>
    /// <param name="options">The settings.</param>
    /// <param name="clock">Clock (certificate validity).</param>
    public PartnerCertificates(IOptions<PartnerTlsOptions> options, TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(options);
        this.options = options.Value;
        this.clock = clock;
        foreach (var path in this.options.TrustedCaPaths.Where(p => !string.IsNullOrWhiteSpace(p)))
        {
            if (!File.Exists(path))
            {
                throw new InvalidOperationException($"{PartnerTlsOptions.Section}:TrustedCaPaths: the file '{path}' does not exist.");
            }

            // A PEM file may hold a whole chain (root and intermediates); a DER file holds one certificate.
            var text = File.ReadAllText(path);
            if (text.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal))
            {
                anchors.ImportFromPemFile(path);
            }
            else
            {
                anchors.Add(X509CertificateLoader.LoadCertificateFromFile(path));
            }
        }

        foreach (var (partner, binding) in this.options.Partners)
        {
            bindings.Add((partner, Binding.From(partner, binding, anchors.Count > 0)));
        }
    }

    /// <summary>Whether any partner is bound to a certificate.</summary>
    public bool Any => bindings.Count > 0;

    /// <summary>The configured mode.</summary>
    public PartnerCertificateMode Mode => options.ClientCertificates;

    /// <summary>
    /// Sets the client-certificate mode of an HTTPS endpoint from <c>Inbound:Tls</c>. Chains are not judged during the
    /// handshake (this class judges them per partner, with an answer naming the rule).
    /// </summary>
    /// <param name="https">The endpoint's HTTPS options.</param>
    /// <param name="mode">The mode.</param>
    public static void ConfigureHttps(HttpsConnectionAdapterOptions https, PartnerCertificateMode mode)
    {
        ArgumentNullException.ThrowIfNull(https);
        https.ClientCertificateMode = mode switch
        {
            PartnerCertificateMode.Allow => ClientCertificateMode.AllowCertificate,
            PartnerCertificateMode.Require => ClientCertificateMode.RequireCertificate,
            _ => ClientCertificateMode.NoCertificate,
        };
        if (mode != PartnerCertificateMode.None)
        {
            https.ClientCertificateValidation = static (_, _, _) => true;
        }
    }

    /// <summary>
    /// Configures Kestrel's HTTPS defaults for <c>santegw serve</c> and tests: the server certificate and the client-certificate
    /// mode of <c>Inbound:Tls:ClientCertificates</c>. Kestrel keeps one HTTPS-defaults callback, so both are set here.
    /// </summary>
    /// <param name="builder">The gateway's builder (after <see cref="GatewayApp.CreateBuilder"/>).</param>
    /// <param name="serverCertificate">The server certificate.</param>
    public static void ConfigureKestrelHttps(WebApplicationBuilder builder, X509Certificate2 serverCertificate)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var mode = builder.Configuration.GetSection(PartnerTlsOptions.Section).GetValue(nameof(PartnerTlsOptions.ClientCertificates), PartnerCertificateMode.None);
        builder.WebHost.ConfigureKestrel(k => k.ConfigureHttpsDefaults(h =>
        {
            h.ServerCertificate = serverCertificate;
            ConfigureHttps(h, mode);
        }));
    }

    /// <summary>The partner of an HTTP request: its client certificate (when the connection has one) checked against <c>X-Partner</c>.</summary>
    /// <param name="http">The request.</param>
    /// <returns>The partner to receive for, or the refusal.</returns>
    public PartnerResolution Resolve(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        return Resolve(http.Connection.ClientCertificate, http.Request.Headers[HeaderField].ToString());
    }

    /// <summary>The partner named by <paramref name="claimed"/> (the <c>X-Partner</c> header, MSH-4 mapping) given the client certificate.</summary>
    /// <param name="certificate">The connection's client certificate, or null.</param>
    /// <param name="claimed">The partner the sender names, or empty.</param>
    /// <returns>The partner, or the refusal (rule and field named).</returns>
    public PartnerResolution Resolve(X509Certificate2? certificate, string? claimed)
    {
        var named = string.IsNullOrWhiteSpace(claimed) ? null : claimed.Trim();
        if (certificate is null)
        {
            if (options.ClientCertificates == PartnerCertificateMode.Require)
            {
                return Refuse(CertificateField, "inbound.certificate-required",
                    "This gateway identifies inbound partners by their client certificate (mutual TLS): present it.");
            }

            if (named is not null && bindings.Any(b => string.Equals(b.Partner, named, StringComparison.Ordinal)))
            {
                return Refuse(HeaderField, "inbound.certificate-required",
                    $"Partner '{named}' is identified by its client certificate (mutual TLS): send over a connection presenting it.");
            }

            return new PartnerResolution(named, null);
        }

        var partners = Identify(certificate);
        if (partners.Length == 0)
        {
            return Refuse(CertificateField, "inbound.certificate-unknown",
                $"The client certificate (subject '{Clip(certificate.Subject)}', issuer '{Clip(certificate.Issuer)}', SHA-256 {certificate.GetCertHashString(HashAlgorithmName.SHA256)}) " +
                $"identifies no partner: it is expired, not for client authentication, not issued by a trusted CA, or not bound under {PartnerTlsOptions.Section}:Partners.");
        }

        if (partners.Length > 1)
        {
            return Refuse(CertificateField, "inbound.certificate-ambiguous",
                $"The client certificate matches several partners ({string.Join(", ", partners)}): make their bindings under {PartnerTlsOptions.Section}:Partners distinct.");
        }

        var partner = partners[0];
        if (named is not null && !string.Equals(named, partner, StringComparison.Ordinal))
        {
            return Refuse(HeaderField, "inbound.partner-not-certificate",
                $"The client certificate identifies partner '{partner}': {HeaderField} may not name another partner ('{Clip(named)}').");
        }

        return new PartnerResolution(partner, null);
    }

    /// <summary>
    /// The partner of an HL7 message received over MLLP: the connection's client certificate (mutual TLS) checked against the
    /// partner the listener's settings give it (<c>PartnersBySendingFacility</c>, <c>Partner</c>). A certificate bound to a partner
    /// names it (even when the settings name none); a certificate bound to nobody leaves the settings' answer (the gateway's
    /// own domain feeds keep the plain intake) — but a partner bound to a certificate is never accepted without it.
    /// </summary>
    /// <param name="certificate">The connection's client certificate, or null (plain TCP, or TLS without one).</param>
    /// <param name="claimed">The partner from the listener's settings, or null.</param>
    /// <returns>The partner (null: not a partner flow), or the refusal naming <c>MSH-4</c>.</returns>
    public PartnerResolution ResolveConnection(X509Certificate2? certificate, string? claimed)
    {
        const string field = "MSH-4";
        var named = string.IsNullOrWhiteSpace(claimed) ? null : claimed.Trim();
        var partners = certificate is null ? [] : Identify(certificate);
        if (partners.Length > 1)
        {
            return Refuse(field, "inbound.certificate-ambiguous",
                $"The client certificate matches several partners ({string.Join(", ", partners)}): make their bindings under {PartnerTlsOptions.Section}:Partners distinct.");
        }

        if (partners.Length == 1)
        {
            return named is null || string.Equals(named, partners[0], StringComparison.Ordinal)
                ? new PartnerResolution(partners[0], null)
                : Refuse(field, "inbound.partner-not-certificate",
                    $"The client certificate identifies partner '{partners[0]}': the message's sending facility names another partner ('{Clip(named)}').");
        }

        if (named is not null && bindings.Any(b => string.Equals(b.Partner, named, StringComparison.Ordinal)))
        {
            return Refuse(field, "inbound.certificate-required",
                $"Partner '{named}' is identified by its client certificate (mutual TLS): send over a connection presenting it.");
        }

        return new PartnerResolution(named, null);
    }

    /// <summary>The partners a certificate identifies (none, one, or — misconfigured — several).</summary>
    /// <param name="certificate">The client certificate.</param>
    /// <returns>Partner codes.</returns>
    public string[] Identify(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var sha256 = certificate.GetCertHashString(HashAlgorithmName.SHA256);
        var now = clock.GetUtcNow();
        if (cache.TryGetValue(sha256, out var hit) && hit.Until > now)
        {
            return hit.Partners;
        }

        string[] partners = [];
        if (now >= certificate.NotBefore.ToUniversalTime() && now <= certificate.NotAfter.ToUniversalTime() && AllowsClientAuth(certificate))
        {
            var sha1 = certificate.Thumbprint;
            var subject = Binding.Key(certificate.SubjectName, reversed: false);
            var issuer = Binding.Key(certificate.IssuerName, reversed: false);
            bool? chained = null;
            partners = [.. bindings.Where(b => b.Binding.Matches(sha1, sha256, subject, issuer, () => chained ??= Chains(certificate))).Select(b => b.Partner)];
        }

        if (cache.Count > 1024)
        {
            cache.Clear();
        }

        // Until the certificate expires at the latest: a cached "valid" must not outlive the certificate.
        var until = now + CacheLifetime;
        var notAfter = new DateTimeOffset(certificate.NotAfter.ToUniversalTime());
        cache[sha256] = (partners, until < notAfter ? until : notAfter);
        return partners;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var anchor in anchors)
        {
            anchor.Dispose();
        }
    }

    private bool Chains(X509Certificate2 certificate)
    {
        if (anchors.Count == 0)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(anchors);
        chain.ChainPolicy.ExtraStore.AddRange(anchors);
        chain.ChainPolicy.RevocationMode = options.CheckRevocation ? X509RevocationMode.Online : X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = clock.GetUtcNow().UtcDateTime;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid(ClientAuthOid));
        return chain.Build(certificate);
    }

    /// <summary>A certificate without extended key usages may authenticate a client (RFC 5280); one that lists them must list clientAuth.</summary>
    private static bool AllowsClientAuth(X509Certificate2 certificate)
    {
        var eku = certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().FirstOrDefault();
        return eku is null || eku.EnhancedKeyUsages.Cast<Oid>().Any(o => o.Value == ClientAuthOid);
    }

    private static PartnerResolution Refuse(string field, string rule, string message) =>
        new(null, AppError.Field(ErrorKind.Forbidden, field, rule, message));

    private static string Clip(string s) => s.Length <= 128 ? s : s[..128] + "…";

    private sealed record Binding(HashSet<string> Thumbprints, HashSet<string>? Subject, HashSet<string>? Issuer)
    {
        public static Binding From(string partner, PartnerCertificateBinding option, bool haveAnchors)
        {
            var where = $"{PartnerTlsOptions.Section}:Partners:{partner}";
            var thumbprints = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var raw in option.Thumbprints)
            {
                var t = new string([.. (raw ?? "").Where(c => c is not (' ' or ':'))]);
                if (t.Length is not (40 or 64) || !t.All(char.IsAsciiHexDigit))
                {
                    throw new InvalidOperationException($"{where}:Thumbprints: '{raw}' is neither a SHA-1 (40 hex digits) nor a SHA-256 (64 hex digits) thumbprint.");
                }

                thumbprints.Add(t);
            }

            var subject = Name(where + ":Subject", option.Subject);
            var issuer = Name(where + ":Issuer", option.Issuer);
            if (thumbprints.Count == 0 && subject is null && issuer is null)
            {
                throw new InvalidOperationException($"{where}: give Thumbprints, Subject or Issuer.");
            }

            if ((subject is not null || issuer is not null) && !haveAnchors)
            {
                throw new InvalidOperationException($"{where}: a Subject or Issuer binding needs the CA it chains to in {PartnerTlsOptions.Section}:TrustedCaPaths.");
            }

            return new Binding(thumbprints, subject, issuer);
        }

        /// <summary>The attributes of a name, one per line, in encoding order or reversed.</summary>
        public static string Key(X500DistinguishedName name, bool reversed) =>
            string.Join("\n", name.EnumerateRelativeDistinguishedNames(reversed).Select(r => r.HasMultipleElements
                ? Convert.ToHexString(r.RawData.Span)
                : r.GetSingleElementType().Value + "=" + r.GetSingleElementValue()));

        public bool Matches(string sha1, string sha256, string subject, string issuer, Func<bool> chains) =>
            (Thumbprints.Count == 0 || Thumbprints.Contains(sha1) || Thumbprints.Contains(sha256))
            && (Subject is null || Subject.Contains(subject))
            && (Issuer is null || Issuer.Contains(issuer))
            && ((Subject is null && Issuer is null) || chains());

        /// <summary>
        /// A distinguished name as its sequence of attributes (type OID and value), in both orders: <c>CN=…, C=FR</c> as Windows
        /// and .NET print it, <c>C=FR, …, CN=…</c> as OpenSSL does; spacing and quoting in the setting do not matter.
        /// </summary>
        private static HashSet<string>? Name(string where, string? value)
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                return null;
            }

            var text = System.Text.RegularExpressions.Regex.Replace(value.Trim(), @"\s*=\s*", "=");
            try
            {
                var parsed = new X500DistinguishedName(text);
                return new HashSet<string>(StringComparer.OrdinalIgnoreCase) { Key(parsed, reversed: false), Key(parsed, reversed: true) };
            }
            catch (CryptographicException e)
            {
                throw new InvalidOperationException($"{where}: '{value}' is not a distinguished name ({e.Message}).", e);
            }
        }
    }
}
