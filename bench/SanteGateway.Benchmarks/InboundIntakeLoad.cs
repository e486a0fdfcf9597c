using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SanteGateway.Application;
using SanteGateway.Server;
using SanteGateway.Store;

namespace SanteGateway.Benchmarks;

/// <summary>
/// <c>inbound-intake</c>: the inbound gate's throughput — store, read, decide and commit — through <c>InboundService.ReceiveAsync</c>
/// (one DI scope per message, as per HTTP request), with N concurrent senders. Messages are the ANS ORU^R01 example for
/// distinct patients, half of them already known locally (attach on traits), half unknown (held for review).
/// <code>
/// dotnet run -c Release --project bench/SanteGateway.Benchmarks -- inbound-intake --provider sqlite --count 5000 --senders 4
/// dotnet run -c Release --project bench/SanteGateway.Benchmarks -- inbound-intake --provider postgres --connection "Host=127.0.0.1;Port=55999;Username=postgres;Database=santegw_inbound_bench"
/// dotnet run -c Release --project bench/SanteGateway.Benchmarks -- inbound-intake --transport mllp --count 2000 --senders 8
/// </code>
/// With <c>--transport mllp</c> the senders are MLLP connections over loopback to the gateway's own listener (configured with
/// the partner, <c>Hl7:Listener:Partner</c>): each sends the next message when the previous ACK arrives, and the ACK follows
/// the item's commit and decision.
/// </summary>
internal static class InboundIntakeLoad
{
    public static async Task<int> RunAsync(string[] args)
    {
        var provider = StoreProvider.Sqlite;
        var count = 5_000;
        var senders = 4;
        string? connection = null, shared = null;
        var transport = "service";
        var warmup = 500;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--provider": _ = StoreOptions.TryParseProvider(args[++i], out provider); break;
                case "--count": count = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--senders": senders = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--connection": connection = args[++i]; break;
                case "--shared": shared = args[++i]; break;
                case "--transport": transport = args[++i]; break;
                case "--warmup": warmup = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                default: throw new ArgumentException("unknown option " + args[i]);
            }
        }

        var dir = Path.Combine(Path.GetTempPath(), "santegw-inbound-bench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        var store = provider == StoreProvider.Postgres
            ? new StoreOptions { Provider = StoreProvider.Postgres, ConnectionString = connection ?? throw new ArgumentException("--connection is required for postgres") }
            : new StoreOptions { ConnectionString = GatewayStore.SqliteConnectionString(Path.Combine(dir, "inbound.db")) };
        var options = new GatewayOptions { DataDirectory = dir, RequireHttps = false, Store = store, InsPolicy = SanteGateway.Identity.InsPolicy.AllowTestAndDemo };
        var builder = GatewayApp.CreateBuilder([], options);
        var mllp = transport == "mllp";
        if (mllp)
        {
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Hl7:Listener:Port"] = "0", ["Hl7:Listener:Partner"] = "BENCH" });
            Microsoft.AspNetCore.Hosting.HostingAbstractionsWebHostBuilderExtensions.UseUrls(builder.WebHost, "http://127.0.0.1:0");
        }

        builder.Logging.SetMinimumLevel(Microsoft.Extensions.Logging.LogLevel.Warning);
        await using var app = GatewayApp.Build(builder);
        await GatewayApp.InitializeAsync(app.Services).ConfigureAwait(false);
        var template = File.ReadAllText(Path.Combine(shared ?? FindShared(), "data", "hl7v2", "oru-r01-cr-bio-init.hl7"));
        var admin = new Actor("bench", "cli", IsVigilance: true);
        var sender = new Actor("bench-partner", "api", IsVigilance: false);

        await using (var scope = app.Services.CreateAsyncScope())
        {
            var inbound = scope.ServiceProvider.GetRequiredService<InboundService>();
            (await inbound.PutPartnerAsync("BENCH", new InboundPartnerRequest("Bench lab", "1.2.250.1.999.1", null, "api", false, false, "VALI", true), admin, CancellationToken.None).ConfigureAwait(false)).Unwrap();
        }

        // Known patients (every other message), created before the clock starts.
        var names = Enumerable.Range(0, count).Select(Name).ToArray();
        for (var i = 0; i < count; i += 2)
        {
            await using var scope = app.Services.CreateAsyncScope();
            var identities = scope.ServiceProvider.GetRequiredService<IdentityService>();
            (await identities.CreateAsync(new CreateIdentityRequest(names[i], "DOMINIQUE", null, "F", "1979-03-28", "63220", null, null, null, null), admin, CancellationToken.None).ConfigureAwait(false)).Unwrap();
        }

        var messages = names.Select(n => Encoding.UTF8.GetBytes(template.Replace("PAT-TROIS", n, StringComparison.Ordinal).Replace("|N|VALI", "|N|PROV", StringComparison.Ordinal))).ToArray();
        var decisions = new System.Collections.Concurrent.ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        if (mllp)
        {
            await app.StartAsync().ConfigureAwait(false);
        }

        var port = mllp ? app.Services.GetRequiredService<SanteGateway.Server.Hl7.Hl7ListenerService>().LocalEndpoint!.Port : 0;

        async Task SendAllAsync(byte[][] batch, System.Collections.Concurrent.ConcurrentDictionary<string, int> outcomes)
        {
            var next = -1;
            await Task.WhenAll(Enumerable.Range(0, senders).Select(_ => Task.Run(async () =>
            {
                int i;
                if (mllp)
                {
                    await using var client = new SanteGateway.Interop.Hl7v2.Mllp.MllpClient(new SanteGateway.Interop.Hl7v2.Mllp.MllpClientOptions { Host = "127.0.0.1", Port = port, AckTimeout = TimeSpan.FromMinutes(2) });
                    while ((i = Interlocked.Increment(ref next)) < batch.Length)
                    {
                        var ack = await client.SendAsync(batch[i], null, CancellationToken.None).ConfigureAwait(false);
                        outcomes.AddOrUpdate(ack.Code ?? "none", 1, (_, c) => c + 1);
                    }

                    return;
                }

                while ((i = Interlocked.Increment(ref next)) < batch.Length)
                {
                    await using var scope = app.Services.CreateAsyncScope();
                    var inbound = scope.ServiceProvider.GetRequiredService<InboundService>();
                    var r = (await inbound.ReceiveAsync("BENCH", "x-application/hl7-v2+er7", batch[i], "api", sender, CancellationToken.None).ConfigureAwait(false)).Unwrap();
                    outcomes.AddOrUpdate(r.Decision ?? "pending", 1, (_, c) => c + 1);
                }
            }))).ConfigureAwait(false);
        }

        // Warm-up (tiered compilation, EF's query cache, connection pools): unknown patients, not counted.
        var warm = Enumerable.Range(0, warmup).Select(i => Encoding.UTF8.GetBytes(template.Replace("PAT-TROIS", "WARM" + Name(i), StringComparison.Ordinal).Replace("|N|VALI", "|N|PROV", StringComparison.Ordinal))).ToArray();
        await SendAllAsync(warm, new(StringComparer.Ordinal)).ConfigureAwait(false);

        // For a profiler attached to the measured window only (`dotnet-trace collect -p PID` once this line is out).
        await Console.Error.WriteLineAsync($"inbound-intake: measuring (pid {Environment.ProcessId})").ConfigureAwait(false);
        var sw = Stopwatch.StartNew();
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var gc0 = GC.CollectionCount(0);
        var commits0 = app.Services.GetRequiredService<InboundGroupCommit>().Commits;
        var database = provider == StoreProvider.Postgres && Directory.Exists("/proc") ? new Npgsql.NpgsqlConnectionStringBuilder(store.ConnectionString).Database : null;
        var backends0 = database is null ? null : ServerCpuSampler.Snapshot(database);
        await SendAllAsync(messages, decisions).ConfigureAwait(false);
        sw.Stop();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu0;
        var backends1 = database is null ? null : ServerCpuSampler.Snapshot(database);
        var gc = GC.CollectionCount(0) - gc0;
        var group = app.Services.GetRequiredService<InboundGroupCommit>();
        var transactions = group.Commits - commits0;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"inbound-intake {provider} transport={transport} count={count} senders={senders} gc={(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")}: {count / sw.Elapsed.TotalSeconds:F0} messages/s ({sw.Elapsed.TotalSeconds:F1} s, process CPU {cpu.TotalSeconds:F1} s = {cpu.TotalMilliseconds / count:F2} ms/message, load {File.ReadAllText("/proc/loadavg").Split(' ')[0]}); {transactions} decision commits ({(transactions == 0 ? 0 : count / (double)transactions):F1} messages each), {gc} gen0 GCs; decisions {string.Join(", ", decisions.OrderBy(d => d.Key).Select(d => $"{d.Key}={d.Value}"))}{BackendCpu(backends0, backends1, count)}"));
        if (mllp)
        {
            await app.StopAsync().ConfigureAwait(false);
        }

        // Every run ends with the audit chain checked: a faster save that breaks it does not count.
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var verification = await SanteGateway.Store.Audit.AuditTrail.VerifyAsync(scope.ServiceProvider.GetRequiredService<GatewayDbContext>()).ConfigureAwait(false);
            Console.WriteLine(verification.IsIntact ? $"audit chain intact ({verification.EventCount} events)" : $"AUDIT CHAIN BROKEN at {verification.FirstBrokenSequence}: {verification.Reason}");
            return verification.IsIntact ? 0 : 1;
        }
    }

    private static string BackendCpu(Dictionary<int, long>? before, Dictionary<int, long>? after, int count)
    {
        if (before is null || after is null || after.Count == 0)
        {
            return "";
        }

        var spent = ServerCpuSampler.Spent(before, after);
        return string.Create(CultureInfo.InvariantCulture, $"; PostgreSQL backends CPU {spent.TotalSeconds:F1} s = {spent.TotalMilliseconds / count:F2} ms/message ({after.Count} backends)");
    }

    private static string Name(int i)
    {
        var sb = new StringBuilder("BENCH-");
        do
        {
            sb.Append((char)('A' + (i % 26)));
            i /= 26;
        }
        while (i > 0);
        return sb.ToString();
    }

    private static string FindShared()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "SanteGateway.slnx")))
        {
            dir = dir.Parent;
        }

        return Path.GetFullPath(Path.Combine(dir?.FullName ?? ".", "..", "shared"));
    }
}
