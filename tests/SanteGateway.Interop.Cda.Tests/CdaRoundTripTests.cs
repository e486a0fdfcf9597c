using System.Xml.Linq;
using CsCheck;
using SanteGateway.Identity;
using SanteGateway.Interop.Testing;
using SanteGateway.Testing;

namespace SanteGateway.Interop.Cda.Tests;

public sealed class CdaRoundTripTests
{
    private static readonly XNamespace V3 = "urn:hl7-org:v3";
    private static readonly CdaReadOptions AllowTest = new() { InsPolicy = InsPolicy.AllowTestAndDemo };
    private static readonly Lazy<CdaSchemaValidator> Schema = new(() => new CdaSchemaValidator(CdaSchemaValidator.SharedSchema(TestPaths.Shared)));

    public static IEnumerable<TheoryDataRow<string>> Labels => TestIdentities.Labels;

    internal static CdaDocumentMetadata Metadata => new()
    {
        Id = new CdaId("1.2.250.1.999.1.1", "DOC-1"),
        Code = new CdaCode("11488-4", "2.16.840.1.113883.6.1", "Note de consultation"),
        Title = "Note de consultation",
        EffectiveTime = "20251201101500+0100",
        Confidentiality = new CdaCode("N", "2.16.840.1.113883.5.25", "Normal"),
        LanguageCode = "fr-FR",
        SetId = new CdaId("1.2.250.1.999.1.2", "SET-1"),
        VersionNumber = 2,
        Authors = [new CdaAuthor("20251201101500+0100", new CdaId("1.2.250.1.71.4.2.1", "810000000001"), "MULLER", "Charles", new CdaId("1.2.250.1.71.4.2.2", "2801234567"), "Centre de santé")],
        Custodian = new CdaId("1.2.250.1.71.4.2.2", "2801234567"),
        CustodianName = "Centre de santé",
    };

    internal static XElement Body => new(V3 + "component",
        new XElement(V3 + "nonXMLBody", new XElement(V3 + "text", new XAttribute("mediaType", "text/plain"), new XAttribute("representation", "B64"), "U2FudGVHYXRld2F5")));

    private static string Write(RnivIdentity identity, IReadOnlyList<CdaId>? locals = null) =>
        CdaHeaderWriter.Document(Metadata, new CdaPatientSource(identity) { LocalIds = locals ?? [] }, Body).ToString();

    [Theory]
    [MemberData(nameof(Labels))]
    public void A_qualified_test_identity_comes_back_unchanged_through_the_CDA_header(string label)
    {
        var identity = TestIdentities.At(TestIdentities.Get(label), IdentityStatus.Qual, usedName: "MARTIN", usedFirstName: "JO");
        var ipp = new CdaId("1.2.250.1.71.4.2.7", "000003");

        var header = CdaHeaderReader.Read(Write(identity, [ipp]), AllowTest);

        header.Patient.Refused.Should().BeEmpty();
        header.Patient.Traits.Should().Be(identity.Traits);
        header.Patient.Ins.Should().Be(identity.Ins);
        header.Patient.LocalIds.Should().Equal(ipp);
    }

    [Theory]
    [MemberData(nameof(Labels))]
    public void A_non_qualified_identity_is_written_without_its_INS(string label)
    {
        foreach (var status in new[] { IdentityStatus.Prov, IdentityStatus.Recup, IdentityStatus.Vali })
        {
            var identity = TestIdentities.At(TestIdentities.Get(label), status);
            var xml = Write(identity);

            xml.Should().NotContain("1.2.250.1.213.1.4.");
            var header = CdaHeaderReader.Read(xml, AllowTest);
            header.Patient.Ins.Should().BeNull();
            header.Patient.Traits.Should().Be(identity.Traits);
        }
    }

    [Fact]
    public void The_document_metadata_comes_back_unchanged()
    {
        var header = CdaHeaderReader.Read(Write(TestIdentities.At(TestIdentities.All[0], IdentityStatus.Qual)));

        header.Document.Should().BeEquivalentTo(Metadata);
    }

    [Theory]
    [InlineData("1980", "1980")]
    [InlineData("1980-05", "198005")]
    [InlineData("1980-05-00", "198005")]
    [InlineData("1980-05-14", "19800514")]
    public void Partial_birth_dates_are_written_partial_and_read_back_with_their_marker(string iso, string birthTime)
    {
        BirthDate.TryParseIso(iso, out var date).Should().BeTrue();
        var traits = IdentityTraits.Create("DUPONT", ["JEAN"], "JEAN", Sex.Male, date, "2A004").Value!;

        var xml = Write(RnivIdentity.CreateProvisional(traits));

        xml.Should().Contain($"<birthTime value=\"{birthTime}\" />");
        CdaHeaderReader.Read(xml).Patient.Traits!.BirthDate.Should().Be(date);
    }

    [Fact]
    public void A_person_born_abroad_has_the_country_code_in_country()
    {
        var traits = IdentityTraits.Create("SMITH", ["JOHN"], "JOHN", Sex.Male, new BirthDate(new DateOnly(1970, 1, 2), false), "99132").Value!;

        var xml = Write(RnivIdentity.CreateProvisional(traits));

        xml.Should().Contain("<country>99132</country>");
        CdaHeaderReader.Read(xml).Patient.Traits!.BirthPlaceCog.Should().Be("99132");
    }

    [Theory]
    [MemberData(nameof(Labels))]
    public void Every_document_we_write_is_valid_against_the_CI_SIS_CDA_schema(string label)
    {
        foreach (var status in Enum.GetValues<IdentityStatus>())
        {
            var xml = Write(TestIdentities.At(TestIdentities.Get(label), status, usedName: "MARTIN", usedFirstName: "JO"), [new CdaId("1.2.250.1.71.4.2.7", "000003")]);

            Schema.Value.Validate(xml).Should().BeEmpty();
        }
    }

    [Fact]
    public void The_schema_validator_catches_an_invalid_document()
    {
        var xml = Write(TestIdentities.At(TestIdentities.All[0], IdentityStatus.Qual)).Replace("<custodian>", "<custodianX>", StringComparison.Ordinal).Replace("</custodian>", "</custodianX>", StringComparison.Ordinal);

        Schema.Value.Validate(xml).Should().NotBeEmpty();
    }

    [Fact]
    public void The_official_examples_are_valid_against_the_schema()
    {
        var dir = TestPaths.SharedFile("data", "cda", "TestContenuCDA-3-0", "ExemplesCDA");
        foreach (var file in Directory.EnumerateFiles(dir, "*.xml"))
        {
            Schema.Value.Validate(File.ReadAllText(file)).Where(m => m.StartsWith("error", StringComparison.Ordinal)).Should().BeEmpty(Path.GetFileName(file));
        }
    }

    private static readonly Gen<string> NamePart = Gen.Char["ABCDEFGHIJKLMNOPQRSTUVWXYZÉÈÏ"].Array[1, 10].Select(c => new string(c));

    private static readonly Gen<string> IsoDate =
        Gen.Select(Gen.Int[1900, 2025], Gen.Int[0, 12], Gen.Int[0, 28], (y, m, d) => m == 0 ? $"{y:0000}" : d == 0 ? $"{y:0000}-{m:00}" : $"{y:0000}-{m:00}-{d:00}");

    [Fact]
    public void Any_valid_identity_comes_back_unchanged_and_never_carries_an_INS_unless_qualified()
    {
        var gen = Gen.Select(NamePart, NamePart.Array[1, 4], Gen.Int[0, 2], IsoDate, Gen.Int[1, 95], Gen.Int[0, 999], Gen.Select(NamePart.Null(), NamePart.Null()), Gen.Enum<IdentityStatus>());
        gen.Sample(t =>
        {
            var (birthName, firstNames, sex, iso, dep, commune, used, status) = t;
            BirthDate.TryParseIso(iso, out var date).Should().BeTrue();
            var traits = IdentityTraits.Create(birthName, firstNames, firstNames[0], (Sex)sex, date, $"{dep:00}{commune:000}", used.Item1, used.Item2).Value!;
            var withIns = status is IdentityStatus.Recup or IdentityStatus.Qual;
            var identity = RnivIdentity.Restore(traits, status, IdentityAttributes.None, withIns ? TestIdentities.Ins("279035121518989", InsOids.Test) : null, [],
                status is IdentityStatus.Vali or IdentityStatus.Qual ? new Evidence("CN", new DateOnly(2024, 1, 1), null) : null, CollectionChannel.SM, null).Value!;

            var p = CdaHeaderReader.Read(Write(identity), AllowTest).Patient;

            p.Traits.Should().Be(identity.Traits);
            p.Ins.Should().Be(identity.TransmittableIns);
        }, iter: 500);
    }
}
