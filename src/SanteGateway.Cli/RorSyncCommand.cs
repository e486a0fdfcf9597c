using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SanteGateway.Application;
using SanteGateway.Server;

namespace SanteGateway.Cli;

/// <summary>
/// <c>santegw ror sync [--data DIR] [--config FILE] [--full|--delta]</c>: synchronises the data folder's ROR mirror once, with
/// the ROR of its configuration (section <c>Ror</c>; the sandbox by default), showing progress. The same lease as
/// <c>serve</c>'s scheduled synchronisation: if a gateway on the same database is synchronising, it answers busy (exit 3).
/// After the counts of the run, a second line gives those of the profile validation (<c>Ror:Validation</c>).
/// </summary>
internal static class RorSyncCommand
{
    public static Command Create()
    {
        var cmd = new Command("sync", "Synchronise the local ROR mirror (full load from $export, then _lastUpdated deltas; deletions reconciled by full runs).");
        var data = new Option<string?>("--data") { Description = "Data folder (default: SANTEGW_DATA or ~/.santegw)." };
        var config = new Option<string?>("--config") { Description = "Configuration file (default DATA/appsettings.json)." };
        var full = new Option<bool>("--full") { Description = "Force a full load and reconciliation (removes what disappeared from the ROR)." };
        var delta = new Option<bool>("--delta") { Description = "Only the changes since the last run (a full load when the mirror was never loaded)." };
        foreach (var o in new Option[] { data, config, full, delta })
        {
            cmd.Options.Add(o);
        }

        cmd.SetAction(async (parse, ct) =>
        {
            if (parse.GetValue(full) && parse.GetValue(delta))
            {
                await Console.Error.WriteLineAsync("--full and --delta: choose one.").ConfigureAwait(false);
                return Program.UsageError;
            }

            var mode = parse.GetValue(full) ? RorSyncMode.Full : parse.GetValue(delta) ? RorSyncMode.Delta : RorSyncMode.Auto;
            var (options, cfg, error) = GatewaySettings.Resolve(parse.GetValue(data), parse.GetValue(config), null, null, null);
            if (options is null)
            {
                await Console.Error.WriteLineAsync(error).ConfigureAwait(false);
                return Program.UsageError;
            }

            var (rorOptions, sandbox, rorError) = await ServeRor.PrepareAsync(cfg!, options, ct).ConfigureAwait(false);
            if (rorError is not null || rorOptions is null)
            {
                await Console.Error.WriteLineAsync(rorError ?? "Ror:Mode is none: no ROR to synchronise from.").ConfigureAwait(false);
                return Program.UsageError;
            }

            await using var sandboxLifetime = sandbox;
            var builder = GatewayApp.CreateBuilder([], options, configuration: cfg);
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            SanteGateway.Server.Ror.RorRegistration.AddGatewayRor(builder.Services, rorOptions);
            await using var app = GatewayApp.Build(builder);
            var password = await GatewayApp.InitializeAsync(app.Services, ct).ConfigureAwait(false);
            if (password is not null)
            {
                Console.WriteLine($"santegw: created the account '{options.InitialAdminUserName}' with password: {password}");
            }

            Console.WriteLine($"santegw: synchronising the ROR mirror of {options.DataDirectory} from {rorOptions.FhirBase}");
            await using var scope = app.Services.CreateAsyncScope();
            var service = scope.ServiceProvider.GetRequiredService<RorSyncService>();
            var bar = new ProgressBar();
            var result = await service.RunAsync(mode, bar, ct).ConfigureAwait(false);
            bar.Done();
            switch (result.Status)
            {
                case RorSyncStatus.Succeeded:
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"santegw: {result.Kind} synchronisation done{(result.Resumed ? " (resumed)" : "")}: {result.Stored} stored, {result.Unchanged} unchanged, {result.Deleted} deleted"));
                    Console.WriteLine(ValidationLine(result));
                    return 0;
                case RorSyncStatus.Busy:
                    await Console.Error.WriteLineAsync(result.Error).ConfigureAwait(false);
                    return 3;
                default:
                    await Console.Error.WriteLineAsync($"santegw: {result.Kind} synchronisation failed: {result.Error} (a full load resumes where it stopped on the next run)").ConfigureAwait(false);
                    return 1;
            }
        });
        return cmd;
    }

    /// <summary>The validation counts of a run: <c>santegw: profile validation (Changed): 120 validated, 2 invalid in 1.4 s</c>.</summary>
    internal static string ValidationLine(RorSyncResult result)
    {
        if (result.ValidationMode == RorValidationMode.Off)
        {
            return "santegw: profile validation off" + (result.ValidationNote is { } why ? ": " + why : "");
        }

        return string.Create(CultureInfo.InvariantCulture,
            $"santegw: profile validation ({result.ValidationMode}): {result.Validated} validated, {result.Invalid} invalid{(result.ValidationPending > 0 ? $", {result.ValidationPending} pending" : "")} in {result.ValidationTime.TotalSeconds:F1} s{(result.ValidationNote is { } note ? " (" + note + ")" : "")}");
    }

    /// <summary>A one-line progress bar on a terminal; one line per phase when the output is redirected.</summary>
    private sealed class ProgressBar : IProgress<RorSyncProgress>
    {
        private readonly bool _terminal = !Console.IsErrorRedirected;
        private string? _lastPhase;
        private bool _drawn;

        public void Report(RorSyncProgress value)
        {
            if (!_terminal)
            {
                if (value.Phase != _lastPhase)
                {
                    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ror sync: {value.Kind} {value.Phase} ({value.Received} received)"));
                    _lastPhase = value.Phase;
                }

                return;
            }

            const int width = 30;
            var fraction = value.Expected is > 0 ? Math.Min(1.0, (double)value.Received / value.Expected.Value) : 0;
            var filled = (int)(fraction * width);
            var counter = value.Expected is > 0 ? $"{value.Received}/{value.Expected}" : value.Received.ToString(CultureInfo.InvariantCulture);
            Console.Error.Write(string.Create(CultureInfo.InvariantCulture, $"\r[{new string('#', filled)}{new string(' ', width - filled)}] {fraction,4:P0} {counter} {value.Kind} {value.Phase}    "));
            _drawn = true;
        }

        public void Done()
        {
            if (_drawn)
            {
                Console.Error.WriteLine();
            }
        }
    }
}
