using System.Security.Cryptography.X509Certificates;
using System.Security.Cryptography.Xml;
using System.Text;
using System.Xml;
using Microsoft.Extensions.Time.Testing;
using SanteGateway.Identity;
using SanteGateway.Insi.Cpx;
using SanteGateway.Insi.Sandbox;
using SanteGateway.Insi.Sandbox.Pki;

namespace SanteGateway.Insi.Tests;

public class CpxTests
{
    private const string PsId = "899700870589";
    private static readonly PsAttributes Attributes = new("991234567", "SA07", "10");

    private static Pkcs11CardOptions CardOptions(string keyLabel = SoftHsmToken.KeyLabel) => new()
    {
        ModulePath = SoftHsmToken.Module,
        TokenLabel = SoftHsmToken.Label,
        Pin = SoftHsmToken.Pin,
        KeyLabel = keyLabel,
        Attributes = Attributes,
        Validity = TimeSpan.FromMinutes(20),
        RenewBefore = TimeSpan.FromMinutes(2),
    };

    private static readonly Lazy<X509Certificate2> Card = new(() =>
    {
        var cert = SoftHsmToken.CreateCpsCertificate(PsId);
        SoftHsmToken.Import(cert, SoftHsmToken.KeyLabel);
        return cert;
    });

    private static XmlDocument Load(string xml)
    {
        var doc = new XmlDocument { PreserveWhitespace = true, XmlResolver = null };
        doc.LoadXml(xml);
        return doc;
    }

    [Fact]
    public async Task An_assertion_signed_on_the_pkcs11_token_verifies_with_signed_xml_against_the_card_certificate()
    {
        var card = Card.Value;
        using var provider = new Pkcs11PsAssertionProvider(CardOptions());

        var assertion = await provider.GetAssertionAsync(TestContext.Current.CancellationToken);

        var doc = Load(assertion.Xml);
        var signed = new SignedXml(doc);
        signed.LoadXml((XmlElement)doc.GetElementsByTagName("Signature", InsiNamespaces.XmlDsig)[0]!);
        signed.CheckSignature(card, verifySignatureOnly: true).Should().BeTrue();
        signed.SignatureMethod.Should().Be("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256");
        signed.SignedInfo!.CanonicalizationMethod.Should().Be("http://www.w3.org/2001/10/xml-exc-c14n#");
        var reference = (Reference)signed.SignedInfo.References[0]!;
        reference.Uri.Should().Be("#" + doc.DocumentElement!.GetAttribute("ID"));
        reference.DigestMethod.Should().Be("http://www.w3.org/2001/04/xmlenc#sha256");
        doc.DocumentElement.GetAttribute("ID").Should().MatchRegex("^_[0-9a-f-]{36}$");
    }

    [Fact]
    public async Task A_tampered_assertion_no_longer_verifies()
    {
        var card = Card.Value;
        using var provider = new Pkcs11PsAssertionProvider(CardOptions());
        var assertion = await provider.GetAssertionAsync(TestContext.Current.CancellationToken);

        var doc = Load(assertion.Xml.Replace("991234567", "991234568", StringComparison.Ordinal));
        var signed = new SignedXml(doc);
        signed.LoadXml((XmlElement)doc.GetElementsByTagName("Signature", InsiNamespaces.XmlDsig)[0]!);

        signed.CheckSignature(card, verifySignatureOnly: true).Should().BeFalse();
    }

    [Fact]
    public async Task The_assertion_has_the_insi_structure_and_validates_in_a_security_header()
    {
        _ = Card.Value;
        using var provider = new Pkcs11PsAssertionProvider(CardOptions());

        var assertion = await provider.GetAssertionAsync(TestContext.Current.CancellationToken);

        var root = Load(assertion.Xml).DocumentElement!;
        root.NamespaceURI.Should().Be(InsiNamespaces.Saml2);
        root.ChildNodes.OfType<XmlElement>().Select(e => e.LocalName).Should().Equal("Issuer", "Signature", "Subject", "Conditions", "AttributeStatement");
        root["Issuer", InsiNamespaces.Saml2]!.GetAttribute("Format").Should().Be("urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName");
        var nameId = root["Subject", InsiNamespaces.Saml2]!["NameID", InsiNamespaces.Saml2]!;
        nameId.InnerText.Should().Be(PsId);
        nameId.GetAttribute("NameQualifier").Should().Be("CPS");
        root.GetElementsByTagName("Attribute", InsiNamespaces.Saml2).OfType<XmlElement>().Select(a => a.GetAttribute("Name"))
            .Should().Equal("identifiantFacturation", "secteurActivite", "codeSpecialiteAMO");
        assertion.NameId.Should().Be(PsId);

        var request = InsiRequestWriter.SearchByTraitsToBytes(InsiEnvelope.Create(new InsiSoftware("X", "n", "1", "i"), PsId, null, assertion.Xml), new InsiTraitsQuery("ADRTROIS", ["TOUSSAINT"], Sex.Male, "1960-01-01"));
        InsiSchemas.ValidateEnvelope(request).Should().BeEmpty();
    }

    [Fact]
    public async Task The_assertion_is_cached_and_regenerated_shortly_before_it_expires()
    {
        _ = Card.Value;
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var provider = new Pkcs11PsAssertionProvider(CardOptions(), time);
        var ct = TestContext.Current.CancellationToken;

        var first = await provider.GetAssertionAsync(ct);
        time.Advance(TimeSpan.FromMinutes(17));
        var cached = await provider.GetAssertionAsync(ct);
        time.Advance(TimeSpan.FromMinutes(2));
        var renewed = await provider.GetAssertionAsync(ct);

        cached.Should().BeSameAs(first);
        renewed.Should().NotBeSameAs(first);
        renewed.IssueInstant.Should().Be(time.GetUtcNow());
        renewed.ExpiresAt.Should().Be(time.GetUtcNow() + TimeSpan.FromMinutes(20));
    }

    [Fact]
    public void A_certificate_without_the_gip_extension_gives_the_generic_cpx_card_type()
    {
        using var rsa = System.Security.Cryptography.RSA.Create(2048);
        using var cert = new CertificateRequest("CN=1", rsa, System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1)
            .CreateSelfSigned(DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(1));

        PsAssertionBuilder.CardType(cert).Should().Be("CPX");
        PsAssertionBuilder.CardType(Card.Value).Should().Be("CPS");
    }

    [Fact]
    public async Task A_cpx_call_with_the_card_signed_assertion_is_answered_by_the_sandbox_cpx_listener()
    {
        var pkiDir = Path.Combine(Path.GetTempPath(), "insi-cpx-" + Guid.NewGuid().ToString("N"));
        TestPki.Create(pkiDir, SandboxFixture.Password, force: true);
        using var sandboxCps = TestPki.LoadP12(pkiDir, TestPki.CpsP12File, SandboxFixture.Password);
        var cps = X509CertificateLoader.LoadPkcs12(sandboxCps.Export(X509ContentType.Pkcs12, "x"), "x", X509KeyStorageFlags.Exportable);
        var label = "sandbox-cps-" + Guid.NewGuid().ToString("N")[..8];
        SoftHsmToken.Import(cps, label);
        await using var server = await InsiSandboxServer.StartAsync(new InsiSandboxOptions { PkiDirectory = pkiDir, Password = SandboxFixture.Password, CpxPort = 0 }, TestContext.Current.CancellationToken);
        var options = new InsiClientOptions
        {
            Endpoint = server.CpxEndpoint!,
            Mode = InsiAuthenticationMode.CpxCard,
            Idam = InsiSandboxOptions.DefaultIdam,
            Instance = "5a0e4a9e-2f6b-4d43-9a53-0c1d2e3f4a5b",
        };
        options.TrustedCaPaths.Add(Path.Combine(pkiDir, TestPki.CaPemFile));
        var card = CardOptions(label);
        // The sandbox PKI's CPS.p12 is a nominative CPS (GIP card-type extension 0): accepted with the default card types.
        PsAssertionBuilder.CardType(cps).Should().Be("CPS");
        using var provider = new Pkcs11PsAssertionProvider(card);
        var traces = new ListTraceSink();
        using var client = InsiClient.Create(options, traces, assertions: provider);

        var r = await client.SearchByTraitsAsync(new InsiTraitsQuery("ADRTROIS", ["TOUSSAINT"], Sex.Male, "1960-01-01"), InsiCallContext.Manual, TestContext.Current.CancellationToken);

        r.Code.Should().Be("00");
        var sent = Encoding.UTF8.GetString(traces.Traces.Single().RequestXml.Span);
        sent.Should().Contain("<wsse:Security").And.Contain(TestPki.PsIdentifier);
        traces.Traces.Single().CertificateCn.Should().Be(TestPki.PsIdentifier);
        Directory.Delete(pkiDir, true);
    }
}
