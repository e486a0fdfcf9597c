using System.CommandLine;
using SanteGateway.Store;
using SanteGateway.Store.Audit;

namespace SanteGateway.Cli;

/// <summary><c>santegw audit verify</c>: checks the audit hash chain.</summary>
internal sealed class AuditCommands : ICommandModule
{
    public Command Create()
    {
        var audit = new Command("audit", "The gateway's append-only audit trail.");
        var verify = new Command("verify", "Recompute the audit hash chain; exit 0 when intact, 1 with the first broken event.");
        var data = new Option<string>("--data") { Description = "Data folder (default $SANTEGW_DATA or ~/.santegw)." };
        var config = new Option<string>("--config") { Description = "Configuration file (default DATA/appsettings.json)." };
        var db = new Option<string>("--db") { Description = "Database provider: sqlite (default) or postgres." };
        var connection = new Option<string>("--connection") { Description = "Database connection string." };
        verify.Options.Add(data);
        verify.Options.Add(config);
        verify.Options.Add(db);
        verify.Options.Add(connection);
        verify.SetAction(async (parse, ct) =>
        {
            var (options, _, error) = GatewaySettings.Resolve(parse.GetValue(data), parse.GetValue(config), parse.GetValue(db), parse.GetValue(connection), null);
            if (options is null)
            {
                await Console.Error.WriteLineAsync(error).ConfigureAwait(false);
                return Program.UsageError;
            }

            if (options.Store.Provider == StoreProvider.Sqlite && parse.GetValue(connection) is null
                && !File.Exists(Path.Combine(options.DataDirectory, GatewaySettings.DatabaseFileName)))
            {
                await Console.Error.WriteLineAsync($"No gateway database in {options.DataDirectory}.").ConfigureAwait(false);
                return Program.UsageError;
            }

            await using var context = GatewayStore.CreateContext(options.Store);
            var result = await AuditTrail.VerifyAsync(context, ct).ConfigureAwait(false);
            if (result.IsIntact)
            {
                Console.WriteLine($"audit chain intact: {result.EventCount} events");
                return 0;
            }

            Console.WriteLine($"audit chain BROKEN at event {result.FirstBrokenSequence}: {result.Reason}");
            return 1;
        });
        audit.Subcommands.Add(verify);
        return audit;
    }
}
