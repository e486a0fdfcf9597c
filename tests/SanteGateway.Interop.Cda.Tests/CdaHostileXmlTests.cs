using CsCheck;

namespace SanteGateway.Interop.Cda.Tests;

public sealed class CdaHostileXmlTests
{
    private const string Head = """<ClinicalDocument xmlns="urn:hl7-org:v3">""";

    [Theory]
    [InlineData("""<?xml version="1.0"?><!DOCTYPE ClinicalDocument [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><ClinicalDocument xmlns="urn:hl7-org:v3"><title>&xxe;</title></ClinicalDocument>""")]
    [InlineData("""<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><ClinicalDocument xmlns="urn:hl7-org:v3"><title>&lol3;</title></ClinicalDocument>""")]
    [InlineData("""<?xml version="1.0"?><!DOCTYPE ClinicalDocument SYSTEM "http://example.invalid/cda.dtd"><ClinicalDocument xmlns="urn:hl7-org:v3"/>""")]
    public void A_document_with_a_DTD_entities_or_a_billion_laughs_is_refused_without_expanding_anything(string xml)
    {
        var read = () => CdaHeaderReader.Read(xml);

        read.Should().Throw<CdaFormatException>().WithMessage("*DTD*");
    }

    [Fact]
    public void Deep_nesting_in_the_header_is_refused()
    {
        var deep = string.Concat(Enumerable.Repeat("<x>", 500)) + string.Concat(Enumerable.Repeat("</x>", 500));
        var xml = Head + "<recordTarget>" + deep + "</recordTarget></ClinicalDocument>";

        var read = () => CdaHeaderReader.Read(xml);

        read.Should().Throw<CdaFormatException>().WithMessage("*deeper than 64*");
    }

    [Fact]
    public void An_oversized_header_is_refused()
    {
        var xml = Head + "<title>" + new string('a', 20_000) + "</title></ClinicalDocument>";

        var read = () => CdaHeaderReader.Read(xml, new CdaReadOptions { MaxCharacters = 10_000 });

        read.Should().Throw<CdaFormatException>();
    }

    [Theory]
    [InlineData("")]
    [InlineData("not xml")]
    [InlineData("<ClinicalDocument/>")]
    [InlineData("""<Patient xmlns="http://hl7.org/fhir"/>""")]
    [InlineData("""<ClinicalDocument xmlns="urn:hl7-org:v3"><recordTarget>""")]
    public void Text_that_is_not_a_CDA_document_is_refused_cleanly(string xml)
    {
        var read = () => CdaHeaderReader.Read(xml);

        read.Should().Throw<CdaFormatException>();
    }

    [Fact]
    public void A_header_without_patient_or_metadata_says_what_is_missing()
    {
        var header = CdaHeaderReader.Read(Head + "</ClinicalDocument>");

        header.Document.Should().BeNull();
        header.Refused.Select(r => r.Path).Should().Contain(["ClinicalDocument/id", "ClinicalDocument/code", "ClinicalDocument/effectiveTime/@value", "ClinicalDocument/confidentialityCode"]);
        header.Patient.Refused.Should().ContainSingle().Which.Path.Should().Be("ClinicalDocument/recordTarget/patientRole");
    }

    [Fact]
    public void Random_bytes_never_crash_the_reader()
    {
        Gen.Byte.Array[0, 400].Sample(bytes =>
        {
            try
            {
                CdaHeaderReader.Read(new MemoryStream(bytes));
            }
            catch (CdaFormatException)
            {
            }
        }, iter: 2000);
    }
}
