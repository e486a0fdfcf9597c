// Short local process and SQLite calls; threading the test token through each adds nothing here.
#pragma warning disable xUnit1051
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using SanteGateway.Store;
using SanteGateway.Store.Audit;

namespace SanteGateway.Cli.Tests;

/// <summary><c>santegw db backup</c> then <c>db restore</c> then <c>audit verify</c>: intact, checkpoints included.</summary>
[Collection("ins-cli console")]
public sealed class BackupTests : IDisposable
{
    private readonly string dataDir = Path.Combine(Path.GetTempPath(), "santegw-backup-" + Guid.NewGuid().ToString("N"));

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
    public async Task A_backup_restored_over_a_damaged_database_verifies_intact_against_the_checkpoints()
    {
        (await CliRunner.RunAsync("db", "migrate", "--data", dataDir)).Exit.Should().Be(0);
        var store = new SanteGateway.Store.StoreOptions { ConnectionString = GatewayStore.SqliteConnectionString(Path.Combine(dataDir, "santegw.db")) };
        var anchors = AuditCheckpointOptions.InDataFolder(dataDir);
        using (var key = AuditCheckpoints.LoadOrCreateKey(anchors.SigningKeyPath))
        await using (var db = GatewayStore.CreateContext(store))
        {
            for (var i = 1; i <= 5; i++)
            {
                await using var tx = await db.Database.BeginTransactionAsync();
                await AuditTrail.AppendAsync(db, new AuditEntry("tester", "cli-test", "step", "thing", i.ToString(), null, "{}"), TimeProvider.System);
                await db.SaveChangesAsync();
                await tx.CommitAsync();
            }

            await AuditCheckpoints.WriteAsync(db, anchors, key, TimeProvider.System);
        }

        var backupFile = Path.Combine(dataDir, "backups", "b1.db");
        var backup = await CliRunner.RunAsync("db", "backup", "--data", dataDir, "--output", backupFile);
        backup.Exit.Should().Be(0, backup.Err);
        if (!OperatingSystem.IsWindows())
        {
            File.GetUnixFileMode(backupFile).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        // Disaster: the live database loses its events.
        SqliteConnection.ClearAllPools();
        await using (var c = new SqliteConnection(store.ConnectionString))
        {
            await c.OpenAsync();
            await using var cmd = c.CreateCommand();
            cmd.CommandText = "DELETE FROM audit_events";
            await cmd.ExecuteNonQueryAsync();
        }

        (await CliRunner.RunAsync("audit", "verify", "--data", dataDir)).Exit.Should().Be(1);

        var restore = await CliRunner.RunAsync("db", "restore", backupFile, "--data", dataDir);
        restore.Exit.Should().Be(0, restore.Err);
        var verify = await CliRunner.RunAsync("audit", "verify", "--data", dataDir);
        verify.Exit.Should().Be(0, verify.Out);
        verify.Out.Should().Contain("intact: 5 events, 1 signed checkpoints");
    }

    [Fact]
    public async Task A_restore_keeps_the_replaced_database_whole_even_with_commits_still_in_its_write_ahead_log()
    {
        (await CliRunner.RunAsync("db", "migrate", "--data", dataDir)).Exit.Should().Be(0);
        var dbPath = Path.Combine(dataDir, "santegw.db");
        var backupFile = Path.Combine(dataDir, "backups", "b2.db");
        (await CliRunner.RunAsync("db", "backup", "--data", dataDir, "--output", backupFile)).Exit.Should().Be(0);

        // A writer that left its last commit in the log (no checkpoint yet), as a gateway stopped hard would.
        await using var writer = new SqliteConnection(GatewayStore.SqliteConnectionString(dbPath) + ";Pooling=False");
        await writer.OpenAsync();
        await using (var cmd = writer.CreateCommand())
        {
            cmd.CommandText = "PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0; CREATE TABLE probe (x TEXT); INSERT INTO probe VALUES ('ADRTROIS');";
            await cmd.ExecuteNonQueryAsync();
        }

        new FileInfo(dbPath + "-wal").Length.Should().BeGreaterThan(0, "the commit is still in the log");

        var restore = await CliRunner.RunAsync("db", "restore", backupFile, "--data", dataDir);
        restore.Exit.Should().Be(0, restore.Err);

        var aside = Directory.GetFiles(dataDir, "santegw.db.replaced-*").Should().ContainSingle().Subject;
        await using var read = new SqliteConnection($"Data Source={aside};Mode=ReadOnly;Pooling=False");
        await read.OpenAsync();
        await using var query = read.CreateCommand();
        query.CommandText = "SELECT x FROM probe";
        (await query.ExecuteScalarAsync()).Should().Be("ADRTROIS", "the replaced database kept aside holds every commit");
    }
}
