using System.CommandLine;
using Microsoft.EntityFrameworkCore;
using SanteGateway.Server.Security;
using SanteGateway.Store;

namespace SanteGateway.Cli;

/// <summary>
/// <c>santegw db migrate</c> (schema changes with the owner's connection string, so the application role needs no DDL
/// right) and <c>santegw db backup</c>.
/// </summary>
internal sealed class DbCommands : ICommandModule
{
    public Command Create()
    {
        var db = new Command("db", "The gateway database: migrations and backups.");
        db.Subcommands.Add(Migrate());
        db.Subcommands.Add(Backup());
        db.Subcommands.Add(Restore());
        return db;
    }

    /// <summary>The options every command on the gateway database takes.</summary>
    internal sealed record DatabaseOptions(Option<string> Data, Option<string> Config, Option<string> Db, Option<string> Connection)
    {
        public static DatabaseOptions AddTo(Command command)
        {
            var o = new DatabaseOptions(
                new Option<string>("--data") { Description = "Data folder (default $SANTEGW_DATA or ~/.santegw)." },
                new Option<string>("--config") { Description = "Configuration file (default DATA/appsettings.json)." },
                new Option<string>("--db") { Description = "Database provider: sqlite (default) or postgres." },
                new Option<string>("--connection") { Description = "Database connection string." });
            command.Options.Add(o.Data);
            command.Options.Add(o.Config);
            command.Options.Add(o.Db);
            command.Options.Add(o.Connection);
            return o;
        }

        public (SanteGateway.Server.GatewayOptions? Options, Microsoft.Extensions.Configuration.IConfiguration? Configuration, string? Error) Resolve(ParseResult parse) =>
            GatewaySettings.Resolve(parse.GetValue(Data), parse.GetValue(Config), parse.GetValue(Db), parse.GetValue(Connection), null);

        /// <summary>Resolves and checks that the SQLite database exists (the operator commands never create one by mistake).</summary>
        public async Task<SanteGateway.Server.GatewayOptions?> ResolveExistingAsync(ParseResult parse)
        {
            var (options, _, error) = Resolve(parse);
            if (options is null)
            {
                await Console.Error.WriteLineAsync(error).ConfigureAwait(false);
                return null;
            }

            if (options.Store.Provider == StoreProvider.Sqlite && parse.GetValue(Connection) is null
                && !File.Exists(Path.Combine(options.DataDirectory, GatewaySettings.DatabaseFileName)))
            {
                await Console.Error.WriteLineAsync($"No gateway database in {options.DataDirectory}.").ConfigureAwait(false);
                return null;
            }

            return options;
        }
    }

    private static Command Backup()
    {
        var backup = new Command("backup", "Online backup of the SQLite database (consistent while the gateway runs); PostgreSQL: use pg_dump.");
        var o = DatabaseOptions.AddTo(backup);
        var output = new Option<string>("--output") { Description = "Backup file (default DATA/backups/santegw-YYYYMMDD-HHMMSS.db)." };
        backup.Options.Add(output);
        backup.SetAction(async (parse, ct) =>
        {
            var options = await o.ResolveExistingAsync(parse).ConfigureAwait(false);
            if (options is null)
            {
                return Program.UsageError;
            }

            if (options.Store.Provider != StoreProvider.Sqlite || DataFolder.SqlitePath(options.Store.ConnectionString) is not { } source)
            {
                await Console.Error.WriteLineAsync("db backup: for PostgreSQL use pg_dump (docs/operations.md, Backup and restore).").ConfigureAwait(false);
                return Program.UsageError;
            }

            var target = Path.GetFullPath(parse.GetValue(output)
                ?? Path.Combine(options.DataDirectory, "backups", $"santegw-{DateTime.UtcNow:yyyyMMdd-HHmmss}.db"));
            if (File.Exists(target))
            {
                await Console.Error.WriteLineAsync($"--output: {target} exists; choose another name.").ConfigureAwait(false);
                return Program.UsageError;
            }

            DataFolder.SecureSqliteDatabase(target);
            await using (var from = new Microsoft.Data.Sqlite.SqliteConnection(GatewayStore.SqliteConnectionString(source)))
            await using (var to = new Microsoft.Data.Sqlite.SqliteConnection(GatewayStore.SqliteConnectionString(target)))
            {
                await from.OpenAsync(ct).ConfigureAwait(false);
                await to.OpenAsync(ct).ConfigureAwait(false);
                // SQLite's online backup API: a consistent copy even while the gateway writes.
                from.BackupDatabase(to);
            }

            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Console.WriteLine($"santegw: backup written to {target} ({new FileInfo(target).Length} bytes)");
            return 0;
        });
        return backup;
    }

    private static Command Restore()
    {
        var restore = new Command("restore", "Replace the SQLite database with a backup (stop the gateway first); the current file is kept aside.");
        var o = DatabaseOptions.AddTo(restore);
        var file = new Argument<string>("backup");
        restore.Arguments.Add(file);
        restore.SetAction(async (parse, ct) =>
        {
            var (options, _, error) = o.Resolve(parse);
            if (options is null)
            {
                await Console.Error.WriteLineAsync(error).ConfigureAwait(false);
                return Program.UsageError;
            }

            var backupPath = Path.GetFullPath(parse.GetValue(file)!);
            if (options.Store.Provider != StoreProvider.Sqlite || DataFolder.SqlitePath(options.Store.ConnectionString) is not { } target)
            {
                await Console.Error.WriteLineAsync("db restore: for PostgreSQL use pg_restore (docs/operations.md, Backup and restore).").ConfigureAwait(false);
                return Program.UsageError;
            }

            if (!File.Exists(backupPath))
            {
                await Console.Error.WriteLineAsync($"backup: file not found: {backupPath}").ConfigureAwait(false);
                return Program.UsageError;
            }

            // Check it is a gateway database whose chain holds before replacing anything.
            await using (var check = GatewayStore.CreateContext(new StoreOptions { ConnectionString = GatewayStore.SqliteConnectionString(backupPath) + ";Mode=ReadOnly" }))
            {
                var chain = await SanteGateway.Store.Audit.AuditTrail.VerifyAsync(check, ct).ConfigureAwait(false);
                if (!chain.IsIntact)
                {
                    await Console.Error.WriteLineAsync($"backup: its audit chain is broken at event {chain.FirstBrokenSequence}; not restored.").ConfigureAwait(false);
                    return 1;
                }
            }

            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            DataFolder.EnsurePrivateDirectory(Path.GetDirectoryName(target)!);
            if (File.Exists(target))
            {
                // The current base may hold committed pages in its write-ahead log: fold them in first, so the file kept
                // aside is whole on its own.
                await using (var current = new Microsoft.Data.Sqlite.SqliteConnection(GatewayStore.SqliteConnectionString(target)))
                {
                    await current.OpenAsync(ct).ConfigureAwait(false);
                    await using var checkpoint = current.CreateCommand();
                    checkpoint.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
                    await checkpoint.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                }

                Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                var aside = $"{target}.replaced-{DateTime.UtcNow:yyyyMMdd-HHmmss}";
                File.Move(target, aside);
                Console.WriteLine($"santegw: previous database kept as {aside}");
            }

            foreach (var suffix in DataFolder.SqliteSidecars)
            {
                File.Delete(target + suffix);
            }

            DataFolder.SecureSqliteDatabase(target);
            File.Copy(backupPath, target, overwrite: true);
            DataFolder.SecureSqliteDatabase(target);
            Console.WriteLine($"santegw: restored {backupPath} to {target}; run 'santegw audit verify' (events after the backup are reported as truncated)");
            return 0;
        });
        return restore;
    }

    private static Command Migrate()
    {
        var migrate = new Command("migrate", "Apply pending migrations (with Gateway:Store:MigrationConnectionString, the schema owner, when set).");
        var o = DatabaseOptions.AddTo(migrate);
        var migrationConnection = new Option<string>("--migration-connection") { Description = "Connection string of the schema owner (default Gateway:Store:MigrationConnectionString, else --connection)." };
        migrate.Options.Add(migrationConnection);
        migrate.SetAction(async (parse, ct) =>
        {
            var (options, _, error) = o.Resolve(parse);
            if (options is null)
            {
                await Console.Error.WriteLineAsync(error).ConfigureAwait(false);
                return Program.UsageError;
            }

            var store = new StoreOptions
            {
                Provider = options.Store.Provider,
                ConnectionString = parse.GetValue(migrationConnection) ?? options.Store.MigrationConnectionString ?? options.Store.ConnectionString,
            };
            if (store.Provider == StoreProvider.Sqlite && DataFolder.SqlitePath(store.ConnectionString) is { } path)
            {
                DataFolder.SecureSqliteDatabase(path);
            }

            await using var context = GatewayStore.CreateContext(store);
            var pending = (await context.Database.GetPendingMigrationsAsync(ct).ConfigureAwait(false)).ToList();
            await context.Database.MigrateAsync(ct).ConfigureAwait(false);
            Console.WriteLine(pending.Count == 0
                ? "santegw: database schema up to date (no pending migration)"
                : $"santegw: applied {pending.Count} migrations: {string.Join(", ", pending)}");
            return 0;
        });
        return migrate;
    }
}
