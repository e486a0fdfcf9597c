// Short local process and database calls; threading the test token through each adds nothing here.
#pragma warning disable xUnit1051
using Microsoft.EntityFrameworkCore;
using Npgsql;
using SanteGateway.Store;
using SanteGateway.Store.Audit;
using SanteGateway.Testing;

namespace SanteGateway.Cli.Tests;

/// <summary><c>santegw db migrate</c> with the documented least-privilege PostgreSQL roles (docs/operations.md).</summary>
[Collection("ins-cli console")]
public sealed class DbCommandsTests
{
    private static async Task ExecAsync(string connection, string sql)
    {
        await using var c = new NpgsqlConnection(connection);
        await c.OpenAsync();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        await cmd.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task Db_migrate_runs_as_the_owner_and_the_application_role_works_without_any_ddl_right()
    {
        var admin = TestPostgres.ConnectionString;
        if (string.IsNullOrWhiteSpace(admin))
        {
            Assert.SkipWhen(!TestPostgres.IsCi, "PostgreSQL tests skipped: set SANTEGW_TEST_POSTGRES.");
            throw new InvalidOperationException("SANTEGW_TEST_POSTGRES is not set under CI.");
        }

        var suffix = Guid.NewGuid().ToString("N")[..10];
        var (dbName, owner, app) = ($"santegw_roles_{suffix}", $"santegw_owner_{suffix}", $"santegw_app_{suffix}");
        string As(string user, string password) =>
            new NpgsqlConnectionStringBuilder(admin) { Database = dbName, Username = user, Password = password }.ConnectionString;
        try
        {
            // The role set-up of docs/operations.md ("PostgreSQL: least-privilege roles").
            await ExecAsync(admin, $"CREATE ROLE {owner} LOGIN PASSWORD 'owner-pw'; CREATE ROLE {app} LOGIN PASSWORD 'app-pw';");
            await ExecAsync(admin, $"CREATE DATABASE {dbName} OWNER {owner}");
            await ExecAsync(new NpgsqlConnectionStringBuilder(admin) { Database = dbName }.ConnectionString, $"""
                REVOKE ALL ON DATABASE {dbName} FROM PUBLIC;
                GRANT CONNECT ON DATABASE {dbName} TO {app};
                REVOKE CREATE ON SCHEMA public FROM PUBLIC;
                GRANT USAGE ON SCHEMA public TO {app};
                ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {app};
                ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {app};
                """);

            // The application role cannot run the migrations itself...
            var denied = await CliRunner.RunAsync("db", "migrate", "--db", "postgres", "--connection", As(app, "app-pw"));
            denied.Exit.Should().NotBe(0);

            // ...the owner can, with its own connection string.
            var migrated = await CliRunner.RunAsync("db", "migrate", "--db", "postgres", "--connection", As(app, "app-pw"), "--migration-connection", As(owner, "owner-pw"));
            migrated.Exit.Should().Be(0, migrated.Err);
            migrated.Out.Should().Contain("applied");

            // The application role reads and writes (an audited change) but has no DDL right.
            var store = new StoreOptions { Provider = StoreProvider.Postgres, ConnectionString = As(app, "app-pw"), MigrateOnStart = false };
            await using (var db = GatewayStore.CreateContext(store))
            {
                (await db.Database.GetPendingMigrationsAsync()).Should().BeEmpty();
                await using var tx = await db.Database.BeginTransactionAsync();
                await AuditTrail.AppendAsync(db, new AuditEntry("tester", "cli-test", "step", "thing", "1", null, "{}"), TimeProvider.System);
                await db.SaveChangesAsync();
                await tx.CommitAsync();
            }

            var ddl = () => ExecAsync(As(app, "app-pw"), "CREATE TABLE intruder (x int)");
            (await ddl.Should().ThrowAsync<PostgresException>()).Which.SqlState.Should().Be("42501");
            var drop = () => ExecAsync(As(app, "app-pw"), "DROP TABLE audit_events");
            (await drop.Should().ThrowAsync<PostgresException>()).Which.SqlState.Should().Be("42501");
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await ExecAsync(admin, $"DROP DATABASE IF EXISTS {dbName} WITH (FORCE); DROP ROLE IF EXISTS {app}; DROP ROLE IF EXISTS {owner};");
        }
    }
}
