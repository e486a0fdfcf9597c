using Microsoft.Data.Sqlite;

namespace SanteGateway.Cli.Tests;

/// <summary><c>santegw ror sync</c> on a data folder whose configuration names the ROR sandbox (started by the CLI, mutual TLS).</summary>
[Collection("ins-cli console")]
public sealed class RorSyncCommandTests : IDisposable
{
    private readonly string dataDir = Path.Combine(Path.GetTempPath(), $"santegw-ror-cli-{Guid.NewGuid():N}");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(dataDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task Ror_sync_loads_the_mirror_of_the_data_folder_then_a_second_run_is_a_delta()
    {
        Directory.CreateDirectory(dataDir);
        await File.WriteAllTextAsync(Path.Combine(dataDir, "appsettings.json"), """{ "Ror": { "Mode": "sandbox", "SandboxOffers": 20 } }""", TestContext.Current.CancellationToken);

        var (exit, stdout, stderr) = await CliRunner.RunAsync("ror", "sync", "--data", dataDir);

        exit.Should().Be(0, stderr);
        stdout.Should().MatchRegex(@"full synchronisation done: \d+ stored, 0 unchanged, 0 deleted");
        stderr.Should().Contain("ror sync: full file 1/", "redirected output gets one progress line per phase");
        await using (var c = new SqliteConnection($"Data Source={Path.Combine(dataDir, "santegw.db")};Mode=ReadOnly"))
        {
            await c.OpenAsync(TestContext.Current.CancellationToken);
            await using var cmd = c.CreateCommand();
            cmd.CommandText = "SELECT COUNT(*) FROM ror_resources WHERE \"ResourceType\" = 'HealthcareService'";
            ((long)(await cmd.ExecuteScalarAsync(TestContext.Current.CancellationToken))!).Should().BeGreaterThanOrEqualTo(20);
        }

        var second = await CliRunner.RunAsync("ror", "sync", "--data", dataDir, "--delta");
        second.Exit.Should().Be(0, second.Err);
        second.Out.Should().Contain("delta synchronisation done");

        var conflicting = await CliRunner.RunAsync("ror", "sync", "--data", dataDir, "--full", "--delta");
        conflicting.Exit.Should().Be(2);
    }

    [Fact]
    public async Task Ror_sync_without_a_configured_ror_is_a_usage_error()
    {
        Directory.CreateDirectory(dataDir);
        var (exit, _, stderr) = await CliRunner.RunAsync("ror", "sync", "--data", dataDir);
        exit.Should().Be(2);
        stderr.Should().Contain("Ror:Mode");
    }
}
