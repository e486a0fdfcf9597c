using System.Diagnostics;
using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SanteGateway.Identity;
using SanteGateway.Interop.Hl7v2.Er7;
using SanteGateway.Interop.Hl7v2.Mllp;
using SanteGateway.Interop.Hl7v2.Pam;
using SanteGateway.Server.Hl7;
using SanteGateway.Store;

namespace SanteGateway.Benchmarks;

/// <summary>
/// <c>hl7-throughput [--messages N] [--connections C,…]</c>: (1) parse + PAM identity extraction per second on one thread, wall clock and
/// CPU time; (2) MLLP intake: messages per second sent by C loopback clients (one at a time per connection, each waiting for its
/// ACK) to the gateway's listener with <see cref="StoreReceivedMessageHandler"/> committing every message to a fresh SQLite file
/// before the ACK — what <c>santegw serve</c> does with <c>Hl7:Listener:Port</c>. Client and listener share the process and cores.
/// </summary>
internal static class Hl7Throughput
{
    public static async Task<int> RunAsync(string[] args)
    {
        var messages = 20_000;
        var connections = new[] { 1, 4, 16 };
        for (var i = 0; i < args.Length - 1; i++)
        {
            if (args[i] == "--messages")
            {
                messages = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
            }
            else if (args[i] == "--connections")
            {
                connections = args[i + 1].Split(',').Select(c => int.Parse(c, CultureInfo.InvariantCulture)).ToArray();
            }
        }

        var adt = File.ReadAllBytes(Shared.File("data", "hl7v2", "adt-dmp-consent.er7"));
        var pam = new PamReadOptions { InsPolicy = InsPolicy.AllowTestAndDemo };
        Measure("HL7 parse + PAM identity (ADT^A01, 1.35 kB)", () => PamIdentityReader.Read(Hl7Reader.Read(adt), pam)?.Ins?.Matricule.Value, 200_000);
        Measure("HL7 parse only", () => Hl7Reader.Read(adt).Segments.Count, 200_000);

        foreach (var c in connections)
        {
            await IntakeAsync(adt, messages, c).ConfigureAwait(false);
        }

        return 0;
    }

    private static async Task IntakeAsync(byte[] adt, int messages, int connections)
    {
        var dir = Directory.CreateTempSubdirectory("santegw-mllp-bench-").FullName;
        try
        {
            var store = new StoreOptions { Provider = StoreProvider.Sqlite, ConnectionString = GatewayStore.SqliteConnectionString(Path.Combine(dir, "santegw.db")) };
            await using (var db = GatewayStore.CreateContext(store))
            {
                await db.Database.MigrateAsync().ConfigureAwait(false);
            }

            var services = new ServiceCollection();
            services.AddLogging();
            services.AddGatewayStore(store);
            await using var provider = services.BuildServiceProvider();
            var handler = new StoreReceivedMessageHandler(provider.GetRequiredService<IServiceScopeFactory>(), InsPolicy.AllowTestAndDemo);
            await using var listener = new MllpListener(new MllpListenerOptions { Port = 0, MaxConnections = 256 }, handler);
            listener.Start();
            var port = listener.LocalEndpoint.Port;
            var controlId = Hl7Reader.Read(adt).Msh.ControlId;
            var clients = Enumerable.Range(0, connections).Select(_ => new MllpClient(new MllpClientOptions { Host = "127.0.0.1", Port = port })).ToList();
            foreach (var client in clients)
            {
                (await client.SendAsync(adt, controlId).ConfigureAwait(false)).IsAccepted.Should(true); // warm: connection, EF model, SQLite pages
            }

            var perClient = messages / connections;
            var process = Process.GetCurrentProcess();
            process.Refresh();
            var cpu = process.TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            var latencies = new double[perClient * connections];
            await Task.WhenAll(clients.Select((client, k) => Task.Run(async () =>
            {
                for (var i = 0; i < perClient; i++)
                {
                    var t = Stopwatch.GetTimestamp();
                    var ack = await client.SendAsync(adt, controlId).ConfigureAwait(false);
                    latencies[(k * perClient) + i] = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
                    if (!ack.IsAccepted)
                    {
                        throw new InvalidOperationException($"NAK {ack.Code}");
                    }
                }
            }))).ConfigureAwait(false);
            sw.Stop();
            process.Refresh();
            var cpuUsed = process.TotalProcessorTime - cpu;
            foreach (var client in clients)
            {
                await client.DisposeAsync().ConfigureAwait(false);
            }

            await using var check = GatewayStore.CreateContext(store);
            var stored = await check.ReceivedMessages.CountAsync().ConfigureAwait(false);
            Array.Sort(latencies);
            var n = perClient * connections;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"MLLP intake, {connections} connection(s): {n / sw.Elapsed.TotalSeconds:F0} msg/s wall, {n / cpuUsed.TotalSeconds:F0} msg/s per CPU-second (client + listener + SQLite), "
                + $"p50 {latencies[n / 2]:F2} ms, p99 {latencies[(int)(n * 0.99)]:F2} ms, max {latencies[^1]:F1} ms; rows stored {stored} (= {n} + {connections} warm-up)"));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }

    private static void Should(this bool value, bool expected)
    {
        if (value != expected)
        {
            throw new InvalidOperationException("Warm-up message not accepted.");
        }
    }

    private static void Measure(string name, Func<object?> op, int n)
    {
        for (var i = 0; i < n / 10; i++)
        {
            op();
        }

        var process = Process.GetCurrentProcess();
        process.Refresh();
        var cpu = process.TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        for (var i = 0; i < n; i++)
        {
            op();
        }

        sw.Stop();
        process.Refresh();
        var cpuUsed = process.TotalProcessorTime - cpu;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}: {n / sw.Elapsed.TotalSeconds:F0}/s wall ({sw.Elapsed.TotalMicroseconds / n:F1} µs), "
            + $"{n / cpuUsed.TotalSeconds:F0}/s of CPU time ({cpuUsed.TotalMicroseconds / n:F1} µs)"));
    }

    private static class Shared
    {
        public static string File(params string[] parts)
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !System.IO.File.Exists(Path.Combine(dir.FullName, "SanteGateway.slnx")))
            {
                dir = dir.Parent;
            }

            var shared = Environment.GetEnvironmentVariable("SANTEGW_SHARED")
                ?? Path.Combine(dir?.FullName ?? throw new DirectoryNotFoundException("SanteGateway.slnx not found."), "..", "shared");
            return Path.Combine([shared, .. parts]);
        }
    }
}
