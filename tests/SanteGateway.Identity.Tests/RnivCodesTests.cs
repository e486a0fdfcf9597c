using SanteGateway.Identity;

namespace SanteGateway.Identity.Tests;

public class RnivCodesTests
{
    [Theory]
    [InlineData(IdentityStatus.Prov, "PROV")]
    [InlineData(IdentityStatus.Recup, "RECUP")]
    [InlineData(IdentityStatus.Vali, "VALI")]
    [InlineData(IdentityStatus.Qual, "QUAL")]
    public void Each_status_has_its_rniv_code_and_reads_back(IdentityStatus status, string code)
    {
        RnivCodes.ToCode(status).Should().Be(code);
        RnivCodes.TryParseStatus(code, out var back).Should().BeTrue();
        back.Should().Be(status);
    }

    [Fact]
    public void Unknown_status_codes_are_refused()
    {
        RnivCodes.TryParseStatus("VIDE", out _).Should().BeFalse();
        RnivCodes.TryParseStatus("qual", out _).Should().BeFalse();
    }

    [Fact]
    public void Attributes_are_written_as_homa_dout_fict_and_the_legacy_ficti_is_read()
    {
        RnivCodes.ToCodes(IdentityAttributes.Doubtful | IdentityAttributes.Homonym).Should().Equal("HOMA", "DOUT");
        RnivCodes.ToCodes(IdentityAttributes.None).Should().BeEmpty();
        RnivCodes.TryParseAttribute("FICTI", out var f).Should().BeTrue();
        f.Should().Be(IdentityAttributes.Fictitious);
        RnivCodes.TryParseAttribute("HOMD", out _).Should().BeFalse();
    }
}
