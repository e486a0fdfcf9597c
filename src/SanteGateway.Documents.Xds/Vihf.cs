using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Security.Cryptography.Xml;
using System.Xml;
using System.Xml.Linq;

namespace SanteGateway.Documents.Xds;

/// <summary>How the author authenticates to the DMP (VIHF <c>Authentification_Mode</c>).</summary>
public enum VihfMode
{
    /// <summary>Indirect: the structure's software certificate (IGC-Santé "cachet") signs the assertion.</summary>
    Indirect,

    /// <summary>Direct: the professional's CPx card signs the assertion (PKCS#11).</summary>
    Direct,
}

/// <summary>
/// The VIHF (Vecteur d'Identification et d'Habilitation Formelles) settings: who sends, from which structure, with which
/// software. Values follow the public CI-SIS mapping of the VIHF; what the DMPi guide keeps private is configurable and
/// listed as UNCONFIRMED in docs/conformance.md.
/// </summary>
public sealed class VihfOptions
{
    /// <summary>Authentication mode.</summary>
    public VihfMode Mode { get; set; } = VihfMode.Indirect;

    /// <summary><c>VIHF_Version</c> (the public CI-SIS mapping gives 4.0; UNCONFIRMED for DMPi).</summary>
    public string Version { get; set; } = "4.0";

    /// <summary><c>Identifiant_Structure</c>: the structure's national id (Struct_IdNat, e.g. <c>3</c> + FINESS).</summary>
    public string StructureId { get; set; } = string.Empty;

    /// <summary><c>Secteur_Activite</c> (JDV_J61), written <c>code^codeSystem</c>, e.g. <c>SA07^1.2.250.1.71.4.2.4</c>.</summary>
    public string ActivitySector { get; set; } = string.Empty;

    /// <summary><c>Subject/NameID</c>: the professional's national id, or the person responsible for an automated process.</summary>
    public string SubjectId { get; set; } = string.Empty;

    /// <summary><c>subject-id</c>: name (and service) of the user, or the software name for an automated process.</summary>
    public string SubjectName { get; set; } = string.Empty;

    /// <summary>First <c>subject:role</c> (JDV_J65): profession code, e.g. <c>10</c> (médecin).</summary>
    public string RoleCode { get; set; } = string.Empty;

    /// <summary>Code system of <see cref="RoleCode"/> (TRE_G15-ProfessionSante <c>1.2.250.1.213.1.1.4.5</c>).</summary>
    public string RoleCodeSystem { get; set; } = "1.2.250.1.213.1.1.4.5";

    /// <summary>Second <c>subject:role</c> (savoir-faire for physicians and pharmacists), or null.</summary>
    public string? SpecialtyCode { get; set; }

    /// <summary>Code system of <see cref="SpecialtyCode"/> (TRE_R01-EnsembleSavoirFaire-CISIS).</summary>
    public string SpecialtyCodeSystem { get; set; } = "1.2.250.1.213.1.1.4.2.91";

    /// <summary><c>purposeofuse</c>: <c>normal</c>.</summary>
    public string PurposeOfUse { get; set; } = "normal";

    /// <summary><c>AuthnContextClassRef</c>, coherent with how the user logged in to the software.</summary>
    public string AuthnContextClassRef { get; set; } = "urn:oasis:names:tc:SAML:2.0:ac:classes:TLSClient";

    /// <summary><c>LPS_Nom</c>.</summary>
    public string SoftwareName { get; set; } = "SanteGateway";

    /// <summary><c>LPS_Version</c>.</summary>
    public string SoftwareVersion { get; set; } = "1.0";

    /// <summary><c>LPS_ID_HOMOLOGATION_DMP</c>: the DMP homologation number of the software.</summary>
    public string HomologationNumber { get; set; } = string.Empty;

    /// <summary>Validity written in <c>Conditions</c>.</summary>
    public TimeSpan Validity { get; set; } = TimeSpan.FromMinutes(10);
}

/// <summary>Standard VIHF attribute names.</summary>
public static class VihfAttributes
{
    /// <summary>Patient (INS as CX).</summary>
    public const string ResourceId = "urn:oasis:names:tc:xacml:2.0:resource:resource-id";

    /// <summary>Role.</summary>
    public const string Role = "urn:oasis:names:tc:xacml:2.0:subject:role";

    /// <summary>Subject name.</summary>
    public const string SubjectId = "urn:oasis:names:tc:xspa:1.0:subject:subject-id";

    /// <summary>Purpose of use.</summary>
    public const string PurposeOfUse = "urn:oasis:names:tc:xspa:1.0:subject:purposeofuse";

    /// <summary>The attributes every VIHF must carry (checked by the sandbox).</summary>
    public static IReadOnlyList<string> Required { get; } =
        ["VIHF_Version", "Identifiant_Structure", "Secteur_Activite", "Authentification_Mode", ResourceId, "Ressource_URN", Role, SubjectId, PurposeOfUse, "LPS_Nom", "LPS_Version", "LPS_ID_HOMOLOGATION_DMP"];
}

/// <summary>
/// Builds and signs the VIHF SAML 2.0 assertion placed in <c>wsse:Security</c>: <c>Issuer</c> (certificate DN),
/// enveloped <c>ds:Signature</c> (exclusive C14N, RSA-SHA256, certificate in KeyInfo), <c>Subject/NameID</c>,
/// <c>Conditions</c>, <c>AuthnStatement</c>, then the attributes. The signature is a callback so that the key may stay on
/// a card (direct mode) or be a software key (indirect mode).
/// </summary>
public static class VihfAssertionBuilder
{
    private const string Saml = XdsNamespaces.Saml2;
    private const string Ds = XdsNamespaces.XmlDsig;
    private const string ExcC14n = "http://www.w3.org/2001/10/xml-exc-c14n#";

    /// <summary>A signer over a software RSA key: RSA PKCS#1 v1.5 over SHA-256 of the given bytes.</summary>
    /// <param name="certificate">Certificate with its private key.</param>
    /// <returns>The signer.</returns>
    public static Func<byte[], byte[]> SoftwareSigner(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var rsa = certificate.GetRSAPrivateKey() ?? throw new ArgumentException("The certificate has no RSA private key.", nameof(certificate));
        return data => rsa.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
    }

    /// <summary>Builds the signed assertion for one request about one patient.</summary>
    /// <param name="options">VIHF settings.</param>
    /// <param name="certificate">Signing certificate (public part).</param>
    /// <param name="patientId">The patient's INS as a CX (<c>resource-id</c>).</param>
    /// <param name="now">Issue time.</param>
    /// <param name="sign">Signs the canonical SignedInfo (RSA-SHA256).</param>
    /// <returns>The <c>saml:Assertion</c> XML.</returns>
    public static string Build(VihfOptions options, X509Certificate2 certificate, string patientId, DateTimeOffset now, Func<byte[], byte[]> sign)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(sign);
        var id = "_" + Guid.NewGuid().ToString("D");
        var doc = new XmlDocument { PreserveWhitespace = true, XmlResolver = null };
        var assertion = doc.CreateElement("saml", "Assertion", Saml);
        doc.AppendChild(assertion);
        assertion.SetAttribute("ID", id);
        assertion.SetAttribute("IssueInstant", Format(now));
        assertion.SetAttribute("Version", "2.0");
        var issuer = Append(assertion, "Issuer", Saml, certificate.SubjectName.Format(false));
        issuer.SetAttribute("Format", "urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName");
        var subject = Append(assertion, "Subject", Saml, null);
        Append(subject, "NameID", Saml, options.SubjectId).SetAttribute("Format", "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified");
        var conditions = Append(assertion, "Conditions", Saml, null);
        conditions.SetAttribute("NotBefore", Format(now - TimeSpan.FromMinutes(1)));
        conditions.SetAttribute("NotOnOrAfter", Format(now + options.Validity));
        var authn = Append(assertion, "AuthnStatement", Saml, null);
        authn.SetAttribute("AuthnInstant", Format(now));
        Append(Append(authn, "AuthnContext", Saml, null), "AuthnContextClassRef", Saml, options.AuthnContextClassRef);
        var statement = Append(assertion, "AttributeStatement", Saml, null);
        Attribute(statement, "VIHF_Version", options.Version);
        Attribute(statement, "Identifiant_Structure", options.StructureId);
        Attribute(statement, "Secteur_Activite", options.ActivitySector);
        Attribute(statement, "Authentification_Mode", options.Mode == VihfMode.Direct ? "DIRECTE" : "INDIRECTE");
        Attribute(statement, VihfAttributes.ResourceId, patientId);
        Attribute(statement, "Ressource_URN", "urn:dmp");
        Attribute(statement, VihfAttributes.SubjectId, options.SubjectName);
        RoleAttribute(statement, options.RoleCode, options.RoleCodeSystem, options.SpecialtyCode, options.SpecialtyCodeSystem);
        CodedAttribute(statement, VihfAttributes.PurposeOfUse, "PurposeOfUse", options.PurposeOfUse, "1.2.250.1.213.1.1.4.248");
        Attribute(statement, "LPS_Nom", options.SoftwareName);
        Attribute(statement, "LPS_Version", options.SoftwareVersion);
        Attribute(statement, "LPS_ID_HOMOLOGATION_DMP", options.HomologationNumber);

        // Canonical forms are computed on parsed documents only: a DOM built in memory has no namespace declaration
        // nodes, and canonicalisation reads those nodes, so it would not give what a verifier computes from the wire.
        var unsigned = Reload(doc.OuterXml);
        var digest = SHA256.HashData(Canonicalize(unsigned));
        var root = unsigned.DocumentElement!;
        var signature = unsigned.CreateElement("ds", "Signature", Ds);
        signature.SetAttribute("xmlns:ds", Ds);
        var signedInfo = Append(signature, "SignedInfo", Ds, null);
        signedInfo.SetAttribute("xmlns:ds", Ds);
        Append(signedInfo, "CanonicalizationMethod", Ds, null).SetAttribute("Algorithm", ExcC14n);
        Append(signedInfo, "SignatureMethod", Ds, null).SetAttribute("Algorithm", "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256");
        var reference = Append(signedInfo, "Reference", Ds, null);
        reference.SetAttribute("URI", "#" + id);
        var transforms = Append(reference, "Transforms", Ds, null);
        Append(transforms, "Transform", Ds, null).SetAttribute("Algorithm", "http://www.w3.org/2000/09/xmldsig#enveloped-signature");
        Append(transforms, "Transform", Ds, null).SetAttribute("Algorithm", ExcC14n);
        Append(reference, "DigestMethod", Ds, null).SetAttribute("Algorithm", "http://www.w3.org/2001/04/xmlenc#sha256");
        Append(reference, "DigestValue", Ds, Convert.ToBase64String(digest));
        Append(signature, "SignatureValue", Ds, string.Empty);
        Append(Append(Append(signature, "KeyInfo", Ds, null), "X509Data", Ds, null), "X509Certificate", Ds, Convert.ToBase64String(certificate.RawData));
        root.InsertAfter(signature, root.FirstChild);

        var signedDoc = Reload(unsigned.OuterXml);
        var parsedSignedInfo = (XmlElement)signedDoc.GetElementsByTagName("SignedInfo", Ds)[0]!;
        var signedInfoDoc = new XmlDocument { PreserveWhitespace = true, XmlResolver = null };
        signedInfoDoc.AppendChild(signedInfoDoc.ImportNode(parsedSignedInfo, true));
        var value = (XmlElement)signedDoc.GetElementsByTagName("SignatureValue", Ds)[0]!;
        value.InnerText = Convert.ToBase64String(sign(Canonicalize(signedInfoDoc)));
        return signedDoc.DocumentElement!.OuterXml;
    }

    private static XmlDocument Reload(string xml)
    {
        var doc = new XmlDocument { PreserveWhitespace = true, XmlResolver = null };
        using var reader = XmlReader.Create(new StringReader(xml), XdsXml.Settings());
        doc.Load(reader);
        return doc;
    }

    private static byte[] Canonicalize(XmlDocument doc)
    {
        var transform = new XmlDsigExcC14NTransform();
        transform.LoadInput(doc);
        using var output = (Stream)transform.GetOutput(typeof(Stream));
        using var ms = new MemoryStream();
        output.CopyTo(ms);
        return ms.ToArray();
    }

    private static string Format(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static XmlElement Append(XmlElement parent, string local, string ns, string? text)
    {
        var e = parent.OwnerDocument.CreateElement(ns == Ds ? "ds" : "saml", local, ns);
        if (text is not null)
        {
            e.InnerText = text;
        }

        parent.AppendChild(e);
        return e;
    }

    private static void Attribute(XmlElement statement, string name, string value)
    {
        var attribute = Append(statement, "Attribute", Saml, null);
        attribute.SetAttribute("Name", name);
        Append(attribute, "AttributeValue", Saml, value);
    }

    private static void RoleAttribute(XmlElement statement, string code, string system, string? specialty, string specialtySystem)
    {
        var attribute = Append(statement, "Attribute", Saml, null);
        attribute.SetAttribute("Name", VihfAttributes.Role);
        AppendCode(attribute, "Role", code, system);
        if (!string.IsNullOrEmpty(specialty))
        {
            AppendCode(attribute, "Role", specialty, specialtySystem);
        }
    }

    private static void CodedAttribute(XmlElement statement, string name, string element, string code, string system)
    {
        var attribute = Append(statement, "Attribute", Saml, null);
        attribute.SetAttribute("Name", name);
        AppendCode(attribute, element, code, system);
    }

    private static void AppendCode(XmlElement attribute, string element, string code, string system)
    {
        var value = Append(attribute, "AttributeValue", Saml, null);
        var doc = attribute.OwnerDocument;
        var ce = doc.CreateElement("hl7", element, XdsNamespaces.Hl7);
        ce.SetAttribute("code", code);
        ce.SetAttribute("codeSystem", system);
        var type = doc.CreateAttribute("xsi", "type", XdsNamespaces.Xsi);
        type.Value = "CE";
        ce.Attributes.Append(type);
        value.AppendChild(ce);
    }
}

/// <summary>What a VIHF check found.</summary>
/// <param name="Valid">Signature valid, certificate trusted, attributes present and in time.</param>
/// <param name="Error">Why not.</param>
/// <param name="Attributes">Attribute values by name (first value; codes as <c>code</c>).</param>
/// <param name="SignerSubject">Subject of the signing certificate.</param>
public sealed record VihfCheck(bool Valid, string? Error, IReadOnlyDictionary<string, string> Attributes, string? SignerSubject);

/// <summary>Checks a VIHF assertion (used by the sandbox, and by tests on what the client sends).</summary>
public static class VihfVerifier
{
    /// <summary>Verifies the signature (with the certificate in KeyInfo), the chain to <paramref name="anchors"/>, the time window and the required attributes.</summary>
    /// <param name="assertion">The <c>saml:Assertion</c> element as received.</param>
    /// <param name="anchors">Trusted CAs.</param>
    /// <param name="now">Now.</param>
    /// <returns>The verdict.</returns>
    public static VihfCheck Verify(XElement assertion, X509Certificate2Collection anchors, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(assertion);
        ArgumentNullException.ThrowIfNull(anchors);
        XNamespace saml = XdsNamespaces.Saml2;
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var a in assertion.Elements(saml + "AttributeStatement").Elements(saml + "Attribute"))
        {
            var name = (string?)a.Attribute("Name");
            var value = a.Element(saml + "AttributeValue");
            if (name is null || value is null)
            {
                continue;
            }

            attributes[name] = value.HasElements ? (string?)value.Elements().First().Attribute("code") ?? string.Empty : value.Value;
        }

        var missing = VihfAttributes.Required.Where(r => !attributes.TryGetValue(r, out var v) || string.IsNullOrWhiteSpace(v)).ToList();
        if (missing.Count > 0)
        {
            return new VihfCheck(false, "VIHF attributes missing: " + string.Join(", ", missing), attributes, null);
        }

        var conditions = assertion.Element(saml + "Conditions");
        if (conditions is not null
            && DateTimeOffset.TryParse((string?)conditions.Attribute("NotOnOrAfter"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var notAfter) && now >= notAfter)
        {
            return new VihfCheck(false, "VIHF expired (NotOnOrAfter).", attributes, null);
        }

        var doc = new XmlDocument { PreserveWhitespace = true, XmlResolver = null };
        using (var reader = assertion.CreateReader())
        {
            doc.Load(reader);
        }

        var signatureElement = doc.GetElementsByTagName("Signature", XdsNamespaces.XmlDsig).OfType<XmlElement>().FirstOrDefault();
        if (signatureElement is null)
        {
            return new VihfCheck(false, "VIHF not signed.", attributes, null);
        }

        var signed = new SignedXml(doc);
        signed.LoadXml(signatureElement);
        var certificate = signed.KeyInfo.OfType<KeyInfoX509Data>().SelectMany(d => d.Certificates?.Cast<X509Certificate2>() ?? []).FirstOrDefault();
        if (certificate is null)
        {
            return new VihfCheck(false, "VIHF signature without a certificate.", attributes, null);
        }

        var references = signed.SignedInfo?.References.OfType<Reference>().ToList() ?? [];
        var id = doc.DocumentElement?.GetAttribute("ID");
        if (references.Count != 1 || references[0].Uri != "#" + id)
        {
            return new VihfCheck(false, "VIHF signature does not cover the assertion.", attributes, certificate.Subject);
        }

        if (!signed.CheckSignature(certificate, verifySignatureOnly: true))
        {
            return new VihfCheck(false, "VIHF signature invalid.", attributes, certificate.Subject);
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(anchors);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (!chain.Build(certificate))
        {
            return new VihfCheck(false, "VIHF signing certificate not issued by a trusted CA.", attributes, certificate.Subject);
        }

        return new VihfCheck(true, null, attributes, certificate.Subject);
    }
}
