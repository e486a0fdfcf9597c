using System.Xml.Linq;
using Net.Pkcs11Interop.Common;
using SanteGateway.Documents.Xds;
using SanteGateway.Insi.Sandbox.Pki;

namespace SanteGateway.Documents.Tests;

/// <summary>Direct VIHF mode: the VIHF signed on a CPS card through PKCS#11 (SoftHSM2 token), accepted by the registry.</summary>
public sealed class DirectVihfTests(SandboxFixture fx) : IClassFixture<SandboxFixture>
{
    private const string Patient = "279035121518989^^^&1.2.250.1.213.1.4.10&ISO^NH";

    private Pkcs11VihfCardOptions Card(string pin = SoftHsmCard.Pin)
    {
        if (!SoftHsmCard.Available)
        {
            Assert.Skip("softhsm2 and opensc are not installed (.ci/run installs them).");
        }

        using var cps = fx.Load(TestPki.CpsP12File);
        SoftHsmCard.Ensure(cps);
        return new Pkcs11VihfCardOptions { ModulePath = SoftHsmCard.Module, TokenLabel = SoftHsmCard.Label, Pin = pin, KeyLabel = SoftHsmCard.KeyLabel };
    }

    [Fact]
    public void The_VIHF_signed_on_the_card_verifies_with_the_card_certificate_and_says_DIRECTE()
    {
        using var card = new Pkcs11VihfSigner(Card());
        using var cps = fx.Load(TestPki.CpsP12File);
        using var ca = TestPki.LoadCa(fx.PkiDirectory);
        var options = SandboxFixture.Vihf();
        options.Mode = VihfMode.Direct;

        var xml = VihfAssertionBuilder.Build(options, card.Certificate, Patient, DateTimeOffset.UtcNow, card.Sign);
        var check = VihfVerifier.Verify(XElement.Parse(xml, LoadOptions.PreserveWhitespace), [ca], DateTimeOffset.UtcNow);

        card.Certificate.Thumbprint.Should().Be(cps.Thumbprint);
        check.Valid.Should().BeTrue(check.Error);
        check.SignerSubject.Should().Be(cps.Subject);
        check.Attributes["Authentification_Mode"].Should().Be("DIRECTE");
    }

    [Fact]
    public async Task A_document_sent_in_direct_mode_is_accepted_by_the_registry_with_the_card_signed_VIHF()
    {
        var options = fx.ClientOptions();
        options.Card = Card();
        using var client = XdsClient.FromOptions(options);
        var request = XdsClientTests.Request(XdsClientTests.Cda());

        var response = await client.ProvideAndRegisterAsync(request, TestContext.Current.CancellationToken);

        response.IsSuccess.Should().BeTrue(string.Join("; ", response.Errors.Select(e => e.ErrorCode + " " + e.CodeContext)));
        options.Vihf.Mode.Should().Be(VihfMode.Direct);
        fx.Store.Find(request.Entry.UniqueId).Should().NotBeNull();
    }

    [Fact]
    public void A_wrong_PIN_is_refused_by_the_card_before_anything_is_signed()
    {
        var act = () => new Pkcs11VihfSigner(Card(pin: "0000"));

        act.Should().Throw<Pkcs11Exception>().Which.RV.Should().Be(CKR.CKR_PIN_INCORRECT);
    }
}
