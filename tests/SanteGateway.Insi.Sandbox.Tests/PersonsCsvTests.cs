using System.Text;
using SanteGateway.Insi.Sandbox.Data;
using SanteGateway.Insi.Sandbox.Pki;
using SanteGateway.Insi.Sandbox.Tests.Support;

namespace SanteGateway.Insi.Sandbox.Tests;

/// <summary>The publisher's own test persons, from a CSV in the dialect shared with batch jobs.</summary>
public sealed class PersonsCsvTests : IDisposable
{
    private const string Header = "local_id;birth_name;first_names;sex;birth_date;birth_place_cog;ins_matricule;oid";

    // 1 85 04 75 056 123 + key computed by the mod-97 rule (valid), born 1985-04, male.
    private static readonly string DupontMatricule = "1850475056123" + InsKey.Format("1850475056123");

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "santegw-csv-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    [Fact]
    public void A_semicolon_CSV_with_a_BOM_and_columns_in_any_order_is_read()
    {
        var csv = "\uFEFFoid;Local_ID;birth_name;first_names;sex;birth_date;birth_place_cog;ins_matricule\r\n" +
                  $"1.2.250.1.213.1.4.8;P001;DUPONT;JEAN PIERRE;M;1985-04-12;75056;{DupontMatricule}\r\n" +
                  "\r\n";

        var persons = SandboxPersonsCsv.Parse(Encoding.UTF8.GetBytes(csv)).PersonsOrThrow("t.csv");

        var p = persons.Single();
        p.BirthName.Should().Be("DUPONT");
        p.FirstNames.Should().Equal("JEAN", "PIERRE");
        p.Sex.Should().Be('M');
        p.BirthPlace.Should().Be("75056");
        p.Ins.Should().Be(new SandboxIns("1850475056123", DupontMatricule[13..], SandboxIns.NirOid));
    }

    [Fact]
    public void A_comma_CSV_with_quoted_fields_is_read_and_an_empty_COG_means_none()
    {
        var csv = "local_id,birth_name,first_names,sex,birth_date,birth_place_cog,ins_matricule,oid\n" +
                  $"\"P,1\",\"D'ARTAGNAN\",\"JEAN\",M,1985-04-12,,\"{DupontMatricule[..13]} {DupontMatricule[13..]}\",1.2.250.1.213.1.4.8\n";

        var p = SandboxPersonsCsv.Parse(Encoding.UTF8.GetBytes(csv)).PersonsOrThrow("t.csv").Single();

        p.BirthName.Should().Be("D'ARTAGNAN");
        p.BirthPlace.Should().BeNull();
        p.Note.Should().Contain("local id P,1");
    }

    public static TheoryData<string, string, string> BadRows => new()
    {
        // row (after the header), column, rule
        { $"P1;DUP0NT;JEAN;M;1985-04-12;75056;{DupontMatricule};1.2.250.1.213.1.4.8", "birth_name", "birth-name" },
        { $"P1;DUPONT;JEAN;X;1985-04-12;75056;{DupontMatricule};1.2.250.1.213.1.4.8", "sex", "sex" },
        { $"P1;DUPONT;JEAN;M;1985-13-45;75056;{DupontMatricule};1.2.250.1.213.1.4.8", "birth_date", "birth-date" },
        { $"P1;DUPONT;JEAN;M;1985-04-12;7505;{DupontMatricule};1.2.250.1.213.1.4.8", "birth_place_cog", "cog" },
        { "P1;DUPONT;JEAN;M;1985-04-12;75056;185047505612300;1.2.250.1.213.1.4.8", "ins_matricule", "ins-key" },
        { "P1;DUPONT;JEAN;M;1985-04-12;75056;18504750561;1.2.250.1.213.1.4.8", "ins_matricule", "ins-format" },
        { $"P1;DUPONT;JEANNE;F;1985-04-12;75056;{DupontMatricule};1.2.250.1.213.1.4.8", "ins_matricule", "ins-sex" },
        { $"P1;DUPONT;JEAN;M;1986-04-12;75056;{DupontMatricule};1.2.250.1.213.1.4.8", "ins_matricule", "ins-year" },
        { $"P1;DUPONT;JEAN;M;1985-04-12;75056;{DupontMatricule};1.2.250.1.213.1.4.99", "oid", "oid" },
        { $";DUPONT;JEAN;M;1985-04-12;75056;{DupontMatricule};1.2.250.1.213.1.4.8", "local_id", "local-id" },
        { $"P1;DUPONT;JEAN;M;1985-04-12;75056;{DupontMatricule}", "", "columns" },
    };

    [Theory]
    [MemberData(nameof(BadRows))]
    public void A_bad_row_is_reported_with_its_line_its_column_and_the_rule_it_breaks(string row, string column, string rule)
    {
        var csv = $"{Header}\n\n{row}\n";

        var result = SandboxPersonsCsv.Parse(Encoding.UTF8.GetBytes(csv));

        result.Persons.Should().BeEmpty();
        var problem = result.Problems.Should().ContainSingle(p => p.Rule == rule).Which;
        problem.Line.Should().Be(3, "line 1 is the header, line 2 is blank");
        problem.Column.Should().Be(column.Length == 0 ? null : column);
        var load = () => result.PersonsOrThrow("persons.csv");
        load.Should().Throw<InvalidDataException>().WithMessage($"persons.csv: *line 3: *[rule {rule}]*");
    }

    [Fact]
    public void Duplicate_local_ids_and_matricules_name_the_line_that_used_them_first()
    {
        var csv = $"{Header}\nP1;DUPONT;JEAN;M;1985-04-12;75056;{DupontMatricule};1.2.250.1.213.1.4.8\nP1;DUPONT;JEAN;M;1985-04-12;75056;{DupontMatricule};1.2.250.1.213.1.4.8\n";

        var problems = SandboxPersonsCsv.Parse(Encoding.UTF8.GetBytes(csv)).Problems;

        problems.Select(p => p.ToString()).Should().Equal(
            "line 3: local_id: 'P1' already used on line 2 [rule local-id]",
            "line 3: ins_matricule: 1850475056123 already used on line 2 [rule ins-unique]");
    }

    [Theory]
    [InlineData("local_id;birth_name;first_names;sex;birth_date;ins_matricule;oid", "birth_place_cog", "required column missing")]
    [InlineData("local_id;birth_name;first_names;sex;birth_date;birth_place;birth_place_cog;ins_matricule;oid", "birth_place", "unknown column")]
    public void A_wrong_header_is_reported_on_line_1(string header, string column, string message)
    {
        var problem = SandboxPersonsCsv.Parse(Encoding.UTF8.GetBytes(header + "\n")).Problems.Single();

        problem.Line.Should().Be(1);
        problem.Column.Should().Be(column);
        problem.Rule.Should().Be("header");
        problem.Message.Should().Contain(message);
    }

    [Fact]
    public void A_file_that_is_not_UTF8_is_refused()
    {
        var bytes = Encoding.Latin1.GetBytes(Header + "\nP1;DUPONT;HÉLÈNE;F;1985-04-12;75056;x;y\n");

        SandboxPersonsCsv.Parse(bytes).Problems.Single().Rule.Should().Be("encoding");
    }

    [Fact]
    public async Task A_sandbox_started_with_a_persons_CSV_answers_CR_00_for_a_person_of_the_CSV()
    {
        Directory.CreateDirectory(_dir);
        var file = Path.Combine(_dir, "persons.csv");
        await File.WriteAllTextAsync(file, $"{Header}\nP1;DUPONT;JEAN PIERRE;M;1985-04-12;75056;{DupontMatricule};1.2.250.1.213.1.4.8\n", TestContext.Current.CancellationToken);
        await using var server = await InsiSandboxServer.StartAsync(SandboxClients.Options(o => o.PersonsCsvFile = file), TestContext.Current.CancellationToken);
        using var client = SandboxClients.ForClient(TestPki.InsiAutoP12File);

        var (status, body) = await SandboxClients.PostAsync(client, server.Endpoint, Recorded.WithBody(Recorded.Traits("DUPONT", "PIERRE", "M", "1985-04-12")));

        status.Should().Be(200);
        var text = Encoding.UTF8.GetString(body);
        text.Should().Contain("<CodeCR>00</CodeCR>").And.Contain("<NumIdentifiant>1850475056123</NumIdentifiant>").And.Contain("<ListePrenom>JEAN PIERRE</ListePrenom>");
        server.Handler.IdentityBase.Persons.Count.Should().Be(SandboxIdentityBase.LoadDefault().Persons.Count + 1);
    }

    [Fact]
    public async Task A_CSV_person_whose_INS_is_already_in_the_base_stops_the_start_with_its_line()
    {
        Directory.CreateDirectory(_dir);
        var file = Path.Combine(_dir, "persons.csv");
        await File.WriteAllTextAsync(file, $"{Header}\nP1;ADRTROIS;TOUSSAINT;M;1960-01-01;2B020;160012B02077713;1.2.250.1.213.1.4.8\n", TestContext.Current.CancellationToken);

        var start = async () => await InsiSandboxServer.StartAsync(SandboxClients.Options(o => o.PersonsCsvFile = file), TestContext.Current.CancellationToken);

        await start.Should().ThrowAsync<InvalidDataException>().WithMessage("*line 2: ins_matricule: 160012B020777 is already in the identity base [rule ins-unique]*");
    }
}
