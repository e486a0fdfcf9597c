using System.Formats.Asn1;
using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Security.Cryptography.Xml;
using System.Xml;

namespace SanteGateway.Insi.Cpx;

/// <summary>Professional attributes of the PS assertion (<c>AttributeStatement</c>).</summary>
/// <param name="BillingId"><c>identifiantFacturation</c>: AM billing number (liberal) or FINESS/SIRET (establishment).</param>
/// <param name="ActivitySector"><c>secteurActivite</c>, e.g. <c>SA07</c>.</param>
/// <param name="AmoSpecialty"><c>codeSpecialiteAMO</c> (physicians only), or null.</param>
public sealed record PsAttributes(string BillingId, string ActivitySector, string? AmoSpecialty = null);

/// <summary>
/// Builds and signs the PS SAML 2.0 assertion of CPx mode (insi.md §2.2): <c>ID="_uuid"</c>, <c>IssueInstant</c>,
/// <c>Issuer</c> (X509SubjectName), enveloped <c>ds:Signature</c> between Issuer and Subject (exclusive C14N,
/// RSA-SHA256, SHA-256 digest, signing certificate in KeyInfo), <c>Subject/NameID</c> qualified by the card type,
/// <c>Conditions</c> bounding the validity, then the attributes. The signature itself is delegated to a callback so
/// that the private key can stay on the card (see <see cref="Pkcs11PsAssertionProvider"/>).
/// </summary>
public static class PsAssertionBuilder
{
    private const string Saml = InsiNamespaces.Saml2;
    private const string Ds = InsiNamespaces.XmlDsig;
    private const string ExcC14n = "http://www.w3.org/2001/10/xml-exc-c14n#";

    /// <summary>OID of the GIP-CPS extension carrying the card type.</summary>
    public const string CardTypeExtensionOid = "1.2.250.1.71.1.2.2";

    /// <summary>Builds the signed assertion.</summary>
    /// <param name="certificate">Card signature certificate (public part only is needed).</param>
    /// <param name="attributes">Professional attributes.</param>
    /// <param name="issueInstant">Issue time.</param>
    /// <param name="validity">Validity written in <c>Conditions</c>.</param>
    /// <param name="signSha256Rsa">Signs the given bytes with RSA PKCS#1 v1.5 over SHA-256 (the callback hashes).</param>
    /// <returns>The serialized <c>Assertion</c> element.</returns>
    public static PsAssertion Build(X509Certificate2 certificate, PsAttributes attributes, DateTimeOffset issueInstant, TimeSpan validity, Func<byte[], byte[]> signSha256Rsa)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(attributes);
        ArgumentNullException.ThrowIfNull(signSha256Rsa);
        var nameId = certificate.GetNameInfo(X509NameType.SimpleName, false);
        var id = "_" + Guid.NewGuid().ToString("D");
        var doc = new XmlDocument { PreserveWhitespace = true, XmlResolver = null };
        var assertion = doc.CreateElement("Assertion", Saml);
        doc.AppendChild(assertion);
        assertion.SetAttribute("ID", id);
        assertion.SetAttribute("IssueInstant", Format(issueInstant));
        assertion.SetAttribute("Version", "2.0");
        var issuer = Append(assertion, "Issuer", Saml, certificate.SubjectName.Format(false));
        issuer.SetAttribute("Format", "urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName");
        var subject = Append(assertion, "Subject", Saml, null);
        var name = Append(subject, "NameID", Saml, nameId);
        name.SetAttribute("NameQualifier", CardType(certificate));
        var conditions = Append(assertion, "Conditions", Saml, null);
        conditions.SetAttribute("NotBefore", Format(issueInstant));
        conditions.SetAttribute("NotOnOrAfter", Format(issueInstant + validity));
        var statement = Append(assertion, "AttributeStatement", Saml, null);
        AppendAttribute(statement, "identifiantFacturation", attributes.BillingId);
        AppendAttribute(statement, "secteurActivite", attributes.ActivitySector);
        if (!string.IsNullOrEmpty(attributes.AmoSpecialty))
        {
            AppendAttribute(statement, "codeSpecialiteAMO", attributes.AmoSpecialty);
        }

        // Digest of the assertion before the signature exists = digest after the enveloped-signature transform.
        var digest = SHA256.HashData(Canonicalize(doc));

        var signature = doc.CreateElement("ds", "Signature", Ds);
        var signedInfo = Append(signature, "SignedInfo", Ds, null);
        Append(signedInfo, "CanonicalizationMethod", Ds, null).SetAttribute("Algorithm", ExcC14n);
        Append(signedInfo, "SignatureMethod", Ds, null).SetAttribute("Algorithm", "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256");
        var reference = Append(signedInfo, "Reference", Ds, null);
        reference.SetAttribute("URI", "#" + id);
        var transforms = Append(reference, "Transforms", Ds, null);
        Append(transforms, "Transform", Ds, null).SetAttribute("Algorithm", "http://www.w3.org/2000/09/xmldsig#enveloped-signature");
        Append(transforms, "Transform", Ds, null).SetAttribute("Algorithm", ExcC14n);
        Append(reference, "DigestMethod", Ds, null).SetAttribute("Algorithm", "http://www.w3.org/2001/04/xmlenc#sha256");
        Append(reference, "DigestValue", Ds, Convert.ToBase64String(digest));
        var signatureValue = Append(signature, "SignatureValue", Ds, null);
        var keyInfo = Append(signature, "KeyInfo", Ds, null);
        Append(Append(keyInfo, "X509Data", Ds, null), "X509Certificate", Ds, Convert.ToBase64String(certificate.RawData));
        assertion.InsertAfter(signature, issuer);

        // SignedInfo is canonicalised on its own: exclusive C14N renders only visibly used namespaces (ds), so the
        // result equals its canonical form in the assertion, which is what verifiers compute.
        var signedInfoDoc = new XmlDocument { PreserveWhitespace = true, XmlResolver = null };
        signedInfoDoc.AppendChild(signedInfoDoc.ImportNode(signedInfo, true));
        signatureValue.InnerText = Convert.ToBase64String(signSha256Rsa(Canonicalize(signedInfoDoc)));

        return new PsAssertion(assertion.OuterXml, nameId, issueInstant, issueInstant + validity);
    }

    /// <summary>Card type from the GIP extension: 0 CPS, 1 CPF, 2 CDE-CPE, 3 CPA; <c>CPX</c> when absent or unknown.</summary>
    public static string CardType(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var ext = certificate.Extensions[CardTypeExtensionOid];
        if (ext is null)
        {
            return "CPX";
        }

        try
        {
            var reader = new AsnReader(ext.RawData, AsnEncodingRules.DER);
            var tag = reader.PeekTag();
            if (tag.HasSameClassAndValue(Asn1Tag.Sequence))
            {
                reader = reader.ReadSequence();
            }

            int value;
            if (reader.PeekTag().HasSameClassAndValue(Asn1Tag.Enumerated))
            {
                var bytes = reader.ReadEnumeratedBytes();
                value = bytes.Length == 1 ? bytes.Span[0] : -1;
            }
            else
            {
                value = reader.TryReadInt32(out var i) ? i : -1;
            }

            return value switch { 0 => "CPS", 1 => "CPF", 2 => "CDE-CPE", 3 => "CPA", _ => "CPX" };
        }
        catch (AsnContentException)
        {
            return "CPX";
        }
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
        var prefix = ns == Ds ? "ds" : null;
        var e = parent.OwnerDocument.CreateElement(prefix, local, ns);
        if (text is not null)
        {
            e.InnerText = text;
        }

        parent.AppendChild(e);
        return e;
    }

    private static void AppendAttribute(XmlElement statement, string name, string value)
    {
        var attribute = Append(statement, "Attribute", Saml, null);
        attribute.SetAttribute("Name", name);
        Append(attribute, "AttributeValue", Saml, value);
    }
}
