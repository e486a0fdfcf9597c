using System.CommandLine;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SanteGateway.Application;
using SanteGateway.Application.Batch;
using SanteGateway.Server;
using SanteGateway.Server.Insi;

namespace SanteGateway.Cli;

/// <summary>
/// <c>santegw batch verify|search</c>: a batch job run in this process on the gateway's data folder (same database,
/// INSi settings and rules as <c>serve</c>; a running gateway on the same PostgreSQL database shares the job).
/// </summary>
internal sealed class BatchCommands : ICommandModule
{
    public Command Create()
    {
        var batch = new Command("batch", "Mass INSi verification or search, with progress and a CSV report.");
        batch.Subcommands.Add(Kind("verify", "Verify the INS of identities holding one."));
        batch.Subcommands.Add(Kind("search", "Look for the INS of identities without one (RECUP when the traits match)."));
        batch.Subcommands.Add(Resume());
        return batch;
    }

    private static Command Kind(string kind, string description)
    {
        var cmd = new Command(kind, description);
        var fromStore = new Option<string>("--from-store") { Description = "Store filter: status=VALI,QUAL;from=YYYY-MM-DD;to=YYYY-MM-DD;olderThan=DAYS (any part optional; 'all' for every identity)." };
        var input = new Option<string>("--input") { Description = "CSV file (UTF-8, ';' or ',', header names; see docs/operations.md)." };
        var output = new Option<string>("--output") { Description = "Report CSV to write (default: print the summary only)." };
        var rate = new Option<double?>("--rate") { Description = "Global INSi calls per second (0 = unlimited; default Batch:DefaultRatePerSecond)." };
        var concurrency = new Option<int?>("--concurrency") { Description = "Concurrent INSi calls." };
        var data = new Option<string>("--data") { Description = "Data folder (default $SANTEGW_DATA or ~/.santegw)." };
        var config = new Option<string>("--config") { Description = "Configuration file (default DATA/appsettings.json)." };
        var url = UrlOption();
        var apiKey = ApiKeyOption();
        foreach (var o in new Option[] { fromStore, input, output, rate, concurrency, data, config, url, apiKey })
        {
            cmd.Options.Add(o);
        }

        cmd.SetAction(async (parse, ct) =>
        {
            var filterText = parse.GetValue(fromStore);
            var file = parse.GetValue(input);
            if ((filterText is null) == (file is null))
            {
                await Console.Error.WriteLineAsync("santegw batch: give exactly one of --from-store FILTER or --input FILE.csv.").ConfigureAwait(false);
                return Program.UsageError;
            }

            StoreFilter? filter = null;
            if (filterText is not null && !TryParseFilter(filterText, out filter, out var filterError))
            {
                await Console.Error.WriteLineAsync("santegw batch: --from-store: " + filterError).ConfigureAwait(false);
                return Program.UsageError;
            }

            if (parse.GetValue(url) is { } gatewayUrl)
            {
                return await RemoteBatch.CreateAndFollowAsync(
                    gatewayUrl, parse.GetValue(apiKey), new CreateBatchJobRequest(kind, filter, null, file is null ? null : Path.GetFileName(file), parse.GetValue(rate), parse.GetValue(concurrency)),
                    file, parse.GetValue(output), ct).ConfigureAwait(false);
            }

            var (local, error) = await LocalGateway.StartAsync(parse.GetValue(data), parse.GetValue(config), ct).ConfigureAwait(false);
            if (local is null)
            {
                await Console.Error.WriteLineAsync(error).ConfigureAwait(false);
                return Program.UsageError;
            }

            await using var localLifetime = local;
            var app = local.App;
            byte[]? csv = file is null ? null : await File.ReadAllBytesAsync(file, ct).ConfigureAwait(false);
            BatchJobView job;
            await using (var scope = app.Services.CreateAsyncScope())
            {
                var created = await scope.ServiceProvider.GetRequiredService<BatchService>()
                    .CreateAsync(new CreateBatchJobRequest(kind, filter, csv, file is null ? null : Path.GetFileName(file), parse.GetValue(rate), parse.GetValue(concurrency)), Actor.Process(Environment.UserName, "cli"), ct)
                    .ConfigureAwait(false);
                if (!created.IsSuccess)
                {
                    await Console.Error.WriteLineAsync($"santegw batch: {created.Error!.Rule}: {created.Error.Message}").ConfigureAwait(false);
                    return Program.UsageError;
                }

                job = created.Value!;
            }

            // The file is stored as the job's items: let the GC have it before the run bounds the heap.
            csv = null;
            Console.WriteLine($"santegw: job {job.Id} ({kind}, {job.Total} items, rate {(job.RatePerSecond <= 0 ? "unlimited" : job.RatePerSecond.ToString(CultureInfo.InvariantCulture) + "/s")})");
            return await FollowAsync(app.Services, job.Id, parse.GetValue(output), ct).ConfigureAwait(false);
        });
        return cmd;
    }

    private static Command Resume()
    {
        var cmd = new Command("resume", "Continue a job that stopped (process killed, gateway stopped, job paused) until it ends.");
        var job = new Argument<Guid>("job") { Description = "Job id (printed when the job was created; GET /api/jobs lists them)." };
        var output = new Option<string>("--output") { Description = "Report CSV to write when the job ends." };
        var data = new Option<string>("--data") { Description = "Data folder (default $SANTEGW_DATA or ~/.santegw)." };
        var config = new Option<string>("--config") { Description = "Configuration file (default DATA/appsettings.json)." };
        var url = UrlOption();
        var apiKey = ApiKeyOption();
        cmd.Arguments.Add(job);
        foreach (var o in new Option[] { output, data, config, url, apiKey })
        {
            cmd.Options.Add(o);
        }

        cmd.SetAction(async (parse, ct) =>
        {
            var id = parse.GetValue(job);
            if (parse.GetValue(url) is { } gatewayUrl)
            {
                return await RemoteBatch.ResumeAndFollowAsync(gatewayUrl, parse.GetValue(apiKey), id, parse.GetValue(output), ct).ConfigureAwait(false);
            }

            var (local, error) = await LocalGateway.StartAsync(parse.GetValue(data), parse.GetValue(config), ct).ConfigureAwait(false);
            if (local is null)
            {
                await Console.Error.WriteLineAsync(error).ConfigureAwait(false);
                return Program.UsageError;
            }

            await using var localLifetime = local;
            var app = local.App;
            await using (var scope = app.Services.CreateAsyncScope())
            {
                var svc = scope.ServiceProvider.GetRequiredService<BatchService>();
                var current = await svc.GetAsync(id, ct).ConfigureAwait(false);
                if (!current.IsSuccess)
                {
                    await Console.Error.WriteLineAsync($"santegw batch: {current.Error!.Rule}: {current.Error.Message}").ConfigureAwait(false);
                    return Program.UsageError;
                }

                if (current.Value!.Status == BatchStatuses.Paused)
                {
                    (await svc.ResumeAsync(id, ct).ConfigureAwait(false)).Unwrap();
                }
            }

            Console.WriteLine($"santegw: resuming job {id}");
            return await FollowAsync(app.Services, id, parse.GetValue(output), ct).ConfigureAwait(false);
        });
        return cmd;
    }

    /// <summary>The gateway's services in this process (no HTTP), on a data folder, composed as <c>serve</c> composes them
    /// (INSi and its sandbox when configured).</summary>
    private sealed class LocalGateway(Microsoft.AspNetCore.Builder.WebApplication app, GatewayComposition composition) : IAsyncDisposable
    {
        public Microsoft.AspNetCore.Builder.WebApplication App => app;

        public static async Task<(LocalGateway? Gateway, string? Error)> StartAsync(string? data, string? config, CancellationToken ct)
        {
            var (options, cfg, error) = GatewaySettings.Resolve(data, config, null, null, null);
            if (options is null)
            {
                return (null, error);
            }

            var (composition, compositionError) = await GatewayComposition.PrepareAsync(cfg!, options, documentsAndRor: false, ct).ConfigureAwait(false);
            if (composition is null)
            {
                return (null, compositionError);
            }

            // The progress line is the batch's output: a log line per call and per change would bury it (and cost more
            // than the change itself at a thousand items a second). Warnings still show; Logging:LogLevel overrides.
            composition.Builder.Logging.SetMinimumLevel(LogLevel.Warning);
            // The services alone: no HTTP pipeline, endpoints or web UI to map (their types, code and assemblies would
            // stay loaded for the whole run without serving anything).
            var gateway = new LocalGateway(composition.Builder.Build(), composition);
            try
            {
                await GatewayApp.InitializeAsync(gateway.App.Services, ct).ConfigureAwait(false);
                return (gateway, null);
            }
            catch
            {
                await gateway.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }

        public async ValueTask DisposeAsync()
        {
            await app.DisposeAsync().ConfigureAwait(false);
            await composition.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static Option<string> UrlOption() =>
        new("--url") { Description = "Run on a running gateway (e.g. https://gw:5443) through its API instead of on a data folder." };

    private static Option<string> ApiKeyOption() =>
        new("--api-key") { Description = "API key for --url (identity-vigilance or admin role; default $SANTEGW_API_KEY)." };

    /// <summary>
    /// Works on the job in this process until it ends (done, paused or cancelled), with a progress line. Items another
    /// worker leased are waited for: once that worker's lease expires (it died), this process takes them over.
    /// </summary>
    private static async Task<int> FollowAsync(IServiceProvider services, Guid jobId, string? output, CancellationToken ct)
    {
        var runner = services.GetRequiredService<BatchRunner>();
        // From here on this process only runs the job (a CSV input is stored and released): its heap may be bounded
        // when the operator asked for it (off by default: docs/operations.md, "Memory of a local run").
        var batchOptions = services.GetRequiredService<IOptions<BatchOptions>>().Value;
        // Never below what a chunk in flight may hold (≈ 64 KB an item, generous: ≈ 10 KB measured) over a 32 MB base.
        var heapLimit = batchOptions.LocalHeapLimitMB <= 0 ? 0 : Math.Max(batchOptions.LocalHeapLimitMB, 32 + (batchOptions.ChunkSize / 16));
        if (ProcessMemory.LimitManagedHeap(heapLimit) is { } limit)
        {
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"santegw: managed heap limited to {limit / (1024 * 1024)} MB for this run (Batch:LocalHeapLimitMB)"));
        }

        var started = DateTime.UtcNow;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var progress = Task.Run(
            async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    try
                    {
                        // Counting a million-item job is not free: after the first minute the line is refreshed every five seconds.
                        await Task.Delay(DateTime.UtcNow - started < TimeSpan.FromMinutes(1) ? 1000 : 5000, stop.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }

                    var view = await ViewAsync(services, jobId, CancellationToken.None).ConfigureAwait(false);
                    Console.Error.Write("\r" + Line(view, started));
                    // Native memory freed by the exchanges and chunk writes since the last refresh goes back to the system.
                    ProcessMemory.TrimNativeHeap();
                }
            },
            CancellationToken.None);
        var worker = $"cli:{Environment.ProcessId}:{Guid.NewGuid():N}";
        BatchJobView final;
        try
        {
            while (true)
            {
                await runner.RunAsync(jobId, worker, ct).ConfigureAwait(false);
                final = await ViewAsync(services, jobId, ct).ConfigureAwait(false);
                if (final.Status != BatchStatuses.Running)
                {
                    break;
                }

                // Still running with nothing to claim: items leased by another (perhaps dead) worker.
                await Task.Delay(TimeSpan.FromMilliseconds(500), ct).ConfigureAwait(false);
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await progress.ConfigureAwait(false);
        }

        WriteSummary(final, started);
        WriteTimings(services.GetRequiredService<BatchMetrics>());
        if (output is not null)
        {
            await using var w = new StreamWriter(output, false, new UTF8Encoding(false));
            await using var scope = services.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<BatchService>().WriteReportAsync(final.Id, w, ct).ConfigureAwait(false);
            Console.WriteLine($"santegw: report written to {output}");
        }

        return final.Status == BatchStatuses.Done ? 0 : 1;
    }

    private static async Task<BatchJobView> ViewAsync(IServiceProvider services, Guid id, CancellationToken ct)
    {
        await using var scope = services.CreateAsyncScope();
        return (await scope.ServiceProvider.GetRequiredService<BatchService>().GetAsync(id, ct).ConfigureAwait(false)).Unwrap();
    }

    /// <summary>
    /// Where this process's time went (stderr): on SQLite the chunk writes are the serial step of a job, so their share of
    /// the wall clock says whether more concurrency can help.
    /// </summary>
    private static void WriteTimings(BatchMetrics m)
    {
        if (m.WrittenChunks == 0)
        {
            return;
        }

        var perItem = m.WrittenItems == 0 ? 0 : m.WriteTime.TotalMilliseconds / m.WrittenItems;
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"santegw: this process wrote {m.WrittenChunks} chunks ({m.WrittenItems} items) in {m.WriteTime.TotalSeconds:0.0} s ({perItem:0.000} ms per item); call phases {m.CallTime.TotalSeconds:0.0} s"));
    }

    /// <summary>The last progress line (stderr) and the outcome line (stdout) of a followed job, local or remote.</summary>
    internal static void WriteSummary(BatchJobView v, DateTime started)
    {
        Console.Error.WriteLine("\r" + Line(v, started));
        Console.WriteLine($"santegw: job {v.Id} {v.Status}: {v.Done}/{v.Total} — " + string.Join(", ", v.Counts.Select(kv => $"{kv.Key} {kv.Value}")));
    }

    /// <summary>One progress line: done/total, rate, ETA and the non-zero outcome counts.</summary>
    internal static string Line(BatchJobView v, DateTime started)
    {
        var seconds = Math.Max(0.001, (DateTime.UtcNow - started).TotalSeconds);
        var rate = v.Done / seconds;
        var eta = rate > 0 ? TimeSpan.FromSeconds((v.Total - v.Done) / rate) : (TimeSpan?)null;
        var counts = string.Join(" ", v.Counts.Where(kv => kv.Value > 0).Select(kv => $"{kv.Key}={kv.Value}"));
        return string.Create(CultureInfo.InvariantCulture, $"{v.Done}/{v.Total}  {rate:0.0}/s  ETA {(eta is { } e ? e.ToString(@"hh\:mm\:ss", CultureInfo.InvariantCulture) : "--:--:--")}  {counts}   ");
    }

    /// <summary>Reads <c>status=VALI,QUAL;from=2024-01-01;to=2024-12-31;olderThan=365</c> (or <c>all</c>).</summary>
    internal static bool TryParseFilter(string text, out StoreFilter? filter, out string error)
    {
        filter = new StoreFilter();
        error = "";
        if (text.Trim().Equals("all", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        foreach (var part in text.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var kv = part.Split('=', 2, StringSplitOptions.TrimEntries);
            var value = kv.Length == 2 ? kv[1] : "";
            switch (kv[0].ToLowerInvariant())
            {
                case "status":
                    filter = filter with { Status = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s => s.ToUpperInvariant()).ToList() };
                    break;
                case "from" when DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var from):
                    filter = filter with { CreatedFrom = from };
                    break;
                case "to" when DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var to):
                    filter = filter with { CreatedTo = to };
                    break;
                case "olderthan" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var days):
                    filter = filter with { VerifiedBeforeDays = days };
                    break;
                default:
                    error = $"'{part}' is not status=…, from=YYYY-MM-DD, to=YYYY-MM-DD or olderThan=DAYS.";
                    filter = null;
                    return false;
            }
        }

        return true;
    }
}
