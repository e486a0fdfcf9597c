using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml;
using System.Xml.Linq;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SanteGateway.Store;
using SanteGateway.Store.Audit;

namespace SanteGateway.Application;

/// <summary>A certificate whose public facts go into a support bundle (its private key never does).</summary>
/// <param name="Name">Configured name (<c>insi-auto</c>, <c>insi-manu</c>).</param>
/// <param name="Path">PKCS#12/PEM/DER file.</param>
/// <param name="Password">PKCS#12 password, when any.</param>
public sealed record SupportCertificate(string Name, string Path, string? Password);

/// <summary>
/// The context a help desk asks for (the GIE SESAM-Vitale service centre for INSi): software, LPS, instance,
/// endpoint and environment. The host fills it from its INSi configuration.
/// </summary>
public sealed class SupportBundleOptions
{
    /// <summary>Software name.</summary>
    public string SoftwareName { get; set; } = "SanteGateway";

    /// <summary>Software version.</summary>
    public string SoftwareVersion { get; set; } = "";

    /// <summary>LPS name sent in the ContexteLPS.</summary>
    public string? LpsName { get; set; }

    /// <summary>IDAM (CNDA authorisation identifier of the LPS).</summary>
    public string? Idam { get; set; }

    /// <summary>Authorisation (homologation) number, when the structure has one besides the IDAM.</summary>
    public string? AuthorisationNumber { get; set; }

    /// <summary>Instance id sent in the ContexteLPS.</summary>
    public string? Instance { get; set; }

    /// <summary>INSi endpoint called.</summary>
    public Uri? Endpoint { get; set; }

    /// <summary>Mode as configured (<c>sandbox</c>, <c>remote</c>).</summary>
    public string? Mode { get; set; }

    /// <summary>Client certificates (their subject, issuer and validity are written; never the key).</summary>
    public IList<SupportCertificate> Certificates { get; } = [];
}

/// <summary>A support bundle: a zip file and the name to give it.</summary>
/// <param name="FileName">Suggested file name.</param>
/// <param name="Content">Zip bytes.</param>
/// <param name="IdentityDataIncluded">Whether identity data was kept in the traces.</param>
public sealed record SupportBundle(string FileName, byte[] Content, bool IdentityDataIncluded);

/// <summary>
/// Builds the support bundle of one INSi exchange: <c>context.json</c> (software, LPS, instance, certificates),
/// <c>environment.json</c> (endpoint, test or production), <c>exchange.json</c> (operation, outcome, fault, timings),
/// <c>request.xml</c> and <c>response.xml</c> (identity data masked unless asked for) and a <c>LISEZMOI.txt</c>.
/// </summary>
public sealed partial class SupportBundleService(GatewayDbContext db, IOptions<SupportBundleOptions> options, TimeProvider time)
{
    /// <summary>What replaces a masked value.</summary>
    public const string Mask = "***";

    /// <summary>Elements of the INSi messages that carry identity data: names, first names, birth date and place, NIR/INS.</summary>
    public static IReadOnlySet<string> IdentityElements { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "NomNaissance", "Nom", "Prenom", "ListePrenom", "DateNaissance", "DateNai", "DateLunaire", "LieuNaissance", "RangNaissance",
        "NumIdentifiant", "Cle", "CLE", "NIR", "Nir", "NIRCertifie", "Matricule", "MatriculeIndividu",
    };

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>Builds the bundle of an exchange.</summary>
    /// <param name="exchangeId">INSi exchange id.</param>
    /// <param name="includeIdentityData">Keep identity data in the traces (explicit choice; masked otherwise).</param>
    /// <param name="actor">Who asks: every bundle is audited (who, which exchange, whether identity data was kept),
    /// since it carries traces out of the gateway.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The bundle, or not-found.</returns>
    public async Task<Result<SupportBundle>> BuildAsync(Guid exchangeId, bool includeIdentityData, Actor actor, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        var exchange = await db.InsiExchanges.AsNoTracking().FirstOrDefaultAsync(e => e.Id == exchangeId, ct).ConfigureAwait(false);
        if (exchange is null)
        {
            return Result<SupportBundle>.Fail(new AppError(ErrorKind.NotFound, "not-found", $"INSi exchange {exchangeId} does not exist."));
        }

        var o = options.Value;
        var context = new
        {
            software = new { name = o.SoftwareName, version = o.SoftwareVersion },
            lps = new { name = o.LpsName, idam = o.Idam, authorisationNumber = o.AuthorisationNumber, instance = o.Instance },
            certificates = o.Certificates.Select(Describe).ToList(),
            generatedAt = time.GetUtcNow(),
        };
        var environment = new { endpoint = o.Endpoint?.ToString(), mode = o.Mode, environment = EnvironmentOf(o) };
        var record = new
        {
            id = exchange.Id,
            operation = exchange.Operation,
            outcome = exchange.Outcome,
            fault = exchange.Detail,
            soapFault = FaultOf(exchange.ResponseXml),
            occurredAt = exchange.OccurredAt,
            durationMs = exchange.DurationMs,
            certificateCn = exchange.CertificateCn,
            identityId = exchange.IdentityId,
            actor = exchange.Actor,
            identityDataMasked = !includeIdentityData,
        };

        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            Add(zip, "LISEZMOI.txt", Readme(exchange.Id, includeIdentityData));
            Add(zip, "context.json", JsonSerializer.Serialize(context, Json));
            Add(zip, "environment.json", JsonSerializer.Serialize(environment, Json));
            Add(zip, "exchange.json", JsonSerializer.Serialize(record, Json));
            if (exchange.RequestXml is not null)
            {
                Add(zip, "request.xml", includeIdentityData ? exchange.RequestXml : MaskIdentity(exchange.RequestXml));
            }

            if (exchange.ResponseXml is not null)
            {
                Add(zip, "response.xml", includeIdentityData ? exchange.ResponseXml : MaskIdentity(exchange.ResponseXml));
            }
        }

        // Audited before the bytes are handed over: a bundle that cannot be audited is not given out. Recorded on the
        // identity when the exchange has one (its audit journal then shows that its traces left the gateway).
        await using (var tx = await db.Database.BeginTransactionAsync(ct).ConfigureAwait(false))
        {
            await AuditTrail.AppendAsync(db, new AuditEntry(actor.Name, actor.Source, "insi.support-bundle",
                exchange.IdentityId is null ? "insi-exchange" : "identity", (exchange.IdentityId ?? exchange.Id).ToString(), null,
                JsonSerializer.Serialize(new { exchangeId = exchange.Id, exchange.Operation, identityDataIncluded = includeIdentityData }, JsonSerializerOptions.Web)), time, ct).ConfigureAwait(false);
            await db.SaveChangesAsync(ct).ConfigureAwait(false);
            await tx.CommitAsync(ct).ConfigureAwait(false);
        }

        return Result<SupportBundle>.Ok(new SupportBundle($"santegw-support-{exchange.Id}.zip", buffer.ToArray(), includeIdentityData));
    }

    /// <summary>
    /// Masks the text of every identity element (<see cref="IdentityElements"/>); the LPS name (<c>Nom</c> under
    /// <c>LPS</c>) is not identity data and is kept. Text that is not well-formed XML is masked by pattern.
    /// </summary>
    /// <param name="xml">A SOAP message.</param>
    /// <returns>The message with identity values replaced by <see cref="Mask"/>.</returns>
    public static string MaskIdentity(string xml)
    {
        ArgumentNullException.ThrowIfNull(xml);
        try
        {
            var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null };
            using var reader = XmlReader.Create(new StringReader(xml), settings);
            var doc = XDocument.Load(reader, LoadOptions.PreserveWhitespace);
            foreach (var e in doc.Descendants().Where(e => IdentityElements.Contains(e.Name.LocalName) && !e.HasElements && !IsLpsName(e)).ToList())
            {
                if (e.Value.Length > 0)
                {
                    e.Value = Mask;
                }
            }

            var text = doc.Declaration is null ? doc.ToString(SaveOptions.DisableFormatting) : doc.Declaration + doc.ToString(SaveOptions.DisableFormatting);
            return text;
        }
        catch (XmlException)
        {
            return Unparsable().Replace(xml, m => m.Groups["name"].Value == "Nom" && m.Groups["prefix"].Value.Contains("lps", StringComparison.OrdinalIgnoreCase)
                ? m.Value
                : $"<{m.Groups["prefix"].Value}{m.Groups["name"].Value}{m.Groups["attrs"].Value}>{Mask}</");
        }
    }

    private static bool IsLpsName(XElement e) => e.Name.LocalName == "Nom" && e.Parent?.Name.LocalName == "LPS";

    [GeneratedRegex(@"<(?<prefix>[\w.-]+:)?(?<name>NomNaissance|Nom|Prenom|ListePrenom|DateNaissance|DateNai|DateLunaire|LieuNaissance|RangNaissance|NumIdentifiant|Cle|CLE|NIR|Nir|NIRCertifie|Matricule|MatriculeIndividu)(?<attrs>\s[^>]*)?>[^<]+</", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex Unparsable();

    private static object Describe(SupportCertificate c)
    {
        try
        {
            var (leaf, others) = CertificateChecker.Load(c.Path, c.Password);
            using (leaf)
            {
                foreach (var other in others)
                {
                    other.Dispose();
                }

                var report = CertificateChecker.Check(leaf, null, new CertificateCheckOptions());
                return new { name = c.Name, subject = report.Subject, issuer = report.Issuer, serialNumber = report.SerialNumber, notBefore = report.NotBefore, notAfter = report.NotAfter, environment = report.Environment };
            }
        }
        catch (Exception ex) when (ex is IOException or CryptographicException or UnauthorizedAccessException)
        {
            return new { name = c.Name, error = $"cannot be read: {ex.Message}" };
        }
    }

    /// <summary>Test or production, from the endpoint's host (ameli.fr hosts starting with <c>qualif</c> are the test platform).</summary>
    private static string EnvironmentOf(SupportBundleOptions o)
    {
        if (string.Equals(o.Mode, "sandbox", StringComparison.OrdinalIgnoreCase) || o.Endpoint is { IsLoopback: true })
        {
            return "test (sandbox SanteGateway)";
        }

        if (o.Endpoint is { } u && u.Host.EndsWith("ameli.fr", StringComparison.OrdinalIgnoreCase))
        {
            return u.Host.StartsWith("qualif", StringComparison.OrdinalIgnoreCase) ? "test (qualification)" : "production";
        }

        return "unknown";
    }

    private static string? FaultOf(string? response)
    {
        if (response is null || !response.Contains("Fault", StringComparison.Ordinal))
        {
            return null;
        }

        try
        {
            var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null };
            using var reader = XmlReader.Create(new StringReader(response), settings);
            var doc = XDocument.Load(reader);
            var fault = doc.Descendants().FirstOrDefault(e => e.Name.LocalName == "Fault");
            if (fault is null)
            {
                return null;
            }

            var parts = fault.Descendants().Where(e => !e.HasElements && e.Value.Length > 0).Select(e => $"{e.Name.LocalName}: {e.Value.Trim()}");
            return string.Join("; ", parts);
        }
        catch (XmlException)
        {
            return null;
        }
    }

    private static string Readme(Guid id, bool identity) => $"""
        Dossier d'assistance SanteGateway — échange INSi {id}
        Support bundle of SanteGateway — INSi exchange {id}

        context.json     : logiciel et version, LPS (nom, IDAM, numéro d'autorisation), instance, certificats (sujet, émetteur, validité ; jamais de clé privée)
        environment.json : point d'accès appelé, environnement (test ou production)
        exchange.json    : opération, résultat, erreur (fault), horodatage et durée
        request.xml      : requête SOAP envoyée
        response.xml     : réponse reçue

        Données d'identité dans les traces : {(identity ? "CONSERVÉES (option explicite) — à transmettre uniquement par un canal sécurisé" : "masquées (" + Mask + ")")}
        Identity data in the traces: {(identity ? "KEPT (explicit option) — send only over a secure channel" : "masked (" + Mask + ")")}

        """;

    private static void Add(ZipArchive zip, string name, string text)
    {
        var entry = zip.CreateEntry(name, CompressionLevel.Optimal);
        using var stream = entry.Open();
        var bytes = new UTF8Encoding(false).GetBytes(text);
        stream.Write(bytes);
    }
}
