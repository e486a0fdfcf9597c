using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SanteGateway.Identity;
using SanteGateway.Insi.Cpx;

namespace SanteGateway.Insi.Tests;

/// <summary>
/// A SoftHSM2 token stands in for the card: the card type is read from the certificate's GIP extension
/// (1.2.250.1.71.1.2.2: 0 CPS, 1 CPF, 2 CDE-CPE, 3 CPA) before anything is signed or sent.
/// </summary>
public class CpxCardTypeTests
{
    /// <summary>A card certificate of the given GIP card type (null: no extension), imported on the token under a label of its own.</summary>
    private static string ImportCard(int? cardType, string psId)
    {
        using var key = RSA.Create(2048);
        var req = new CertificateRequest($"CN={psId}, SN=TEST, G=CARTE, T=Personnel, C=FR", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.NonRepudiation, true));
        if (cardType is { } t)
        {
            req.CertificateExtensions.Add(new X509Extension(PsAssertionBuilder.CardTypeExtensionOid, [0x02, 0x01, (byte)t], false));
        }

        using var self = req.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        var cert = X509CertificateLoader.LoadPkcs12(self.Export(X509ContentType.Pkcs12, "x"), "x", X509KeyStorageFlags.Exportable);
        var label = $"card-{cardType?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}-{Guid.NewGuid().ToString("N")[..8]}";
        SoftHsmToken.Import(cert, label);
        return label;
    }

    private static Pkcs11CardOptions Card(string label) => new()
    {
        ModulePath = SoftHsmToken.Module,
        TokenLabel = SoftHsmToken.Label,
        Pin = SoftHsmToken.Pin,
        KeyLabel = label,
        Attributes = new PsAttributes("991234567", "SA07", "10"),
    };

    private static InsiClientOptions CpxOptions()
    {
        var o = InsiClientTests.Options();
        o.Mode = InsiAuthenticationMode.CpxCard;
        return o;
    }

    [Theory]
    [InlineData(3, "carte CPA")]
    [InlineData(null, "sans type de carte reconnu")]
    public async Task A_non_nominative_card_is_refused_before_any_call_with_a_french_message_naming_the_cards_that_work(int? cardType, string shown)
    {
        var label = ImportCard(cardType, "899700000042");
        var transport = new FakeTransport(_ => FakeTransport.Cr("00"));
        using var provider = new Pkcs11PsAssertionProvider(Card(label));
        using var client = new InsiClient(CpxOptions(), transport, provider);

        var act = () => client.SearchByTraitsAsync(new InsiTraitsQuery("ADRTROIS", ["TOUSSAINT"], Sex.Male, "1960-01-01"), InsiCallContext.Manual, TestContext.Current.CancellationToken);

        var refused = (await act.Should().ThrowAsync<InsiCardException>()).Which;
        refused.Message.Should().Contain("Carte refusée avant tout appel à INSi").And.Contain(shown).And.Contain("non nominative")
            .And.Contain("CPS, CPF, CPE");
        transport.Requests.Should().BeEmpty("the card is checked before anything is sent");
    }

    [Theory]
    [InlineData(0, "CPS")]
    [InlineData(1, "CPF")]
    [InlineData(2, "CDE-CPE")]
    public async Task A_nominative_card_signs_the_assertion_and_the_call_goes_out(int cardType, string nameQualifier)
    {
        var label = ImportCard(cardType, "899700000043");
        var transport = new FakeTransport(_ => FakeTransport.Cr("01"));
        using var provider = new Pkcs11PsAssertionProvider(Card(label));
        using var client = new InsiClient(CpxOptions(), transport, provider);

        await client.SearchByTraitsAsync(new InsiTraitsQuery("ADRTROIS", ["TOUSSAINT"], Sex.Male, "1960-01-01"), InsiCallContext.Manual, TestContext.Current.CancellationToken);

        var sent = System.Text.Encoding.UTF8.GetString(transport.Requests.Single().Body);
        sent.Should().Contain($"NameQualifier=\"{nameQualifier}\"").And.Contain("899700000043");
    }

    [Fact]
    public async Task The_accepted_card_types_are_configurable()
    {
        var label = ImportCard(3, "899700000044");
        var options = Card(label);
        options.AcceptedCardTypes.Add("CPA");
        using var provider = new Pkcs11PsAssertionProvider(options);

        var assertion = await provider.GetAssertionAsync(TestContext.Current.CancellationToken);

        assertion.Xml.Should().Contain("NameQualifier=\"CPA\"");
    }
}
