using System.Text.Json;
using SanteGateway.Insi.Sandbox;
using SanteGateway.Insi.Sandbox.Pki;

namespace SanteGateway.Cli.Tests;

[CollectionDefinition("insi-cli", DisableParallelization = true)]
public sealed class InsiCliCollection : ICollectionFixture<InsiCliSandbox>;

/// <summary>A sandbox PKI and a running sandbox for the CLI tests.</summary>
public sealed class InsiCliSandbox : IAsyncLifetime
{
    public const string Password = "cli-test-pass";
    public const string PasswordVariable = "SANTEGW_TEST_INSI_P12_PASSWORD";

    public string Dir { get; } = Path.Combine(Path.GetTempPath(), "insi-cli-" + Guid.NewGuid().ToString("N"));

    public InsiSandboxServer Server { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        TestPki.Create(Dir, Password, force: true);
        Environment.SetEnvironmentVariable(PasswordVariable, Password);
        Environment.SetEnvironmentVariable("SANTEGW_INSI_INSTANCE", "0b8c4c1e-4a7e-4c55-9d0b-7d2f7c1f0a11");
        Server = await InsiSandboxServer.StartAsync(new InsiSandboxOptions { PkiDirectory = Dir, Password = Password });
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        Directory.Delete(Dir, true);
    }

    public string[] Connection(string p12 = TestPki.InsiAutoP12File) =>
    [
        "--endpoint", Server.Endpoint.ToString(),
        "--cert", Path.Combine(Dir, p12),
        "--cert-password-env", PasswordVariable,
        "--ca", Path.Combine(Dir, TestPki.CaPemFile),
    ];
}

[Collection("insi-cli")]
public sealed class InsiCommandsTests(InsiCliSandbox sandbox)
{
    private static readonly string[] Toussaint = ["--birth-name", "ADRTROIS", "--first-names", "TOUSSAINT", "--sex", "M", "--birth-date", "1960-01-01"];

    [Fact]
    public async Task Insi_search_prints_the_found_identity_as_json_and_exits_0()
    {
        var (code, output, _) = await CliRunner.RunAsync(["insi", "search", .. Toussaint, .. sandbox.Connection(), "--json"]);

        code.Should().Be(0);
        using var json = JsonDocument.Parse(output);
        json.RootElement.GetProperty("cr").GetString().Should().Be("00");
        json.RootElement.GetProperty("label").GetString().Should().Be("OK");
        var individual = json.RootElement.GetProperty("individual");
        individual.GetProperty("matricule").GetString().Should().Be("160012B02077713");
        individual.GetProperty("oid").GetString().Should().Be("1.2.250.1.213.1.4.8");
        individual.GetProperty("birthName").GetString().Should().Be("ADRTROIS");
        individual.GetProperty("firstNames").GetString().Should().Be("TOUSSAINT");
        individual.GetProperty("sex").GetString().Should().Be("M");
        individual.GetProperty("birthDate").GetString().Should().Be("1960-01-01");
        individual.GetProperty("birthPlace").GetString().Should().Be("2B020");
        individual.GetProperty("history").GetArrayLength().Should().Be(0);
    }

    [Fact]
    public async Task Insi_search_exits_0_on_a_no_match_answer()
    {
        var (code, output, _) = await CliRunner.RunAsync(["insi", "search", "--birth-name", "HOUILLES", "--first-names", "PIERRE", "--sex", "M", "--birth-date", "1993-01-27", .. sandbox.Connection(), "--json"]);

        code.Should().Be(0);
        using var json = JsonDocument.Parse(output);
        json.RootElement.GetProperty("cr").GetString().Should().Be("01");
        json.RootElement.TryGetProperty("individual", out _).Should().BeFalse();
    }

    [Fact]
    public async Task Insi_verify_reports_a_replaced_ins_with_the_history()
    {
        var (code, output, _) = await CliRunner.RunAsync(["insi", "verify", "--matricule", "209076322083439", "--oid", "1.2.250.1.213.1.4.8",
            "--birth-name", "ECETINSI", "--first-names", "PIERRE-ALAIN MURIEL FLORIANT", "--sex", "M", "--birth-date", "2009-07-14", .. sandbox.Connection(), "--json"]);

        code.Should().Be(0);
        using var json = JsonDocument.Parse(output);
        json.RootElement.GetProperty("outcome").GetString().Should().Be("ReplacedByNewer");
        var history = json.RootElement.GetProperty("individual").GetProperty("history")[0];
        history.GetProperty("matricule").GetString().Should().Be("209076322083439");
        history.GetProperty("from").GetString().Should().Be("2019-03-01");
        history.GetProperty("to").GetString().Should().Be("2019-02-28");
    }

    [Fact]
    public async Task A_fault_exits_1_with_the_codes_on_stderr()
    {
        var (code, _, error) = await CliRunner.RunAsync(["insi", "search", .. Toussaint, .. sandbox.Connection(), "--idam", "FAKE-IDAM"]);

        code.Should().Be(1);
        error.Should().Contain("siram_100").And.Contain("desir_550");
    }

    [Fact]
    public async Task A_wrong_certificate_cn_exits_1_with_desir_560()
    {
        var (code, _, error) = await CliRunner.RunAsync(["insi", "search", .. Toussaint, .. sandbox.Connection(TestPki.OtherP12File)]);

        code.Should().Be(1);
        error.Should().Contain("DESIR_560");
    }

    [Fact]
    public async Task Traits_outside_the_insi_lexical_profile_exit_1_naming_the_field_and_rule()
    {
        var (code, _, error) = await CliRunner.RunAsync(["insi", "search", "--birth-name", "D'ÆION", "--first-names", "CŒUR", "--sex", "M", "--birth-date", "1987-01-01", .. sandbox.Connection()]);

        code.Should().Be(1);
        error.Should().Contain("refused: birthName").And.Contain("refused: firstNames[0]");
    }

    [Fact]
    public async Task A_sex_other_than_m_or_f_is_a_usage_error()
    {
        var (code, _, _) = await CliRunner.RunAsync(["insi", "search", "--birth-name", "ADRTROIS", "--first-names", "TOUSSAINT", "--sex", "X", "--birth-date", "1960-01-01", .. sandbox.Connection()]);

        code.Should().Be(2);
    }

    [Fact]
    public async Task The_human_readable_output_shows_cr_ins_and_traits()
    {
        var (code, output, _) = await CliRunner.RunAsync(["insi", "search", "--birth-name", "DE VINCI", "--first-names", "LEONARDO", "--sex", "M", "--birth-date", "2014-02-01", "--birth-place", "63220", .. sandbox.Connection()]);

        code.Should().Be(0);
        output.Should().Contain("CR 00 OK").And.Contain("DE VINCI / LEONARDO / M / 2014-02-01 / 63220");
    }
}
