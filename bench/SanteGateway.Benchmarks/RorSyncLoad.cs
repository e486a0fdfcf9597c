using System.Diagnostics;
using System.Globalization;
using Hl7.Fhir.Model;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SanteGateway.Application;
using SanteGateway.Ror;
using SanteGateway.Ror.Sandbox;
using SanteGateway.Server.Ror;
using SanteGateway.Store;

namespace SanteGateway.Benchmarks;

/// <summary>
/// <c>ror-sync</c>: the ROR sandbox (mutual TLS) generates N offers with their organisations, locations, professionals and
/// roles; a fresh gateway database (real migrations) is filled by a full synchronisation from <c>$export</c>; then
/// <c>--changes</c> offers are changed in the sandbox and a delta is timed; then the local search is measured (one context
/// per query, like an HTTP request): p50/p95/max by activity, commune and name. Prints peak working set.
/// <code>
/// dotnet run -c Release --project bench/SanteGateway.Benchmarks -- ror-sync --offers 10000 [--changes 1000] [--batch 500] [--provider postgres --connection "…"]
///     [--sandbox-process] [--validate [IG-DIR]] [--validation-mode Off|Sample|Changed|All] [--validation-parallelism N]
/// </code>
/// </summary>
internal static class RorSyncLoad
{
    public static async Task<int> RunAsync(string[] args)
    {
        var offers = 10_000;
        var changes = 1_000;
        var batch = new RorSyncOptions().BatchSize;
        var provider = StoreProvider.Sqlite;
        string? connection = null;
        var separate = false;
        string? validate = null;
        var validationMode = new RorValidationOptions().Mode;
        var validationParallelism = new RorValidationOptions().Parallelism;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--offers": offers = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--changes": changes = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--provider": _ = StoreOptions.TryParseProvider(args[++i], out provider); break;
                case "--connection": connection = args[++i]; break;
                case "--batch": batch = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--sandbox-process": separate = true; break;
                case "--validate": validate = i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal) ? args[++i] : DefaultIg(); break;
                case "--validation-mode": validationMode = Enum.Parse<RorValidationMode>(args[++i], ignoreCase: true); break;
                case "--validation-parallelism": validationParallelism = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                default: throw new ArgumentException("unknown option " + args[i]);
            }
        }

        var dir = Path.Combine(Path.GetTempPath(), "santegw-ror-bench-" + Environment.ProcessId);
        Directory.CreateDirectory(dir);
        var store = provider == StoreProvider.Postgres
            ? new StoreOptions { Provider = StoreProvider.Postgres, ConnectionString = connection ?? throw new ArgumentException("--connection is required for postgres") }
            : new StoreOptions { ConnectionString = GatewayStore.SqliteConnectionString(Path.Combine(dir, "ror.db")) };
        await using (var db = GatewayStore.CreateContext(store))
        {
            await db.Database.MigrateAsync();
            await db.RorResources.ExecuteDeleteAsync();
            await db.RorSearchKeys.ExecuteDeleteAsync();
            await db.RorSearchWords.ExecuteDeleteAsync();
            await db.RorSyncStates.ExecuteUpdateAsync(s => s.SetProperty(x => x.SinceTicks, 0L).SetProperty(x => x.Phase, "idle").SetProperty(x => x.ExportJob, (string?)null));
        }

        var sw = Stopwatch.StartNew();
        RorSandboxServer? sandbox = null;
        Process? child = null;
        RorClientOptions clientOptions;
        if (separate)
        {
            // The national ROR runs elsewhere: with the sandbox in its own process, this process's CPU and memory are the
            // gateway's synchronisation alone.
            (child, clientOptions) = await StartSandboxProcessAsync(Path.Combine(dir, "pki"), offers);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"sandbox process {child.Id}: ready in {sw.Elapsed.TotalSeconds:F1} s"));
        }
        else
        {
            sandbox = await RorSandboxServer.StartAsync(new RorSandboxOptions
            {
                PkiDirectory = Path.Combine(dir, "pki"), GeneratedOffers = offers, LoadExamples = false, ExportPollsBeforeReady = 0, MaxCount = 1000,
            });
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"sandbox: {sandbox.Handler.Data.Count} resources generated in {sw.Elapsed.TotalSeconds:F1} s"));
            clientOptions = sandbox.ClientOptions();
        }

        await using var stopSandbox = new SandboxStopper(sandbox, child);
        clientOptions.ExportPollInterval = TimeSpan.FromMilliseconds(100);
        using var client = RorClient.Create(clientOptions);
        var port = new RorClientPort(client, NullLogger<RorClientPort>.Instance);

        // With --validate, the gateway's validator (Firely, official ROR profiles) in the given mode; the profiles are loaded
        // and compiled before the timed runs (the gateway pays that once, on its first validation).
        FirelyRorResourceValidator? validator = null;
        var validation = new RorValidationOptions { Mode = validationMode, Parallelism = validationParallelism };
        if (validate is not null)
        {
            validation.Definitions.Add(validate);
            validator = new FirelyRorResourceValidator(Options.Create(validation), NullLogger<FirelyRorResourceValidator>.Instance);
            var load = Stopwatch.StartNew();
            _ = validator.Profiles;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"validation: mode {validationMode}, sample {validation.SampleRate:P0}, {validation.Parallelism} at once; ROR profiles loaded in {load.Elapsed.TotalSeconds:F1} s from {validate}"));
        }
        else
        {
            Console.WriteLine("validation: none (no validator; --validate [DIR] runs the Firely validator with the ROR profiles)");
        }

        Console.WriteLine("load average: " + LoadAverage());

        async Task<(RorSyncResult Result, TimeSpan Time)> RunAsync(RorSyncMode mode)
        {
            await using var db = GatewayStore.CreateContext(store);
            var service = new RorSyncService(db, port, Options.Create(new RorSyncOptions { BatchSize = batch }), TimeProvider.System, NullLogger<RorSyncService>.Instance,
                validator, Options.Create(validation));
            var t = Stopwatch.StartNew();
            var r = await service.RunAsync(mode);
            return (r, t.Elapsed);
        }

        GC.Collect();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var sandboxCpu = SandboxCpu(child);
        var (full, fullTime) = await RunAsync(RorSyncMode.Full);
        var fullCpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        if (child is not null)
        {
            // The sandbox serving $export (its own process): what the national ROR would spend, reported apart.
            var served = SandboxCpu(child) - sandboxCpu;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"full: sandbox process CPU {served.TotalSeconds:F1} s = {served.TotalMilliseconds * 1000 / Math.Max(1, full.Stored):F0} µs/resource; gateway {fullCpu.TotalMilliseconds * 1000 / Math.Max(1, offers):F0} µs/offer, sandbox {served.TotalMilliseconds * 1000 / Math.Max(1, offers):F0} µs/offer"));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"full: {full.Status} {full.Stored} resources in {fullTime.TotalSeconds:F1} s = {full.Stored / fullTime.TotalSeconds:F0}/s ({offers} offers); peak working set {Process.GetCurrentProcess().PeakWorkingSet64 / 1024 / 1024} MB; process CPU {fullCpu.TotalSeconds:F1} s = {fullCpu.TotalMilliseconds * 1000 / Math.Max(1, full.Stored):F0} µs/resource ({(separate ? "gateway + SQLite when used; sandbox in its own process" : "client + sandbox + SQLite when used")}) {full.Error}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"full: of which validation {full.ValidationTime.TotalSeconds:F1} s ({full.Validated} validated, {full.Invalid} invalid, {full.ValidationPending} pending, mode {full.ValidationMode}) {full.ValidationNote}; load average {LoadAverage()}"));
        if (sandbox is null)
        {
            Console.WriteLine("delta: not measured with --sandbox-process (changes are made in the in-process sandbox)");
            await SearchesAsync(store);
            return 0;
        }


        var ids = sandbox.Handler.Data.All("HealthcareService").Take(changes).Select(r => r.Id!).ToList();
        foreach (var id in ids)
        {
            var copy = (HealthcareService)sandbox.Handler.Data.Get("HealthcareService", id)!.DeepCopy();
            copy.Name += " (modifiée)";
            sandbox.Handler.Data.Touch(copy);
        }

        cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var (delta, deltaTime) = await RunAsync(RorSyncMode.Delta);
        var deltaCpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"delta: {delta.Status} {delta.Stored} changed stored ({delta.Unchanged} unchanged re-read) in {deltaTime.TotalSeconds:F2} s; process CPU {deltaCpu.TotalSeconds:F1} s; {delta.Validated} validated in {delta.ValidationTime.TotalSeconds:F2} s {delta.Error}"));

        await SearchesAsync(store);
        return 0;
    }

    private static TimeSpan SandboxCpu(Process? child)
    {
        if (child is null)
        {
            return TimeSpan.Zero;
        }

        child.Refresh();
        return child.TotalProcessorTime;
    }

    private static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "?";
        }
    }

    /// <summary>The ROR IG 0.1.0 in shared/ (next to the repository, or above the current directory).</summary>
    private static string DefaultIg()
    {
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            foreach (var candidate in new[] { Path.Combine(dir.FullName, "shared"), Path.Combine(dir.FullName, "..", "shared") })
            {
                var ig = Path.Combine(candidate, "data", "fhir", "ror", "ROR-IG_0.1.0");
                if (Directory.Exists(ig))
                {
                    return Path.GetFullPath(ig);
                }
            }
        }

        throw new ArgumentException("--validate: the ROR IG folder was not found; give it: --validate DIR");
    }

    private static async System.Threading.Tasks.Task SearchesAsync(StoreOptions store)
    {
        var queries = new List<(string Name, RorOfferQuery Query)>
        {
            ("activity", new RorOfferQuery { Activity = "140" }),
            ("specialty", new RorOfferQuery { Specialty = "psychiatrie" }),
            ("commune code", new RorOfferQuery { Commune = "69123" }),
            ("commune name", new RorOfferQuery { Commune = "Bord" }),
            ("name", new RorOfferQuery { Name = "centre hospitalier lyon" }),
            ("activity+commune", new RorOfferQuery { Activity = "227", Commune = "75056" }),
        };
        foreach (var (name, query) in queries)
        {
            var times = new List<double>();
            var total = 0;
            for (var i = 0; i < 30; i++)
            {
                await using var db = GatewayStore.CreateContext(store);
                var t = Stopwatch.StartNew();
                total = (await new RorDirectory(db, TimeProvider.System).SearchOffersAsync(query)).Total;
                times.Add(t.Elapsed.TotalMilliseconds);
            }

            times.Sort();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"search {name,-18} {total,6} hits  p50 {times[times.Count / 2]:F1} ms  p95 {times[(int)(times.Count * 0.95)]:F1} ms  max {times[^1]:F1} ms"));
        }

    }

    private static async System.Threading.Tasks.Task<(Process Child, RorClientOptions Options)> StartSandboxProcessAsync(string pki, int offers)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "santegw.dll"), "sandbox", "ror", "--pki", pki, "--offers", offers.ToString(CultureInfo.InvariantCulture), "--max-results", "1000" })
        {
            start.ArgumentList.Add(a);
        }

        var child = Process.Start(start) ?? throw new InvalidOperationException("the sandbox process did not start");
        child.ErrorDataReceived += (_, e) => { };
        child.BeginErrorReadLine();
        string? fhir = null, token = null, capacity = null, ca = null;
        while (await child.StandardOutput.ReadLineAsync() is { } line)
        {
            static string After(string l, string p) => l[(l.IndexOf(p, StringComparison.Ordinal) + p.Length)..].Trim();
            if (line.StartsWith("ROR sandbox FHIR base:", StringComparison.Ordinal))
            {
                fhir = After(line, "base:");
            }
            else if (line.StartsWith("Token endpoint:", StringComparison.Ordinal))
            {
                token = After(line, "endpoint:");
            }
            else if (line.StartsWith("Capacity base:", StringComparison.Ordinal))
            {
                capacity = After(line, "base:");
            }
            else if (line.StartsWith("Trust:", StringComparison.Ordinal))
            {
                ca = After(line, "Trust:").Split(';')[0].Trim();
                break;
            }
        }

        if (fhir is null || token is null || ca is null)
        {
            throw new InvalidOperationException("the sandbox process did not print its endpoints");
        }

        var options = new RorClientOptions
        {
            FhirBase = new Uri(fhir),
            TokenEndpoint = new Uri(token),
            CapacityBase = capacity is null ? null : new Uri(capacity),
            ClientId = RorSandboxOptions.DefaultMtlsClientId,
            AccessProfile = 1,
            ClientCertificatePath = Path.Combine(pki, SanteGateway.Ror.Sandbox.Pki.RorSandboxPki.ClientP12File),
            ClientCertificatePassword = (await File.ReadAllTextAsync(Path.Combine(pki, SanteGateway.Ror.Sandbox.Pki.RorSandboxPki.PasswordFile))).Trim(),
            AttemptTimeout = TimeSpan.FromSeconds(120),
        };
        options.TrustedCaPaths.Add(ca);
        return (child, options);
    }

    private sealed class SandboxStopper(RorSandboxServer? sandbox, Process? child) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            if (sandbox is not null)
            {
                await sandbox.DisposeAsync();
            }

            if (child is not null)
            {
                child.Kill(entireProcessTree: true);
                await child.WaitForExitAsync();
                child.Dispose();
            }
        }
    }
}
