using System.Diagnostics;
using System.Text.Json;

namespace SanteGateway.Cli.Tests;

[Collection("ins-cli console")]
public class DataMatrixCommandsTests
{
    private const string Example =
        "IS010000000000000000000000S1279035121518989S21.2.250.1.213.1.4.10S3DOMINIQUE\u001dS4PAT-TROIS\u001dS5FS628-03-1979S763220";

    private static readonly string[] PatTrois =
    [
        "datamatrix", "encode", "--matricule", "279035121518989", "--oid", "1.2.250.1.213.1.4.10", "--birth-name", "PAT-TROIS",
        "--first-names", "DOMINIQUE", "--sex", "F", "--birth-date", "1979-03-28", "--birth-place", "63220",
    ];

    [Fact]
    public async Task Encode_with_payload_prints_the_worked_example_exactly()
    {
        var (exit, stdout, stderr) = await CliRunner.RunAsync([.. PatTrois, "--payload"]);
        exit.Should().Be(0, stderr);
        stdout.TrimEnd('\r', '\n').Should().Be(Example);
    }

    [Fact]
    public async Task Encode_to_PNG_writes_an_image_that_dmtxread_and_decode_read_back()
    {
        var file = Path.Combine(Path.GetTempPath(), $"santegw-cli-{Guid.NewGuid():N}.png");
        try
        {
            var (exit, stdout, stderr) = await CliRunner.RunAsync([.. PatTrois, "--png", file]);
            exit.Should().Be(0, stderr);
            stdout.Should().Contain("36x36");

            using var process = Process.Start(new ProcessStartInfo("/usr/bin/dmtxread", ["-N1", file]) { RedirectStandardOutput = true })!;
            using var ms = new MemoryStream();
            process.StandardOutput.BaseStream.CopyTo(ms);
            process.WaitForExit();
            ms.ToArray().Should().Equal(System.Text.Encoding.ASCII.GetBytes(Example));

            var (decodeExit, json, _) = await CliRunner.RunAsync("datamatrix", "decode", "--png", file, "--json");
            decodeExit.Should().Be(0);
            using var doc = JsonDocument.Parse(json);
            doc.RootElement.GetProperty("matricule").GetString().Should().Be("279035121518989");
            doc.RootElement.GetProperty("birthName").GetString().Should().Be("PAT-TROIS");
            doc.RootElement.GetProperty("birthDate").GetString().Should().Be("1979-03-28");
            doc.RootElement.GetProperty("symbol").GetString().Should().Be("36x36");
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Encode_to_SVG_writes_one_path()
    {
        var file = Path.Combine(Path.GetTempPath(), $"santegw-cli-{Guid.NewGuid():N}.svg");
        try
        {
            var (exit, _, stderr) = await CliRunner.RunAsync([.. PatTrois, "--svg", file, "--module-mm", "0.4"]);
            exit.Should().Be(0, stderr);
            var svg = await File.ReadAllTextAsync(file, TestContext.Current.CancellationToken);
            svg.Should().StartWith("<svg").And.Contain("width=\"16mm\"");
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Encode_with_a_wrong_key_and_an_unknown_sex_exits_1_naming_both_blocks()
    {
        var args = PatTrois.ToArray();
        args[3] = "279035121518988";
        args[11] = "U";
        var (exit, stdout, stderr) = await CliRunner.RunAsync([.. args, "--payload"]);
        exit.Should().Be(1);
        stdout.Should().BeEmpty();
        stderr.Should().Contain("S1: key:").And.Contain("S5: sex:");
    }

    [Fact]
    public async Task Encode_with_a_bad_birth_date_exits_1_naming_S6()
    {
        var args = PatTrois.ToArray();
        args[13] = "28-03-1979";
        var (exit, _, stderr) = await CliRunner.RunAsync([.. args, "--payload"]);
        exit.Should().Be(1);
        stderr.Should().Contain("S6: date:");
    }

    [Theory]
    [InlineData]
    [InlineData("--payload", "--png", "x.png")]
    public async Task Encode_without_exactly_one_output_is_a_usage_error(params string[] outputs)
    {
        var (exit, _, stderr) = await CliRunner.RunAsync([.. PatTrois, .. outputs]);
        exit.Should().Be(2);
        stderr.Should().Contain("exactly one output");
    }

    [Fact]
    public async Task Decode_reads_scanner_text_with_GS_placeholders()
    {
        var (exit, stdout, stderr) = await CliRunner.RunAsync("datamatrix", "decode", "--payload", Example.Replace("\u001d", "<GS>"));
        exit.Should().Be(0, stderr);
        stdout.Should().Contain("S4 birth name     PAT-TROIS");
    }

    [Fact]
    public async Task Decode_of_a_bad_payload_exits_1_with_block_and_rule_in_JSON()
    {
        var (exit, stdout, _) = await CliRunner.RunAsync("datamatrix", "decode", "--payload", Example.Replace("S5F", "S5X"), "--json");
        exit.Should().Be(1);
        using var doc = JsonDocument.Parse(stdout);
        doc.RootElement.GetProperty("valid").GetBoolean().Should().BeFalse();
        var error = doc.RootElement.GetProperty("errors")[0];
        error.GetProperty("field").GetString().Should().Be("S5");
        error.GetProperty("rule").GetString().Should().Be("sex");
    }

    [Fact]
    public async Task Decode_of_a_missing_file_exits_1_and_of_no_input_exits_2()
    {
        (await CliRunner.RunAsync("datamatrix", "decode", "--png", "/nonexistent/x.png")).Exit.Should().Be(1);
        (await CliRunner.RunAsync("datamatrix", "decode")).Exit.Should().Be(2);
    }
}
