using Microsoft.Data.Sqlite;
using Npgsql;
using SanteGateway.Store;
using SanteGateway.Testing;

namespace SanteGateway.Store.Tests;

/// <summary>
/// A database for one test class: a fresh SQLite file, or a fresh PostgreSQL database (random name, dropped at the
/// end) on the server given by SANTEGW_TEST_POSTGRES. Without that variable the PostgreSQL half is skipped locally
/// and fails under CI.
/// </summary>
public abstract class TestDatabase : IAsyncLifetime
{
    /// <summary>Store settings pointing at this database.</summary>
    public StoreOptions Store { get; } = new();

    /// <summary>Why the tests cannot run here, when they cannot.</summary>
    public string? SkipReason { get; protected set; }

    /// <summary>Skips the calling test when the database is unavailable.</summary>
    public void SkipIfUnavailable()
    {
        if (SkipReason is not null)
        {
            Assert.Skip(SkipReason);
        }
    }

    /// <summary>A context on this database (migrations applied by <see cref="InitializeAsync"/>).</summary>
    public GatewayDbContext CreateContext() => GatewayStore.CreateContext(Store);

    public abstract ValueTask InitializeAsync();

    public abstract ValueTask DisposeAsync();

    /// <summary>Runs raw SQL (tests tamper with rows behind the application's back).</summary>
    public abstract Task<int> ExecuteAsync(string sql);
}

/// <summary>A SQLite file in a temporary folder.</summary>
public sealed class SqliteTestDatabase : TestDatabase
{
    private readonly string dir = Path.Combine(Path.GetTempPath(), "santegw-test-" + Guid.NewGuid().ToString("N"));

    public override async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(dir);
        Store.Provider = StoreProvider.Sqlite;
        Store.ConnectionString = GatewayStore.SqliteConnectionString(Path.Combine(dir, "santegw.db"));
        await using var db = CreateContext();
        await Microsoft.EntityFrameworkCore.RelationalDatabaseFacadeExtensions.MigrateAsync(db.Database);
    }

    public override ValueTask DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(dir, recursive: true);
        }
        catch (IOException)
        {
        }

        return ValueTask.CompletedTask;
    }

    public override async Task<int> ExecuteAsync(string sql)
    {
        await using var c = new SqliteConnection(Store.ConnectionString);
        await c.OpenAsync();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return await cmd.ExecuteNonQueryAsync();
    }
}

/// <summary>A PostgreSQL database created for the test class and dropped afterwards.</summary>
public sealed class PostgresTestDatabase : TestDatabase
{
    private string? admin;
    private string name = "";

    public override async ValueTask InitializeAsync()
    {
        admin = TestPostgres.ConnectionString;
        if (string.IsNullOrWhiteSpace(admin))
        {
            if (TestPostgres.IsCi)
            {
                throw new InvalidOperationException("SANTEGW_TEST_POSTGRES is not set under CI: the PostgreSQL half of the suite must run (scripts/test starts a server).");
            }

            SkipReason = "PostgreSQL tests skipped: set SANTEGW_TEST_POSTGRES (scripts/test starts a server on a free loopback port and sets it).";
            return;
        }

        name = "santegw_test_" + Guid.NewGuid().ToString("N")[..16];
        await using (var c = new NpgsqlConnection(admin))
        {
            await c.OpenAsync();
            await using var cmd = c.CreateCommand();
            cmd.CommandText = $"CREATE DATABASE \"{name}\"";
            await cmd.ExecuteNonQueryAsync();
        }

        Store.Provider = StoreProvider.Postgres;
        Store.ConnectionString = new NpgsqlConnectionStringBuilder(admin) { Database = name }.ConnectionString;
        await using var db = CreateContext();
        await Microsoft.EntityFrameworkCore.RelationalDatabaseFacadeExtensions.MigrateAsync(db.Database);
    }

    public override async ValueTask DisposeAsync()
    {
        if (admin is null || name.Length == 0)
        {
            return;
        }

        NpgsqlConnection.ClearAllPools();
        await using var c = new NpgsqlConnection(admin);
        await c.OpenAsync();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = $"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)";
        await cmd.ExecuteNonQueryAsync();
    }

    public override async Task<int> ExecuteAsync(string sql)
    {
        await using var c = new NpgsqlConnection(Store.ConnectionString);
        await c.OpenAsync();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return await cmd.ExecuteNonQueryAsync();
    }
}
