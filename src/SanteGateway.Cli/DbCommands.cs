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
