using SanteGateway.Testing;

namespace SanteGateway.Cli.Tests;

[Collection("ins-cli console")]
public class CndaCommandsTests
{
    [Fact]
    public async Task Cnda_run_against_the_built_in_sandbox_writes_the_acceptance_folder_and_exits_0()
    {
        var outDir = Path.Combine(Path.GetTempPath(), "santegw-cnda-cli-" + Guid.NewGuid().ToString("N"));
        try
        {
            var (exit, stdout, stderr) = await CliRunner.RunAsync("cnda", "run", "--cnda-files", TestPaths.SharedFile("data", "insi", "cnda"),
                "--out", outDir, "--case", "2.07-cas2", "--case", "certificat-cn");

            exit.Should().Be(0, stdout + stderr);
            stdout.Should().Contain("RÉUSSI").And.Contain("2.07-cas2").And.Contain("2 passed, 0 failed, 0 not run");
            File.Exists(Path.Combine(outDir, "index.html")).Should().BeTrue();
            Directory.GetFiles(Path.Combine(outDir, "cases", "2.07-cas2", "traces"), "*.request.xml").Should().HaveCount(4);
        }
        finally
        {
            if (Directory.Exists(outDir))
            {
                Directory.Delete(outDir, recursive: true);
            }
        }
    }

    [Fact]
    public async Task Cnda_run_without_the_cnda_files_or_with_an_unknown_test_is_a_usage_error()
    {
        var missing = await CliRunner.RunAsync("cnda", "run", "--cnda-files", "/nonexistent-folder");
        var unknown = await CliRunner.RunAsync("cnda", "run", "--cnda-files", TestPaths.SharedFile("data", "insi", "cnda"), "--case", "9.99");

        missing.Exit.Should().Be(Program.UsageError);
        missing.Err.Should().Contain("--cnda-files");
        unknown.Exit.Should().Be(Program.UsageError);
        unknown.Err.Should().Contain("9.99");
    }
}
