using System.Text;
using System.Xml.Linq;
using CsCheck;
using SanteGateway.Identity;

namespace SanteGateway.Insi.Tests;

public class InsiPropertyTests
{
    private static readonly byte[][] Files = InsiFiles.AllResponseFiles().Select(File.ReadAllBytes).ToArray();

    /// <summary>Reading either succeeds or raises the documented <see cref="InsiProtocolException"/>.</summary>
    private static void ReadsOrRefuses(byte[] bytes)
    {
        try
        {
            var r = InsiResponseReader.Read(bytes);
            (r.Result is null).Should().NotBe(r.Fault is null);
        }
        catch (InsiProtocolException)
        {
        }
    }

    [Fact]
    public void Random_text_never_raises_anything_but_the_protocol_error()
    {
        Gen.String.Sample(s => ReadsOrRefuses(Encoding.UTF8.GetBytes(s)), iter: 3000);
    }

    [Fact]
    public void Random_bytes_never_raise_anything_but_the_protocol_error()
    {
        Gen.Byte.Array[0, 600].Sample(ReadsOrRefuses, iter: 3000);
    }

    [Fact]
    public void Mutated_recorded_responses_never_raise_anything_but_the_protocol_error()
    {
        var gen = Gen.Select(Gen.Int[0, Files.Length - 1], Gen.Int[0, 4], Gen.Int[0, 100_000], Gen.Int[1, 40], Gen.Byte);
        gen.Sample(t =>
        {
            var (file, op, at, len, b) = t;
            var src = Files[file];
            var pos = at % src.Length;
            var bytes = op switch
            {
                0 => src[..pos].Concat(src[Math.Min(src.Length, pos + len)..]).ToArray(), // delete a range
                1 => src[..pos].Concat(new[] { b }).Concat(src[pos..]).ToArray(),          // insert a byte
                2 => src.Select((x, i) => i == pos ? b : x).ToArray(),                    // replace a byte
                3 => src[..pos],                                                          // truncate
                _ => src[..pos].Concat(src[pos..Math.Min(src.Length, pos + len)]).Concat(src[pos..]).ToArray(), // duplicate a chunk
            };
            ReadsOrRefuses(bytes);
        }, iter: 5000);
    }

    [Fact]
    public void Random_trees_of_insi_element_names_never_raise_anything_but_the_protocol_error()
    {
        string[] names = ["Envelope", "Body", "Header", "RESULTAT", "CR", "CodeCR", "LibelleCR", "INDIVIDU", "INSACTIF", "INSHISTO", "TIQ", "IdIndividu", "NumIdentifiant", "Cle", "OID", "DateDeb", "DateFin", "Fault", "Code", "Value", "Subcode", "Reason", "Text", "Detail", "Erreur"];
        string[] namespaces = [InsiNamespaces.Soap12, InsiNamespaces.Resultat, InsiNamespaces.Siram, string.Empty];
        var leaf = Gen.Select(Gen.Int[0, names.Length - 1], Gen.Int[0, namespaces.Length - 1], Gen.String[0, 15])
            .Select(t => new XElement(XName.Get(names[t.Item1], namespaces[t.Item2]), t.Item3));
        var level1 = Gen.Select(Gen.Int[0, names.Length - 1], Gen.Int[0, namespaces.Length - 1], leaf.Array[0, 5])
            .Select(t => new XElement(XName.Get(names[t.Item1], namespaces[t.Item2]), t.Item3));
        var level2 = Gen.Select(Gen.Int[0, names.Length - 1], Gen.Int[0, namespaces.Length - 1], level1.Array[0, 4])
            .Select(t => new XElement(XName.Get(names[t.Item1], namespaces[t.Item2]), t.Item3));
        var envelope = level2.Array[0, 3].Select(children =>
            new XElement(XName.Get("Envelope", InsiNamespaces.Soap12), new XElement(XName.Get("Body", InsiNamespaces.Soap12), children)));
        envelope.Sample(e => ReadsOrRefuses(Encoding.UTF8.GetBytes(e.ToString(SaveOptions.DisableFormatting))), iter: 3000);
    }

    [Fact]
    public void Every_valid_query_is_written_as_a_schema_valid_request_that_carries_the_traits_unchanged()
    {
        var word = Gen.Char['A', 'Z'].Array[1, 10].Select(c => new string(c));
        var gen = Gen.Select(word.Array[1, 3], word.Array[1, 4], Gen.Bool, Gen.Date, Gen.Int[1000, 99999].Select(i => i.ToString("00000")).Null());
        gen.Sample(t =>
        {
            var (nameParts, firstNames, female, date, place) = t;
            var query = new InsiTraitsQuery(string.Join(' ', nameParts), firstNames, female ? Sex.Female : Sex.Male, DateOnly.FromDateTime(date).ToString("yyyy-MM-dd"), place);
            InsiQueryValidator.Validate(query).Should().BeEmpty();

            var bytes = InsiRequestWriter.SearchByTraitsToBytes(InsiEnvelope.Create(new InsiSoftware("X", "n", "1", "i"), "E"), query);

            InsiSchemas.ValidateEnvelope(bytes).Should().BeEmpty();
            var doc = XDocument.Load(new MemoryStream(bytes));
            doc.Descendants(XName.Get("NomNaissance", InsiNamespaces.RecSans)).Single().Value.Should().Be(query.BirthName);
            doc.Descendants(XName.Get("Prenom", InsiNamespaces.RecSans)).Single().Value.Should().Be(query.FirstNamesJoined);
            doc.Descendants(XName.Get("LieuNaissance", InsiNamespaces.RecSans)).SingleOrDefault()?.Value.Should().Be(place);
        }, iter: 300);
    }

    [Fact]
    public void The_validator_never_throws_on_arbitrary_traits()
    {
        Gen.Select(Gen.String, Gen.String.Array[0, 4], Gen.String, Gen.String.Null()).Sample(t =>
        {
            var errors = InsiQueryValidator.Validate(new InsiTraitsQuery(t.Item1, t.Item2, Sex.Male, t.Item3, t.Item4));
            errors.Should().OnlyContain(e => e.Field.Length > 0 && e.Rule.Length > 0);
        }, iter: 3000);
    }
}
