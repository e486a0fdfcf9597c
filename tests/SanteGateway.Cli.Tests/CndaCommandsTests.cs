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

    [Fact]
    public async Task Cnda_run_with_screenshots_puts_the_identity_screen_of_each_test_in_the_acceptance_folder()
    {
        if (!File.Exists("/usr/bin/chromium"))
        {
            Environment.GetEnvironmentVariable("CI").Should().NotBe("true", "CI installs chromium");
            Assert.Skip("/usr/bin/chromium is missing (apt-get install chromium).");
        }

        var outDir = Path.Combine(Path.GetTempPath(), "santegw-cnda-shots-" + Guid.NewGuid().ToString("N"));
        try
        {
            var (exit, stdout, stderr) = await CliRunner.RunAsync("cnda", "run", "--cnda-files", TestPaths.SharedFile("data", "insi", "cnda"),
                "--out", outDir, "--case", "2.03-cas2", "--screenshots");

            exit.Should().Be(0, stdout + stderr);
            foreach (var id in new[] { "2.03-cas2" })
            {
                var png = Path.Combine(outDir, "cases", id, "screenshots", "01-fiche-identite.png");
                File.Exists(png).Should().BeTrue(stdout);
                var bytes = await File.ReadAllBytesAsync(png, TestContext.Current.CancellationToken);
                bytes.Take(8).Should().Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, "a PNG file");
                bytes.Length.Should().BeGreaterThan(10_000, "a rendered page, not a blank one");
                (await File.ReadAllTextAsync(Path.Combine(outDir, "cases", id, "report.html"), TestContext.Current.CancellationToken)).Should().Contain("screenshots/01-fiche-identite.png");
            }

            (await File.ReadAllTextAsync(Path.Combine(outDir, "cases", "2.03-cas2", "report.html"), TestContext.Current.CancellationToken)).Should().Contain("1 capture(s)");
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
    public async Task Cnda_run_with_screenshots_and_no_chromium_is_a_usage_error_naming_the_browser()
    {
        var (exit, _, stderr) = await CliRunner.RunAsync("cnda", "run", "--cnda-files", TestPaths.SharedFile("data", "insi", "cnda"),
            "--case", "2.03-cas2", "--screenshots", "--chromium", "/nonexistent/chromium");

        exit.Should().Be(Program.UsageError);
        stderr.Should().Contain("--screenshots").And.Contain("/nonexistent/chromium");
    }
}
