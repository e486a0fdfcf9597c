using System.Xml;
using System.Xml.Linq;
using SanteGateway.Identity;
using SanteGateway.Testing;

namespace SanteGateway.Identity.Tests;

/// <summary>Every INS found in the recorded INSi answers and CNDA files of shared/data/insi.</summary>
public class InsiReferenceDataTests
{
    private static IEnumerable<(string File, string Num, string? Cle, string? Oid)> InsOf(params string[] folder)
    {
        var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null };
        foreach (var file in Directory.EnumerateFiles(TestPaths.SharedFile(["data", "insi", .. folder]), "*.xml").Order())
        {
            using var reader = XmlReader.Create(file, settings);
            var doc = XDocument.Load(reader);
            foreach (var id in doc.Descendants().Where(e => e.Name.LocalName == "IdIndividu"))
            {
                var num = id.Elements().FirstOrDefault(e => e.Name.LocalName == "NumIdentifiant")?.Value;
                if (num is null)
                {
                    continue;
                }

                var cle = id.Elements().FirstOrDefault(e => e.Name.LocalName == "Cle")?.Value;
                var oid = id.Parent?.Elements().FirstOrDefault(e => e.Name.LocalName == "OID")?.Value;
                yield return (Path.GetFileName(file), num, cle, oid);
            }
        }
    }

    [Fact]
    public void Every_ins_of_the_recorded_insi_answers_has_a_valid_key_and_an_ins_oid()
    {
        var all = InsOf("recorded").ToList();
        all.Should().NotBeEmpty();
        foreach (var (file, num, cle, oid) in all)
        {
            InsMatricule.TryFromParts(num, cle, out _, out var error).Should().BeTrue($"{file}: {error?.Message}");
            InsOids.TryGetKind(oid, out _).Should().BeTrue(file);
        }
    }

    [Fact]
    public void Every_ins_of_the_cnda_files_has_a_valid_key_except_the_key_control_case()
    {
        var all = InsOf("cnda").ToList();
        all.Should().NotBeEmpty();
        foreach (var (file, num, cle, _) in all)
        {
            var ok = InsMatricule.TryFromParts(num, cle, out _, out _);
            ok.Should().Be(file != "TEST_2.08_cas2.xml", $"{file} {num}");
        }
    }

    [Fact]
    public void The_nia_case_of_the_cnda_files_is_a_nia_only_through_its_oid()
    {
        var (_, num, cle, oid) = InsOf("cnda").Single(x => x.File == "TEST_2.05.xml");
        InsMatricule.TryFromParts(num, cle, out var m, out _).Should().BeTrue();
        InsIdentifier.TryCreate(m, oid, InsPolicy.Production, out var id, out _).Should().BeTrue();
        id!.Kind.Should().Be(InsOidKind.Nia);
    }
}
