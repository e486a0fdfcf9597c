using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Data.Sqlite;
using SanteGateway.Server.Security;
using SanteGateway.Store;

namespace SanteGateway.Server.Tests;

/// <summary>F1: the data folder and the SQLite files are private to the service account whatever the umask (here 022).</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class DataAtRestTests : IDisposable
{
    private const UnixFileMode Rwx = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode Rw = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private readonly string root = Path.Combine(Path.GetTempPath(), "santegw-rest-" + Guid.NewGuid().ToString("N"));

    private string DataDir => Path.Combine(root, "data");

    private string DbPath => Path.Combine(DataDir, "santegw.db");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private async Task StartAndStopAsync()
    {
        var options = new GatewayOptions
        {
            DataDirectory = DataDir,
            RequireHttps = false,
            Store = new StoreOptions { ConnectionString = GatewayStore.SqliteConnectionString(DbPath) },
        };
        var builder = GatewayApp.CreateBuilder([], options);
        builder.WebHost.UseTestServer();
        await using var app = GatewayApp.Build(builder);
        await GatewayApp.InitializeAsync(app.Services, TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task A_fresh_data_folder_is_700_and_the_database_600_under_a_022_umask()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "Unix permissions");
        Directory.CreateDirectory(root);
        await StartAndStopAsync();

        File.GetUnixFileMode(DataDir).Should().Be(Rwx);
        File.GetUnixFileMode(DbPath).Should().Be(Rw);
        File.GetUnixFileMode(Path.Combine(DataDir, "keys")).Should().Be(Rwx);
    }

    [Fact]
    public async Task The_database_runs_in_write_ahead_log_mode_and_its_wal_and_shm_files_are_600_too()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "Unix permissions");
        Directory.CreateDirectory(root);
        await StartAndStopAsync();
        var ct = TestContext.Current.CancellationToken;

        // WAL is a property of the file, set at start: any later connection writes through the log.
        await using var c = new SqliteConnection(GatewayStore.SqliteConnectionString(DbPath));
        await c.OpenAsync(ct);
        await using var cmd = c.CreateCommand();
        cmd.CommandText = "PRAGMA journal_mode";
        (await cmd.ExecuteScalarAsync(ct)).Should().Be("wal");
        cmd.CommandText = "CREATE TABLE probe (x TEXT); INSERT INTO probe VALUES ('TOUSSAINT');";
        await cmd.ExecuteNonQueryAsync(ct);
        File.GetUnixFileMode(DbPath + "-wal").Should().Be(Rw);
        File.GetUnixFileMode(DbPath + "-shm").Should().Be(Rw);
    }

    [Fact]
    public async Task A_restored_folder_with_loose_permissions_is_tightened_on_start()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "Unix permissions");
        Directory.CreateDirectory(DataDir);
        await StartAndStopAsync();
        SqliteConnection.ClearAllPools();
        const UnixFileMode loose = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        File.SetUnixFileMode(DataDir, loose | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        File.SetUnixFileMode(DbPath, loose);
        await File.WriteAllBytesAsync(DbPath + "-wal", [], TestContext.Current.CancellationToken);
        File.SetUnixFileMode(DbPath + "-wal", loose);

        await StartAndStopAsync();

        File.GetUnixFileMode(DataDir).Should().Be(Rwx);
        File.GetUnixFileMode(DbPath).Should().Be(Rw);
        File.GetUnixFileMode(DbPath + "-wal").Should().Be(Rw);
    }

    [Fact]
    public async Task With_migrate_on_start_off_a_database_behind_the_code_is_refused_naming_db_migrate()
    {
        Directory.CreateDirectory(root);
        var options = new GatewayOptions
        {
            DataDirectory = DataDir,
            RequireHttps = false,
            Store = new StoreOptions { ConnectionString = GatewayStore.SqliteConnectionString(DbPath), MigrateOnStart = false },
        };
        var builder = GatewayApp.CreateBuilder([], options);
        builder.WebHost.UseTestServer();
        await using var app = GatewayApp.Build(builder);
        var act = () => GatewayApp.InitializeAsync(app.Services, TestContext.Current.CancellationToken);
        (await act.Should().ThrowAsync<InvalidOperationException>()).WithMessage("*santegw db migrate*");
    }
}
