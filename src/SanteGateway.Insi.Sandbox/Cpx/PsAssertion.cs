using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Security.Cryptography.Xml;
using System.Xml;
using SanteGateway.Insi.Sandbox.Soap;

namespace SanteGateway.Insi.Sandbox.Cpx;

/// <summary>
/// Builds PS assertions the way CPS-card clients do (insi.md §2.2: SAML 2.0, enveloped RSA-SHA256 signature with
/// exclusive C14N placed between <c>Issuer</c> and <c>Subject</c>, signing certificate in <c>KeyInfo</c>), for tests and
/// for demos of the CPx listener with the sandbox <c>CPS.p12</c>.
/// </summary>
public static class SandboxPsAssertion
{
    /// <summary>SAML 2.0 assertion namespace.</summary>
    public const string SamlNamespace = "urn:oasis:names:tc:SAML:2.0:assertion";

    /// <summary>
    /// Creates a signed PS assertion.
    /// </summary>
    /// <param name="signingCertificate">Certificate with an RSA private key (e.g. the sandbox <c>CPS.p12</c>).</param>
    /// <param name="psIdentifier">PS identifier written as <c>Subject/NameID</c>.</param>
    /// <param name="issueInstant">Issue time.</param>
    /// <param name="validity">When given, a <c>Conditions</c> element bounds the assertion to [issueInstant, issueInstant + validity).</param>
    /// <returns>The <c>saml:Assertion</c> element (owned by a fresh document).</returns>
    public static XmlElement Create(X509Certificate2 signingCertificate, string psIdentifier, DateTimeOffset issueInstant, TimeSpan? validity = null)
    {
        ArgumentNullException.ThrowIfNull(signingCertificate);
        var key = signingCertificate.GetRSAPrivateKey() ?? throw new ArgumentException("The certificate has no RSA private key.", nameof(signingCertificate));
        var doc = new XmlDocument { PreserveWhitespace = true, XmlResolver = null };
        var id = "_" + Guid.NewGuid().ToString("D");
        var assertion = doc.CreateElement("Assertion", SamlNamespace);
        assertion.SetAttribute("ID", id);
        assertion.SetAttribute("IssueInstant", Format(issueInstant));
        assertion.SetAttribute("Version", "2.0");
        doc.AppendChild(assertion);

        var issuer = Append(assertion, "Issuer", signingCertificate.Subject);
        issuer.SetAttribute("Format", "urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName");
        var subject = Append(assertion, "Subject", null);
        Append(subject, "NameID", psIdentifier);
        if (validity is { } v)
        {
            var conditions = Append(assertion, "Conditions", null);
            conditions.SetAttribute("NotBefore", Format(issueInstant));
            conditions.SetAttribute("NotOnOrAfter", Format(issueInstant + v));
        }

        var statement = Append(assertion, "AttributeStatement", null);
        AppendAttribute(statement, "identifiantFacturation", "991234567");
        AppendAttribute(statement, "secteurActivite", "SA07");

        var signed = new SignedXml(doc) { SigningKey = key };
        signed.SignedInfo!.CanonicalizationMethod = SignedXml.XmlDsigExcC14NTransformUrl;
        signed.SignedInfo.SignatureMethod = SignedXml.XmlDsigRSASHA256Url;
        var reference = new Reference("#" + id) { DigestMethod = SignedXml.XmlDsigSHA256Url };
        reference.AddTransform(new XmlDsigEnvelopedSignatureTransform());
        reference.AddTransform(new XmlDsigExcC14NTransform());
        signed.AddReference(reference);
        var keyInfo = new KeyInfo();
        keyInfo.AddClause(new KeyInfoX509Data(signingCertificate));
        signed.KeyInfo = keyInfo;
        signed.ComputeSignature();
        assertion.InsertAfter(doc.ImportNode(signed.GetXml(), true), issuer);
        return assertion;
    }

    private static string Format(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static XmlElement Append(XmlElement parent, string name, string? text)
    {
        var e = parent.OwnerDocument.CreateElement(name, SamlNamespace);
        if (text is not null)
        {
            e.InnerText = text;
        }

        parent.AppendChild(e);
        return e;
    }

    private static void AppendAttribute(XmlElement statement, string name, string value)
    {
        var attribute = Append(statement, "Attribute", null);
        attribute.SetAttribute("Name", name);
        Append(attribute, "AttributeValue", value);
    }
}

/// <summary>Checks the PS assertion of a CPx request: signature, signing certificate chain, reference target and time window.</summary>
internal static class PsAssertionValidator
{
    public static SandboxFault? Validate(ReadOnlySpan<byte> request, X509Certificate2Collection anchors, DateTimeOffset now, TimeSpan lifetime, TimeSpan skew, int maxBytes)
    {
        var doc = new XmlDocument { PreserveWhitespace = true, XmlResolver = null };
        using (var stream = new MemoryStream(request.ToArray()))
        using (var reader = XmlReader.Create(stream, InsiRequestParser.Settings(maxBytes)))
        {
            doc.Load(reader);
        }

        var ns = new XmlNamespaceManager(doc.NameTable);
        ns.AddNamespace("soap", InsiNamespaces.Soap12);
        ns.AddNamespace("wsse", InsiNamespaces.WsSecurity);
        ns.AddNamespace("saml", SandboxPsAssertion.SamlNamespace);
        ns.AddNamespace("ds", SignedXml.XmlDsigNamespaceUrl);
        var assertions = doc.SelectNodes("/soap:Envelope/soap:Header/wsse:Security/saml:Assertion", ns);
        if (assertions is null || assertions.Count == 0)
        {
            return SandboxFaults.InvalidAssertion("En-tête wsse:Security avec une saml:Assertion PS obligatoire sur ce point d'accès (mode CPx).");
        }

        var assertion = (XmlElement)assertions[0]!;
        var id = assertion.GetAttribute("ID");
        var signatures = assertion.SelectNodes("ds:Signature", ns);
        if (string.IsNullOrEmpty(id) || signatures is null || signatures.Count != 1)
        {
            return SandboxFaults.InvalidAssertion("L'assertion doit porter un attribut ID et une seule ds:Signature.");
        }

        // Duplicate IDs would let a signature cover another element than the one read (signature wrapping).
        if (doc.SelectNodes($"//*[@ID='{id.Replace("'", string.Empty, StringComparison.Ordinal)}' or @Id='{id.Replace("'", string.Empty, StringComparison.Ordinal)}']")!.Count != 1)
        {
            return SandboxFaults.InvalidAssertion("Identifiant d'assertion en double.");
        }

        var signed = new SignedXml(assertion);
        try
        {
            signed.LoadXml((XmlElement)signatures[0]!);
        }
        catch (CryptographicException)
        {
            return SandboxFaults.InvalidAssertion("Signature illisible.");
        }

        if (signed.SignedInfo?.References.Count != 1 || ((Reference)signed.SignedInfo.References[0]!).Uri != "#" + id)
        {
            return SandboxFaults.InvalidAssertion("La signature doit référencer l'assertion elle-même (une seule Reference URI=\"#ID\").");
        }

        var certNode = signatures[0]!.SelectSingleNode("ds:KeyInfo/ds:X509Data/ds:X509Certificate", ns);
        if (certNode is null)
        {
            return SandboxFaults.InvalidAssertion("KeyInfo/X509Data/X509Certificate absent.");
        }

        X509Certificate2 signer;
        try
        {
            signer = X509CertificateLoader.LoadCertificate(Convert.FromBase64String(certNode.InnerText.Trim()));
        }
        catch (Exception ex) when (ex is FormatException or CryptographicException)
        {
            return SandboxFaults.InvalidAssertion("Certificat de signature illisible.");
        }

        using (signer)
        {
            bool valid;
            try
            {
                valid = signed.CheckSignature(signer, verifySignatureOnly: true);
            }
            catch (CryptographicException)
            {
                valid = false;
            }

            if (!valid)
            {
                return SandboxFaults.InvalidAssertion("Signature de l'assertion invalide.");
            }

            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(anchors);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            chain.ChainPolicy.VerificationTime = now.UtcDateTime;
            if (!chain.Build(signer))
            {
                return SandboxFaults.InvalidAssertion("Le certificat de signature n'est pas émis par une autorité de confiance du bac à sable.");
            }
        }

        if (!TryParseTime(assertion.GetAttribute("IssueInstant"), out var issued))
        {
            return SandboxFaults.InvalidAssertion("IssueInstant absent ou invalide.");
        }

        if (issued > now + skew)
        {
            return SandboxFaults.InvalidAssertion("IssueInstant est dans le futur.");
        }

        var conditions = assertion.SelectSingleNode("saml:Conditions", ns) as XmlElement;
        if (conditions is not null && TryParseTime(conditions.GetAttribute("NotBefore"), out var notBefore) && now + skew < notBefore)
        {
            return SandboxFaults.InvalidAssertion("L'assertion n'est pas encore valide (NotBefore).");
        }

        var expiry = conditions is not null && TryParseTime(conditions.GetAttribute("NotOnOrAfter"), out var notOnOrAfter)
            ? notOnOrAfter
            : issued + lifetime;
        return now - skew >= expiry
            ? SandboxFaults.ExpiredAssertion($"Assertion expirée depuis le {expiry.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)}.")
            : null;
    }

    private static bool TryParseTime(string? value, out DateTimeOffset time)
    {
        time = default;
        if (string.IsNullOrWhiteSpace(value))
        {
            return false;
        }

        try
        {
            time = XmlConvert.ToDateTimeOffset(value.Trim());
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
