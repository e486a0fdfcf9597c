using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;
using SanteGateway.Application;
using SanteGateway.Application.Batch;
using SanteGateway.Server;
using SanteGateway.Store;

namespace SanteGateway.Benchmarks;

/// <summary>
/// <c>store-search</c>: fills a gateway database (real schema, created by the migrations) with N identities of
/// <see cref="RealisticIdentities"/> through the real bulk import (<see cref="IdentityImporter"/>: every row validated,
/// COPY on PostgreSQL), then measures, one DI scope per call as per HTTP request, the queries the front desk and the
/// inbound flows run: search by birth name + birth date, by birth name only, by name prefix, potential duplicates of a
/// stored identity, INS lookup and partner-identifier lookup; prints p50/p95/p99/max, and with <c>--explain</c> the
/// plan of every SQL statement each query runs (captured by an EF Core interceptor and re-run under
/// <c>EXPLAIN (ANALYZE, BUFFERS)</c> / <c>EXPLAIN QUERY PLAN</c> with the same parameters).
/// <code>
/// dotnet run -c Release --project bench/SanteGateway.Benchmarks -- store-search --provider sqlite --count 1000000 --db /tmp/santegw-1m.db
/// dotnet run -c Release --project bench/SanteGateway.Benchmarks -- store-search --provider postgres --count 10000000 --connection "Host=127.0.0.1;Port=55999;Username=postgres;Database=mine" [--worst] [--explain] [--import-only] [--copy-segment ROWS]
/// </code>
/// </summary>
internal static class StoreSearchLoad
{
    private const string Authority = "1.2.250.1.999.42.1";

    public static async Task<int> RunAsync(string[] args)
    {
        var provider = StoreProvider.Sqlite;
        var count = 1_000_000;
        var searches = 2_000;
        string? db = null, connection = null;
        var explain = false;
        var worst = false;
        var importOnly = false;
        string? csvPath = null;
        int? copySegment = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--provider": _ = StoreOptions.TryParseProvider(args[++i], out provider); break;
                case "--count": count = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--searches": searches = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--db": db = args[++i]; break;
                case "--connection": connection = args[++i]; break;
                case "--explain": explain = true; break;
                case "--worst": worst = true; break;
                case "--import-only": importOnly = true; break;
                case "--write-csv": csvPath = args[++i]; break;
                case "--copy-segment": copySegment = int.Parse(args[++i], CultureInfo.InvariantCulture); break; // rows per COPY identities (1 = one per chunk, as before import9)
                case "--parse-csv": return ParseCsv(args[++i]);
                default: throw new ArgumentException("unknown option " + args[i]);
            }
        }

        if (csvPath is not null)
        {
            // The same identities as a file for `santegw import identities` (the CLI's CSV path measured apart).
            await using var csv = new StreamWriter(csvPath, append: false, new System.Text.UTF8Encoding(false));
            string[] columns = ["localid", "birthname", "birthfirstnames", "sex", "birthdate", "birthplacecog", "usedname", "ins"];
            await csv.WriteLineAsync("localId;birthName;birthFirstNames;sex;birthDate;birthPlaceCog;usedName;ins").ConfigureAwait(false);
            foreach (var row in new RealisticIdentities(worst).Generate(count, seed: 11))
            {
                await csv.WriteLineAsync(string.Join(';', columns.Select(c => row.GetValueOrDefault(c, "")))).ConfigureAwait(false);
            }

            return 0;
        }

        var dir = Path.Combine(Path.GetTempPath(), "santegw-store-search");
        Directory.CreateDirectory(dir);
        var store = provider == StoreProvider.Postgres
            ? new StoreOptions { Provider = StoreProvider.Postgres, ConnectionString = connection ?? throw new ArgumentException("--connection is required for postgres") }
            : new StoreOptions { ConnectionString = GatewayStore.SqliteConnectionString(db ?? Path.Combine(dir, "search.db")) };
        var options = new GatewayOptions { DataDirectory = dir, RequireHttps = false, Store = store, InsPolicy = SanteGateway.Identity.InsPolicy.Production };
        var capture = new CaptureInterceptor();
        var builder = GatewayApp.CreateBuilder([], options, o => o.AddInterceptors(capture));
        await using var app = GatewayApp.Build(builder);
        await GatewayApp.InitializeAsync(app.Services).ConfigureAwait(false);

        var law = new RealisticIdentities(worst);
        long existing;
        await using (var scope = app.Services.CreateAsyncScope())
        {
            existing = await scope.ServiceProvider.GetRequiredService<GatewayDbContext>().Identities.LongCountAsync().ConfigureAwait(false);
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"# {DateTime.UtcNow:yyyy-MM-dd HH:mm}Z provider={provider} mode={(worst ? "worst" : "realistic")} top_surname_share={law.TopSurnameShare:P3} identities wanted={count} present={existing} load={Load()}"));
        if (existing == 0)
        {
            await using var scope = app.Services.CreateAsyncScope();
            var rejected = 0;
            var rows = law.Generate(count, seed: 11).Select((f, i) => new CsvRow(i + 2, f, null));
            // The generator's own cost, measured apart (same rows, nothing done with them), to state the importer's.
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var generated = 0L;
            foreach (var r in law.Generate(count, seed: 11))
            {
                generated += r.Count;
            }

            var generatorCpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
            var database = provider == StoreProvider.Postgres ? new NpgsqlConnectionStringBuilder(store.ConnectionString).Database : null;
            var server0 = database is null || !Directory.Exists("/proc") ? null : ServerCpuSampler.Snapshot(database);
            using var sampler = database is null || !Directory.Exists("/proc") ? null : new ServerCpuSampler(database);
            var loadBefore = Load();
            cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var started = sampler?.Elapsed ?? TimeSpan.Zero;
            var importer = scope.ServiceProvider.GetRequiredService<IdentityImporter>();
            if (copySegment is { } segment)
            {
                importer = new IdentityImporter(scope.ServiceProvider.GetRequiredService<GatewayDbContext>(), scope.ServiceProvider.GetService<TimeProvider>() ?? TimeProvider.System, scope.ServiceProvider.GetRequiredService<IOptions<ApplicationOptions>>()) { CopySegmentRows = segment };
            }

            int[] collections = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];
            var result = await importer
                .ImportAsync(rows, Authority, Actor.Process("bench", "bench"), _ => rejected++, count, CancellationToken.None).ConfigureAwait(false);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"# gc during the import: gen0 {GC.CollectionCount(0) - collections[0]}, gen1 {GC.CollectionCount(1) - collections[1]}, gen2 {GC.CollectionCount(2) - collections[2]} collections; pause {GC.GetTotalPauseDuration().TotalSeconds:F1} s in the process; server gc {System.Runtime.GCSettings.IsServerGC}; gen0 budget setting {AppContext.GetData("GCgen0size") ?? AppContext.GetData("System.GC.Gen0Size") ?? "default"}"));
            var clientCpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
            TimeSpan? serverCpu = server0 is null ? null : ServerCpuSampler.Spent(server0, ServerCpuSampler.Snapshot(database!));
            sampler?.Dispose();
            if (sampler is not null)
            {
                // Server CPU per step (backends and their parallel workers), from the 100 ms samples; the steps end where the import's did.
                var end = started + result.Elapsed;
                var at = end - result.Steps.Aggregate(TimeSpan.Zero, (a, s) => a + s.Elapsed);
                var parts = new List<string>();
                foreach (var (step, elapsed) in result.Steps)
                {
                    parts.Add(string.Create(CultureInfo.InvariantCulture, $"{step} {sampler.Between(at, at + elapsed).TotalSeconds:F1} s ({sampler.Between(at, at + elapsed).TotalMicroseconds / result.Rows:F1} us/row)"));
                    at += elapsed;
                }

                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"# server cpu by step (backends + parallel workers, 100 ms samples): {string.Join(", ", parts)}; total {sampler.Between(started, end + TimeSpan.FromSeconds(1)).TotalMicroseconds / result.Rows:F1} us/row"));
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"# import: {result.Rows} rows, {result.Imported} imported, {result.Rejected} rejected (strict-trait duplicates drawn by the law) in {result.Elapsed.TotalSeconds:F1} s ({result.Imported / result.Elapsed.TotalSeconds:F0}/s wall; {result.Rows / clientCpu.TotalSeconds:F0} rows per CPU-second of this process, generator included; {string.Join(", ", result.Steps.Select(x => x.Step + " " + x.Elapsed.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture) + " s"))}) load={loadBefore}->{Load()}"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"# cpu per row: client {clientCpu.TotalMicroseconds / result.Rows:F1} us (generator alone {generatorCpu.TotalMicroseconds / count:F1} us, so importer {(clientCpu - generatorCpu).TotalMicroseconds / result.Rows:F1} us); PostgreSQL backends of this database {(serverCpu is { } sc ? (sc.TotalMicroseconds / result.Rows).ToString("F1", CultureInfo.InvariantCulture) + " us" : "n/a")} (parallel index-build workers not included)"));
            var watch = Stopwatch.StartNew();
            var ctx = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
            if (provider == StoreProvider.Postgres)
            {
                // What autovacuum does after a bulk load (statistics, visibility map for index-only scans), done at once.
                ctx.Database.SetCommandTimeout(TimeSpan.FromHours(1));
                await ctx.Database.ExecuteSqlRawAsync("VACUUM ANALYZE identities").ConfigureAwait(false);
                await ctx.Database.ExecuteSqlRawAsync("VACUUM ANALYZE identity_homonym_counts").ConfigureAwait(false);
                await ctx.Database.ExecuteSqlRawAsync("VACUUM ANALYZE identity_external_ids").ConfigureAwait(false);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"# vacuum analyze: {watch.Elapsed.TotalSeconds:F1} s"));
            }

            existing = result.Imported;
            if (importOnly)
            {
                return 0;
            }
        }

        // The same stream again (deterministic), sampled uniformly: probes are stored persons, so common surnames are
        // probed as often as the front desk meets them. Worst case: only persons of the very common surname.
        var random = new Random(5);
        var probes = new List<Dictionary<string, string>>(searches);
        var seen = 0;
        foreach (var row in law.Generate(count, seed: 11))
        {
            if (worst && row["birthname"] != RealisticIdentities.Surname(1))
            {
                continue;
            }

            seen++;
            if (probes.Count < searches)
            {
                probes.Add(row);
            }
            else if (random.Next(seen) < searches)
            {
                probes[random.Next(searches)] = row;
            }
        }

        var ids = new Dictionary<string, Guid>(StringComparer.Ordinal);
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var service = scope.ServiceProvider.GetRequiredService<IdentityService>();
            foreach (var p in probes)
            {
                if (await service.FindByExternalIdAsync(Authority, p["localid"], CancellationToken.None).ConfigureAwait(false) is { } id)
                {
                    ids[p["localid"]] = id;
                }
            }
        }

        // Rows the import refused (strict duplicates drawn by the law) are not stored: probe only stored persons.
        probes = probes.Where(p => ids.ContainsKey(p["localid"])).ToList();
        var queries = new (string Name, Func<IdentityService, Dictionary<string, string>, Task<(int Hits, bool Capped)>> Run, Func<Dictionary<string, string>, bool> Applies)[]
        {
            ("birthName+birthDate", async (s, p) => Hits((await s.SearchAsync(p["birthname"].ToLowerInvariant(), p["birthdate"], null, null, 1, 20, CancellationToken.None).ConfigureAwait(false)).Unwrap()), _ => true),
            ("birthName", async (s, p) => Hits((await s.SearchAsync(p["birthname"].ToLowerInvariant(), null, null, null, 1, 20, CancellationToken.None).ConfigureAwait(false)).Unwrap()), _ => true),
            ("namePrefix(3)", async (s, p) => Hits((await s.SearchAsync(null, null, null, null, 1, 20, CancellationToken.None, namePrefix: p["birthname"][..Math.Min(3, p["birthname"].Length)].ToLowerInvariant()).ConfigureAwait(false)).Unwrap()), _ => true),
            ("potentialDuplicates", async (s, p) => ((await s.PotentialDuplicatesAsync(ids[p["localid"]], CancellationToken.None).ConfigureAwait(false)).Unwrap().Count + 1, false), _ => true),
            ("ins", async (s, p) => Hits((await s.SearchAsync(null, null, null, null, 1, 20, CancellationToken.None, ins: p["ins"]).ConfigureAwait(false)).Unwrap()), p => p.ContainsKey("ins")),
            ("partnerId", async (s, p) => (await s.FindByExternalIdAsync(Authority, p["localid"], CancellationToken.None).ConfigureAwait(false) is null ? 0 : 1, false), _ => true),
        };

        foreach (var (name, run, applies) in queries)
        {
            var list = probes.Where(applies).ToArray();
            if (explain)
            {
                await ExplainAsync(app.Services, capture, store, name, () => RunOnceAsync(app.Services, run, list[0])).ConfigureAwait(false);
            }

            for (var i = 0; i < Math.Min(200, list.Length); i++)
            {
                await RunOnceAsync(app.Services, run, list[i]).ConfigureAwait(false); // warm-up: JIT, pool, cache
            }

            var latencies = new double[list.Length];
            var hits = 0L;
            var capped = 0;
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < list.Length; i++)
            {
                var t = Stopwatch.GetTimestamp();
                var (h, c) = await RunOnceAsync(app.Services, run, list[i]).ConfigureAwait(false);
                latencies[i] = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
                hits += h;
                capped += c ? 1 : 0;
                if (h < 1)
                {
                    throw new InvalidOperationException($"{name}: a stored identity was not found.");
                }
            }

            Array.Sort(latencies);
            double P(double q) => latencies[Math.Min(latencies.Length - 1, (int)(latencies.Length * q))];
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"provider={provider} mode={(worst ? "worst" : "realistic")} identities={existing} query={name} calls={list.Length} mean_hits={hits / (double)list.Length:F1} capped={capped} p50_ms={P(0.5):F2} p95_ms={P(0.95):F2} p99_ms={P(0.99):F2} max_ms={P(1):F2} per_s={list.Length / clock.Elapsed.TotalSeconds:F0} load={Load()}"));
        }

        return 0;
    }

    private static (int, bool) Hits(Paged<IdentitySummary> page) => (page.Total, page.TotalCapped);

    private static async Task<(int Hits, bool Capped)> RunOnceAsync(IServiceProvider services, Func<IdentityService, Dictionary<string, string>, Task<(int, bool)>> run, Dictionary<string, string> p)
    {
        await using var scope = services.CreateAsyncScope();
        return await run(scope.ServiceProvider.GetRequiredService<IdentityService>(), p).ConfigureAwait(false);
    }

    private static async Task ExplainAsync(IServiceProvider services, CaptureInterceptor capture, StoreOptions store, string name, Func<Task<(int, bool)>> once)
    {
        await once().ConfigureAwait(false);
        capture.Commands.Clear();
        capture.On = true;
        await once().ConfigureAwait(false);
        capture.On = false;
        Console.WriteLine($"## EXPLAIN {name}: {capture.Commands.Count} statement(s)");
        foreach (var (sql, parameters) in capture.Commands.ToList())
        {
            await using DbConnection c = store.Provider == StoreProvider.Postgres ? new NpgsqlConnection(store.ConnectionString) : new SqliteConnection(store.ConnectionString);
            await c.OpenAsync().ConfigureAwait(false);
            await using var cmd = c.CreateCommand();
            cmd.CommandText = (store.Provider == StoreProvider.Postgres ? "EXPLAIN (ANALYZE, BUFFERS) " : "EXPLAIN QUERY PLAN ") + sql;
            foreach (var p in parameters)
            {
                cmd.Parameters.Add(p);
            }

            Console.WriteLine("# " + string.Join(' ', sql.Split('\n', StringSplitOptions.TrimEntries)) + "  -- " + string.Join(", ", parameters.Select(p => p.ParameterName + "=" + Convert.ToString(p.Value is Array a ? string.Join('|', a.Cast<object>()) : p.Value, CultureInfo.InvariantCulture))));
            await using var reader = await cmd.ExecuteReaderAsync().ConfigureAwait(false);
            while (await reader.ReadAsync().ConfigureAwait(false))
            {
                Console.WriteLine("#   " + string.Join(" | ", Enumerable.Range(0, reader.FieldCount).Select(i => Convert.ToString(reader.GetValue(i), CultureInfo.InvariantCulture))));
            }
        }

        _ = services;
    }

    /// <summary>CPU per row of reading a file as <c>santegw import identities</c> does (<see cref="BatchCsv"/>), nothing else.</summary>
    private static int ParseCsv(string path)
    {
        using var file = File.OpenRead(path);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var rows = 0L;
        var fields = 0L;
        foreach (var row in BatchCsv.Read(file, IdentityImporter.Columns, out _, out var error))
        {
            rows++;
            fields += row.Fields.Count;
            _ = error;
        }

        var spent = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"# csv: {rows} rows, {fields} fields, {spent.TotalMicroseconds / Math.Max(rows, 1):F1} us of CPU per row load={Load()}"));
        return 0;
    }

    private static string Load()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Split(' ')[0];
        }
        catch (IOException)
        {
            return "?";
        }
    }

    /// <summary>Records the SQL and parameters of the commands run while <see cref="On"/>.</summary>
    private sealed class CaptureInterceptor : DbCommandInterceptor
    {
        public volatile bool On;

        public List<(string Sql, List<DbParameter> Parameters)> Commands { get; } = [];

        public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
        {
            Record(command);
            return base.ReaderExecutingAsync(command, eventData, result, cancellationToken);
        }

        public override ValueTask<InterceptionResult<object>> ScalarExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<object> result, CancellationToken cancellationToken = default)
        {
            Record(command);
            return base.ScalarExecutingAsync(command, eventData, result, cancellationToken);
        }

        private void Record(DbCommand command)
        {
            if (!On)
            {
                return;
            }

            var ps = command.Parameters.Cast<DbParameter>().Select(p => p switch
            {
                NpgsqlParameter n => (DbParameter)n.Clone(),
                SqliteParameter s => new SqliteParameter(s.ParameterName, s.Value) { SqliteType = s.SqliteType },
                _ => throw new NotSupportedException(p.GetType().Name),
            }).ToList();
            lock (Commands)
            {
                Commands.Add((command.CommandText, ps));
            }
        }
    }
}
