using System.Text.Json;

namespace SanteGateway.Cli.Tests;

/// <summary>Console redirection is process-wide: these tests run alone, never beside another test that writes to the console.</summary>
[CollectionDefinition("ins-cli console", DisableParallelization = true)]
public sealed class InsCliConsoleCollection;

[Collection("ins-cli console")]
public class InsCommandsTests
{
    [Theory]
    [InlineData("279035121518989")]
    [InlineData("297022A02077878")]
    [InlineData("1 60 01 2B 020 777 13")]
    public async Task A_valid_matricule_exits_0(string matricule)
    {
        var (exit, stdout, stderr) = await CliRunner.RunAsync("ins", "check", matricule);
        exit.Should().Be(0);
        stdout.Should().StartWith("valid ");
        stderr.Should().BeEmpty();
    }

    [Fact]
    public async Task A_matricule_split_over_several_arguments_is_joined()
    {
        var (exit, stdout, _) = await CliRunner.RunAsync("ins", "check", "1600", "12B0", "20777", "13");
        exit.Should().Be(0);
        stdout.Should().Contain("1 60 01 2B 020 777 13");
    }

    [Fact]
    public async Task A_wrong_key_exits_1_with_the_reason_on_stderr()
    {
        var (exit, stdout, stderr) = await CliRunner.RunAsync("ins", "check", "276037510669380");
        exit.Should().Be(1);
        stdout.Should().BeEmpty();
        stderr.Should().Contain("expected 26");
    }

    [Fact]
    public async Task A_wrong_key_in_json_mode_gives_the_reason_and_the_expected_key_on_stdout()
    {
        var (exit, stdout, _) = await CliRunner.RunAsync("ins", "check", "260058815400244", "--json");
        exit.Should().Be(1);
        using var doc = JsonDocument.Parse(stdout);
        doc.RootElement.GetProperty("valid").GetBoolean().Should().BeFalse();
        doc.RootElement.GetProperty("expectedKey").GetString().Should().Be("33");
        doc.RootElement.GetProperty("reason").GetString().Should().Contain("key");
    }

    [Fact]
    public async Task A_bad_character_in_json_mode_gives_its_position()
    {
        var (exit, stdout, _) = await CliRunner.RunAsync("ins", "check", "27903512X518989", "--json");
        exit.Should().Be(1);
        using var doc = JsonDocument.Parse(stdout);
        doc.RootElement.GetProperty("position").GetInt32().Should().Be(9);
        doc.RootElement.GetProperty("expectedKey").ValueKind.Should().Be(JsonValueKind.Null);
    }

    [Fact]
    public async Task A_valid_matricule_with_an_ins_oid_in_json_mode_gives_the_matricule_oid_and_kind()
    {
        var (exit, stdout, _) = await CliRunner.RunAsync("ins", "check", "2 79 03 51 215 189 89", "--oid", "1.2.250.1.213.1.4.10", "--json");
        exit.Should().Be(0);
        using var doc = JsonDocument.Parse(stdout);
        doc.RootElement.GetProperty("valid").GetBoolean().Should().BeTrue();
        doc.RootElement.GetProperty("matricule").GetString().Should().Be("279035121518989");
        doc.RootElement.GetProperty("oid").GetString().Should().Be("1.2.250.1.213.1.4.10");
        doc.RootElement.GetProperty("kind").GetString().Should().Be("TEST");
    }

    [Fact]
    public async Task Without_an_oid_the_json_oid_and_kind_are_null()
    {
        var (exit, stdout, _) = await CliRunner.RunAsync("ins", "check", "279035121518989", "--json");
        exit.Should().Be(0);
        using var doc = JsonDocument.Parse(stdout);
        doc.RootElement.GetProperty("oid").ValueKind.Should().Be(JsonValueKind.Null);
        doc.RootElement.GetProperty("kind").ValueKind.Should().Be(JsonValueKind.Null);
    }

    [Fact]
    public async Task An_oid_that_is_not_an_ins_oid_exits_1()
    {
        var (exit, _, stderr) = await CliRunner.RunAsync("ins", "check", "279035121518989", "--oid", "1.2.250.1.213.1.4.2");
        exit.Should().Be(1);
        stderr.Should().Contain("not an INS OID");
    }

    [Theory]
    [InlineData("ins", "check")]
    [InlineData("ins", "check", "279035121518989", "--bogus")]
    [InlineData("ins", "normalize", "DUPONT")]
    [InlineData("ins", "normalize", "DUPONT", "--kind", "nickname")]
    public async Task Usage_errors_exit_2(params string[] args)
    {
        var (exit, _, stderr) = await CliRunner.RunAsync(args);
        exit.Should().Be(2);
        stderr.Should().NotBeEmpty();
    }

    [Theory]
    [InlineData("birth-name", "d'Æion--Müller", "D'AEION--MULLER")]
    [InlineData("first-names", "pierre-alain  ", "PIERRE-ALAIN")]
    [InlineData("first-names", "Cœur Éloïse", "COEUR ELOISE")]
    public async Task Normalize_prints_the_insi_form(string kind, string text, string expected)
    {
        var (exit, stdout, _) = await CliRunner.RunAsync("ins", "normalize", text, "--kind", kind);
        exit.Should().Be(0);
        stdout.Trim().Should().Be(expected);
    }

    [Theory]
    [InlineData("birth-name", "DUPONT2", "character")]
    [InlineData("first-names", "JEAN--PIERRE", "double-hyphen")]
    [InlineData("birth-name", "DU  PONT", "double-space")]
    public async Task Normalize_exits_1_with_the_rule_broken_on_stderr(string kind, string text, string rule)
    {
        var (exit, stdout, stderr) = await CliRunner.RunAsync("ins", "normalize", text, "--kind", kind);
        exit.Should().Be(1);
        stdout.Should().BeEmpty();
        stderr.Should().StartWith(rule + ":");
    }
}
