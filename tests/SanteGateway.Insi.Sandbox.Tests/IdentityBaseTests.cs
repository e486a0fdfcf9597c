using System.Text;
using CsCheck;
using SanteGateway.Insi.Sandbox.Data;

namespace SanteGateway.Insi.Sandbox.Tests;

public sealed class IdentityBaseTests
{
    [Theory]
    [InlineData("160012B020777", 13)]
    [InlineData("297022A020778", 78)]
    [InlineData("2360663220836", 56)]
    [InlineData("1090763220834", 89)]
    [InlineData("2090663220123", 55)]
    [InlineData("180032B020401", 23)]
    [InlineData("1090763220888", 35)]
    [InlineData("1810363220456", 76)]
    public void The_key_is_97_minus_the_number_modulo_97_with_Corsica_2A_19_and_2B_18(string body, int key)
    {
        InsKey.Compute(body).Should().Be(key);
    }

    [Theory]
    [InlineData("16001")]
    [InlineData("160012C020777")]
    [InlineData("16001 B020777")]
    public void A_body_that_is_not_13_NIR_characters_has_no_key(string body)
    {
        InsKey.Compute(body).Should().Be(-1);
    }

    [Fact]
    public void The_default_base_holds_the_public_test_persons_with_valid_keys()
    {
        var b = SandboxIdentityBase.LoadDefault();

        b.Persons.Select(p => $"{p.BirthName} {p.FirstNamesJoined}").Should().Contain(
        [
            "ADRTROIS TOUSSAINT", "ADRTROIS DOMINIQUE", "TCHITCHI CATARINA BELLA", "ECETINSI PIERRE-ALAIN MURIEL FLORIANT",
            "DE VINCI LEONARDO", "NESSI RUTH", "NESSI NATHALIE", "NESSI MICHELANGELO ANTHONY", "CORSE ANTHONY", "PROVISOIRE MATRICULE",
            "ADRUN ZOE", "D'ARTAGNAN DE L'HERAULT PIERRE-ALAIN", "HERMANN GATIEN",
        ]);
        b.Persons.Count(p => p.BirthName == "DE VINCI" && p.FirstNamesJoined == "LEONARDO").Should().Be(2);
        b.Persons.Should().NotContain(p => p.BirthName == "HOUILLES", "HOUILLES is never found (CNDA 2.07 expects CR 01)");
        b.Persons.SelectMany(p => p.History.Append(p.Ins)).Should().OnlyContain(i => InsKey.IsValid(i.NumIdentifiant, i.Cle));
    }

    [Fact]
    public void A_base_file_with_a_wrong_key_is_refused_naming_the_person_and_the_field()
    {
        const string json = """
            {"format":"santegw-insi-sandbox-base/1","persons":[
              {"birthName":"A","firstNames":["B"],"sex":"M","birthDate":"2000-01-01","ins":{"numIdentifiant":"1000163220001","cle":"00","oid":"1.2.250.1.213.1.4.8"}}]}
            """;

        var act = () => SandboxIdentityBase.Load(new MemoryStream(Encoding.UTF8.GetBytes(json)), "test.json");

        act.Should().Throw<InvalidDataException>().WithMessage("test.json: persons[0].ins.cle: key '00' is wrong for 1000163220001 (expected *");
    }

    [Theory]
    [InlineData("\"birthName\":\"a\"", "persons[0].birthName")]
    [InlineData("\"sex\":\"X\"", "persons[0].sex")]
    [InlineData("\"birthDate\":\"2000/01/01\"", "persons[0].birthDate")]
    [InlineData("\"oid\":\"1.2.3\"", "persons[0].ins.oid")]
    public void A_base_file_breaking_a_rule_is_refused_naming_the_field(string replacement, string field)
    {
        var person = new Dictionary<string, string>
        {
            ["birthName"] = "\"birthName\":\"A\"",
            ["sex"] = "\"sex\":\"M\"",
            ["birthDate"] = "\"birthDate\":\"2000-01-01\"",
            ["oid"] = "\"oid\":\"1.2.250.1.213.1.4.8\"",
        };
        var key = replacement.Split('"')[1];
        person[key] = replacement;
        var json = "{\"format\":\"santegw-insi-sandbox-base/1\",\"persons\":[{" + person["birthName"] + ",\"firstNames\":[\"B\"]," +
                   person["sex"] + "," + person["birthDate"] + ",\"ins\":{\"numIdentifiant\":\"1000163220001\",\"cle\":\"" +
                   InsKey.Format("1000163220001") + "\"," + person["oid"] + "}}]}";

        var act = () => SandboxIdentityBase.Load(new MemoryStream(Encoding.UTF8.GetBytes(json)), "f");

        act.Should().Throw<InvalidDataException>().WithMessage($"f: {field}*");
    }

    [Fact]
    public void A_file_that_is_not_a_base_is_refused_with_the_format_field_named()
    {
        var act = () => SandboxIdentityBase.Load(new MemoryStream("{\"persons\":[]}"u8.ToArray()), "f");

        act.Should().Throw<InvalidDataException>().WithMessage("*'format'*");
    }

    [Fact]
    public void Generated_persons_have_valid_keys_consistent_with_sex_birth_month_and_birth_place_and_NIA_laid_out_like_a_NIR()
    {
        var persons = SyntheticIdentityGenerator.Generate(5000, seed: 7, homonymRate: 0.05, niaRate: 0.1).ToList();

        persons.Should().OnlyContain(p => InsKey.IsValid(p.Ins.NumIdentifiant, p.Ins.Cle));
        persons.Should().OnlyContain(p => p.Ins.NumIdentifiant.Substring(3, 2) == p.BirthDate.Substring(5, 2)
                                          && p.Ins.NumIdentifiant.Substring(5, 5) == p.BirthPlace);
        persons.Should().OnlyContain(p => p.Ins.NumIdentifiant[0] == (p.Sex == 'M' ? '1' : '2'), "a NIA is laid out like a NIR; only the OID differs");
        persons.Should().OnlyContain(p => SanteGateway.Identity.InsMatricule.IsValid(p.Ins.NumIdentifiant + p.Ins.Cle), "the gateway's own INS check accepts every generated number");
        persons.Select(p => p.Ins.NumIdentifiant).Should().OnlyHaveUniqueItems();
        persons.Count(p => p.Ins.Oid == SandboxIns.NiaOid).Should().BeInRange(350, 650, "about 10 % NIA were asked");
        SandboxIdentityBase.FromPersons(persons).Persons.Should().HaveCount(5000, "every generated person passes the base rules");
    }

    [Fact]
    public void Generated_homonyms_answer_CR_02_without_COG_and_CR_00_with_their_COG()
    {
        var persons = SyntheticIdentityGenerator.Generate(2000, seed: 3, homonymRate: 0.1, niaRate: 0).ToList();
        var b = SandboxIdentityBase.FromPersons(persons);
        var pair = persons.Zip(persons.Skip(1)).First(x => x.First.BirthName == x.Second.BirthName && x.First.BirthDate == x.Second.BirthDate
                                                         && x.First.FirstNamesJoined == x.Second.FirstNamesJoined);

        b.Search(pair.First.BirthName, pair.First.FirstNames[0], pair.First.Sex, pair.First.BirthDate, null).Count.Should().BeGreaterThan(1);
        b.Search(pair.First.BirthName, pair.First.FirstNames[0], pair.First.Sex, pair.First.BirthDate, pair.Second.BirthPlace).Single
            .Should().BeSameAs(pair.Second);
    }

    [Fact]
    public void The_generator_is_deterministic_for_a_seed()
    {
        var a = SyntheticIdentityGenerator.Generate(100, seed: 11).Select(p => p.Ins.NumIdentifiant + p.BirthName);
        var b = SyntheticIdentityGenerator.Generate(100, seed: 11).Select(p => p.Ins.NumIdentifiant + p.BirthName);

        a.Should().Equal(b);
    }

    [Fact]
    public void A_written_base_loads_back_with_the_same_persons()
    {
        var persons = SyntheticIdentityGenerator.Generate(300, seed: 5).Concat(SandboxIdentityBase.LoadDefault().Persons).ToList();
        using var stream = new MemoryStream();
        SandboxIdentityBase.Write(stream, persons, "round trip");
        stream.Position = 0;

        var loaded = SandboxIdentityBase.Load(stream, "mem");

        loaded.Persons.Should().HaveCount(persons.Count);
        loaded.Persons.Select(Describe).Should().Equal(persons.Select(Describe));

        static string Describe(SandboxPerson p) =>
            $"{p.BirthName}|{p.FirstNamesJoined}|{p.Sex}|{p.BirthDate}|{p.BirthPlace}|{p.Ins}|{string.Join(";", p.History)}|{string.Join(";", p.Vitale)}";
    }

    [Fact]
    public void The_lexical_profile_accepts_every_generated_name_and_never_throws_on_any_text()
    {
        Gen.String[0, 120].Sample(s =>
        {
            _ = InsiTraitRules.CheckBirthName(s);
            _ = InsiTraitRules.CheckFirstNames(s);
            _ = InsiTraitRules.CheckBirthDate(s);
            _ = InsiTraitRules.CheckCog(s);
        });
        Gen.Int[1, 1_000_000].Sample(seed =>
        {
            var p = SyntheticIdentityGenerator.Generate(1, seed).Single();
            InsiTraitRules.CheckBirthName(p.BirthName).Should().BeNull(p.BirthName);
            InsiTraitRules.CheckFirstNames(p.FirstNamesJoined).Should().BeNull(p.FirstNamesJoined);
        }, iter: 200);
    }

    [Fact]
    public void Any_accepted_birth_name_uses_only_the_INSi_alphabet_and_no_doubled_separator()
    {
        Gen.Char["ABZ '-"].Array[1, 12].Select(c => new string(c)).Sample(s =>
        {
            if (InsiTraitRules.CheckBirthName(s) is null)
            {
                s.Should().NotContain("  ").And.NotContain("''").And.NotContain("---").And.NotStartWith(" ").And.NotStartWith("-");
            }
        });
    }
}
