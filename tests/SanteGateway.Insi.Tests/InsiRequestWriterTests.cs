using System.Text;
using System.Xml.Linq;
using SanteGateway.Identity;

namespace SanteGateway.Insi.Tests;

public class InsiRequestWriterTests
{
    // Values of the recorded (accepted) requests.
    private static readonly InsiSoftware RecordedSoftware = new("PDP17NF21DD0", "example", "1.0.0", "b3549edd-4ae9-472a-b26f-fd2fb4ef397f");
    private const string RecordedEmitter = "medecin@yopmail.com";

    private static InsiEnvelope Envelope(string? security = null) =>
        InsiEnvelope.Create(RecordedSoftware, RecordedEmitter, null, security);

    [Theory]
    [InlineData("AdrtroisDominique", "ADRTROIS", "DOMINIQUE", Sex.Female, "1997-02-26")]
    [InlineData("AdrtroisToussaint", "ADRTROIS", "TOUSSAINT", Sex.Male, "1960-01-01")]
    [InlineData("DeVinciLeonardo", "DE VINCI", "LEONARDO", Sex.Male, "2014-02-01")]
    [InlineData("PierreAlain", "ECETINSI", "PIERRE-ALAIN", Sex.Male, "2009-07-14")]
    [InlineData("TchitchiCatarina", "TCHITCHI", "CATARINA", Sex.Female, "1936-06-21")]
    [InlineData("TchitchiOla", "TCHITCHI", "OLA", Sex.Female, "1936-06-21")]
    public void A_traits_request_matches_the_recorded_accepted_request_element_by_element(string file, string name, string firstName, Sex sex, string date)
    {
        var written = InsiRequestWriter.SearchByTraitsToBytes(Envelope(), new InsiTraitsQuery(name, [firstName], sex, date));

        var expected = XDocument.Load(InsiFiles.Recorded(file + ".request.xml"));
        var actual = XDocument.Load(new MemoryStream(written));
        XmlEquivalence.Differences(expected.Root!, actual.Root!).Should().BeEmpty();
    }

    [Fact]
    public void Ids_time_and_message_id_have_the_expected_shapes()
    {
        var envelope = new InsiEnvelope(RecordedSoftware, "10B0152872", Guid.Parse("b3549edd-4ae9-472a-b26f-fd2fb4ef397f"), Guid.Parse("1f7425e2-b913-415c-adaa-785ee1076a70"), new DateTimeOffset(2021, 7, 5, 15, 58, 27, 452, TimeSpan.FromHours(2)));

        var doc = XDocument.Load(new MemoryStream(InsiRequestWriter.SearchByTraitsToBytes(envelope, InsiTraitsQuery.FromList("ADRTROIS", "TOUSSAINT", Sex.Male, "1960-01-01"))));

        XNamespace bam = InsiNamespaces.ContexteBam, lps = InsiNamespaces.ContexteLps, wsa = InsiNamespaces.Addressing;
        doc.Descendants(wsa + "MessageID").Single().Value.Should().Be("uuid:b3549edd-4ae9-472a-b26f-fd2fb4ef397f");
        doc.Descendants(bam + "Temps").Single().Value.Should().Be("2021-07-05T13:58:27.452Z");
        doc.Descendants(lps + "Id").Single().Value.Should().Be("1f7425e2-b913-415c-adaa-785ee1076a70");
        doc.Descendants(lps + "Emetteur").Single().Value.Should().Be("10B0152872");
    }

    [Fact]
    public void A_traits_request_with_birth_place_and_several_first_names_validates_against_the_official_schemas()
    {
        var bytes = InsiRequestWriter.SearchByTraitsToBytes(Envelope(), new InsiTraitsQuery("D'ARTAGNAN DE L'HERAULT", ["PIERRE-ALAIN", "JEAN"], Sex.Male, "2001-06-17", "63220"));

        InsiSchemas.ValidateEnvelope(bytes).Should().BeEmpty();
        var doc = XDocument.Load(new MemoryStream(bytes));
        XNamespace rs = InsiNamespaces.RecSans;
        doc.Descendants(rs + "Prenom").Single().Value.Should().Be("PIERRE-ALAIN JEAN");
        doc.Descendants(rs + "LieuNaissance").Single().Value.Should().Be("63220");
    }

    [Theory]
    [InlineData("ADRTROIS", "DOMINIQUE", Sex.Female, "1997-02-26")]
    [InlineData("DE VINCI", "LEONARDO", Sex.Male, "2014-02-01")]
    public void Every_traits_request_validates_against_the_official_schemas(string name, string firstName, Sex sex, string date)
    {
        var bytes = InsiRequestWriter.SearchByTraitsToBytes(Envelope(), new InsiTraitsQuery(name, [firstName], sex, date));

        InsiSchemas.ValidateEnvelope(bytes).Should().BeEmpty();
    }

    [Fact]
    public void The_recorded_requests_themselves_validate_so_the_schema_check_is_meaningful()
    {
        InsiSchemas.ValidateEnvelope(File.ReadAllBytes(InsiFiles.Recorded("PierreAlain.request.xml"))).Should().BeEmpty();
    }

    [Fact]
    public void The_schema_check_catches_a_wrong_element()
    {
        var bytes = InsiRequestWriter.SearchByTraitsToBytes(Envelope(), new InsiTraitsQuery("ADRTROIS", ["TOUSSAINT"], Sex.Male, "1960-01-01"));
        var broken = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(bytes).Replace("ctxbam:Temps", "ctxbam:Time", StringComparison.Ordinal));

        InsiSchemas.ValidateEnvelope(broken).Should().NotBeEmpty();
    }

    [Fact]
    public void A_vitale_request_fills_coverage_and_body_from_the_card_and_validates_against_the_schemas()
    {
        var query = new InsiVitaleQuery(new InsiCardNir("1810163220751", "40"), new InsiCardNir("2900563220123"), "NESSI", "2010-00-35", 2);

        var bytes = InsiRequestWriter.SearchWithVitaleToBytes(Envelope(), query);

        InsiSchemas.ValidateEnvelope(bytes).Should().BeEmpty();
        var doc = XDocument.Load(new MemoryStream(bytes));
        XNamespace bam = InsiNamespaces.ContexteBam, rv = InsiNamespaces.RecVit, wsa = InsiNamespaces.Addressing;
        doc.Descendants(wsa + "Action").Single().Value.Should().Be(InsiActions.SearchWithVitale);
        var cover = doc.Descendants(bam + "COUVERTURE").Single();
        cover.Element(bam + "ASSURE")!.Element(bam + "Id")!.Element(bam + "Num")!.Value.Should().Be("1810163220751");
        cover.Element(bam + "ASSURE")!.Element(bam + "Id")!.Element(bam + "Cle")!.Value.Should().Be("40");
        var beneficiary = cover.Element(bam + "BENEFICIAIRE")!;
        beneficiary.Element(bam + "Nir")!.Element(bam + "Num")!.Value.Should().Be("2900563220123");
        beneficiary.Element(bam + "DateNai")!.Value.Should().Be("2010-00-35");
        beneficiary.Element(bam + "Rang")!.Value.Should().Be("2");
        var body = doc.Descendants(rv + "RECVITALE").Single();
        body.Elements().Select(e => e.Name.LocalName).Should().Equal("MatriculeIndividu", "MatriculeOD", "NomNaissance", "DateNaissance", "RangNaissance");
        body.Element(rv + "MatriculeOD")!.Element(rv + "NumIdentifiant")!.Value.Should().Be("1810163220751");
    }

    [Fact]
    public void A_security_header_carries_the_assertion_verbatim_and_validates()
    {
        const string assertion = """<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_1" IssueInstant="2026-01-01T00:00:00.000Z" Version="2.0"><saml:Issuer>CN=X</saml:Issuer></saml:Assertion>""";

        var bytes = InsiRequestWriter.SearchByTraitsToBytes(Envelope(assertion), new InsiTraitsQuery("ADRTROIS", ["TOUSSAINT"], Sex.Male, "1960-01-01"));

        InsiSchemas.ValidateEnvelope(bytes).Should().BeEmpty();
        Encoding.UTF8.GetString(bytes).Should().Contain(assertion);
    }

    [Fact]
    public void Markup_characters_in_values_are_escaped_not_injected()
    {
        var software = RecordedSoftware with { Name = "a<b>&\"c" };

        var bytes = InsiRequestWriter.SearchByTraitsToBytes(InsiEnvelope.Create(software, "</x>"), new InsiTraitsQuery("ADRTROIS", ["TOUSSAINT"], Sex.Male, "1960-01-01"));

        var doc = XDocument.Load(new MemoryStream(bytes));
        doc.Descendants(XName.Get("Nom", InsiNamespaces.ContexteLps)).Single().Value.Should().Be("urn:lps:a<b>&\"c:1.0.0");
        doc.Descendants(XName.Get("Emetteur", InsiNamespaces.ContexteBam)).Single().Value.Should().Be("</x>");
    }
}
