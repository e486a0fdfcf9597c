using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using NpgsqlTypes;
using SanteGateway.Insi.Sandbox.Data;
using SanteGateway.Server;
using SanteGateway.Application;
using SanteGateway.Store;

namespace SanteGateway.Benchmarks;

/// <summary>
/// <c>store-search</c>: fills a gateway database (real schema, created by the migrations) with N synthetic identities
/// in bulk, then measures the identity search the API runs (<c>IdentityService.SearchAsync</c>, one DI scope per
/// search as per HTTP request: count, page, homonym hints) and prints p50/p95/p99/max. BenchmarkDotNet is not used: it
/// would rebuild a million-row database per case, and the goal is a latency distribution over many different probes.
/// <code>
/// dotnet run -c Release --project bench/SanteGateway.Benchmarks -- store-search --provider sqlite --count 1000000 --db /tmp/santegw-1m.db
/// dotnet run -c Release --project bench/SanteGateway.Benchmarks -- store-search --provider postgres --count 1000000 --connection "Host=127.0.0.1;Port=55432;Username=postgres;Database=santegw_bench"
/// </code>
/// </summary>
internal static class StoreSearchLoad
{
    public static async Task<int> RunAsync(string[] args)
    {
        var provider = StoreProvider.Sqlite;
        var count = 1_000_000;
        var searches = 2_000;
        string? db = null, connection = null;
        var explain = false;
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
                default: throw new ArgumentException("unknown option " + args[i]);
            }
        }

        var dir = Path.Combine(Path.GetTempPath(), "santegw-store-search");
        Directory.CreateDirectory(dir);
        var store = provider == StoreProvider.Postgres
            ? new StoreOptions { Provider = StoreProvider.Postgres, ConnectionString = connection ?? throw new ArgumentException("--connection is required for postgres") }
            : new StoreOptions { ConnectionString = GatewayStore.SqliteConnectionString(db ?? Path.Combine(dir, "search.db")) };
        var options = new GatewayOptions { DataDirectory = dir, RequireHttps = false, Store = store };
        await using var app = GatewayApp.Build(GatewayApp.CreateBuilder([], options));
        await GatewayApp.InitializeAsync(app.Services).ConfigureAwait(false);

        // The same generator as the sandbox: ~170 French surnames (about 5,600 persons per surname at 1 M), 1 % homonyms.
        var persons = SyntheticIdentityGenerator.Generate(count, seed: 11, homonymRate: 0.01, niaRate: 0.01).ToList();
        long existing;
        await using (var scope = app.Services.CreateAsyncScope())
        {
            existing = await scope.ServiceProvider.GetRequiredService<GatewayDbContext>().Identities.LongCountAsync().ConfigureAwait(false);
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"# {DateTime.UtcNow:yyyy-MM-dd HH:mm}Z provider={provider} identities wanted={count} present={existing} load={Load()}"));
        if (existing == 0)
        {
            var watch = Stopwatch.StartNew();
            await using var scope = app.Services.CreateAsyncScope();
            var ctx = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
            if (provider == StoreProvider.Postgres)
            {
                await CopyPostgresAsync(ctx, persons).ConfigureAwait(false);
            }
            else
            {
                await InsertSqliteAsync(ctx, persons).ConfigureAwait(false);
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"# bulk load: {persons.Count} identities in {watch.Elapsed.TotalSeconds:F1} s ({persons.Count / watch.Elapsed.TotalSeconds:F0}/s)"));
        }
        else if (existing != count)
        {
            throw new InvalidOperationException($"The database holds {existing} identities, not {count}: use a fresh database.");
        }

        var random = new Random(5);
        var probes = Enumerable.Range(0, searches).Select(_ => persons[random.Next(persons.Count)]).ToArray();
        if (explain)
        {
            await ExplainAsync(app.Services, probes[0]).ConfigureAwait(false);
        }

        foreach (var withDate in new[] { true, false })
        {
            // Warm-up: JIT, connection pool, page cache.
            for (var i = 0; i < Math.Min(200, probes.Length); i++)
            {
                await SearchAsync(app.Services, probes[i], withDate).ConfigureAwait(false);
            }

            var latencies = new double[probes.Length];
            var found = 0L;
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < probes.Length; i++)
            {
                var t = Stopwatch.GetTimestamp();
                var total = await SearchAsync(app.Services, probes[i], withDate).ConfigureAwait(false);
                latencies[i] = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
                found += total;
                if (total < 1)
                {
                    throw new InvalidOperationException("A stored identity was not found: the bulk load does not match the schema.");
                }
            }

            Array.Sort(latencies);
            double P(double q) => latencies[Math.Min(latencies.Length - 1, (int)(latencies.Length * q))];
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"provider={provider} identities={count} query={(withDate ? "birthName+birthDate" : "birthName")} searches={probes.Length} mean_hits={found / (double)probes.Length:F1} p50_ms={P(0.5):F2} p95_ms={P(0.95):F2} p99_ms={P(0.99):F2} max_ms={P(1):F2} searches_per_s={probes.Length / clock.Elapsed.TotalSeconds:F0} load={Load()}"));
        }

        return 0;
    }

    private static async Task<int> SearchAsync(IServiceProvider services, SandboxPerson p, bool withDate)
    {
        await using var scope = services.CreateAsyncScope();
        // Lower case: the API normalises (case, accents) before comparing keys.
        var page = (await scope.ServiceProvider.GetRequiredService<IdentityService>()
            .SearchAsync(p.BirthName.ToLowerInvariant(), withDate ? p.BirthDate : null, null, null, 1, 20, CancellationToken.None).ConfigureAwait(false)).Unwrap();
        return page.Total;
    }

    private static async Task InsertSqliteAsync(GatewayDbContext ctx, List<SandboxPerson> persons)
    {
        var connection = (SqliteConnection)ctx.Database.GetDbConnection();
        await connection.OpenAsync().ConfigureAwait(false);
        var toProvider = new DateTimeOffsetToBinaryConverter();
        var now = (long)toProvider.ConvertToProvider(DateTimeOffset.UtcNow)!;
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync().ConfigureAwait(false);
        await using var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = """
            INSERT INTO identities (Id, BirthName, BirthFirstNames, FirstFirstName, Sex, BirthDate, BirthDateCorrected, BirthPlaceCog,
              Status, Attributes, CollectionChannel, InsMatricule, InsOid, BirthNameKey, FirstNameKey, CreatedAt, UpdatedAt, Version)
            VALUES ($id, $name, $firsts, $first, $sex, $date, 0, $cog, $status, 0, 'INSI', $ins, $oid, $nameKey, $firstKey, $now, $now, 1)
            """;
        var ps = new[] { "$id", "$name", "$firsts", "$first", "$sex", "$date", "$cog", "$status", "$ins", "$oid", "$nameKey", "$firstKey" }
            .Select(n => cmd.Parameters.Add(n, SqliteType.Text)).ToArray();
        cmd.Parameters.AddWithValue("$now", now);
        cmd.Prepare();
        foreach (var p in persons)
        {
            var row = Row(p);
            ps[0].Value = row.Id.ToString().ToUpperInvariant(); // EF Core's SQLite GUID form
            ps[1].Value = row.Name;
            ps[2].Value = row.FirstNames;
            ps[3].Value = row.First;
            ps[4].Value = row.Sex;
            ps[5].Value = row.Date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            ps[6].Value = row.Cog;
            ps[7].Value = row.Status;
            ps[8].Value = row.Ins;
            ps[9].Value = row.Oid;
            ps[10].Value = row.NameKey;
            ps[11].Value = row.FirstKey;
            await cmd.ExecuteNonQueryAsync().ConfigureAwait(false);
        }

        await tx.CommitAsync().ConfigureAwait(false);
    }

    private static async Task CopyPostgresAsync(GatewayDbContext ctx, List<SandboxPerson> persons)
    {
        var connection = (NpgsqlConnection)ctx.Database.GetDbConnection();
        await connection.OpenAsync().ConfigureAwait(false);
        var now = DateTimeOffset.UtcNow;
        await using (var copy = await connection.BeginBinaryImportAsync("""
            COPY identities ("Id", "BirthName", "BirthFirstNames", "FirstFirstName", "Sex", "BirthDate", "BirthDateCorrected", "BirthPlaceCog",
              "Status", "Attributes", "CollectionChannel", "InsMatricule", "InsOid", "BirthNameKey", "FirstNameKey", "CreatedAt", "UpdatedAt", "Version")
            FROM STDIN (FORMAT BINARY)
            """).ConfigureAwait(false))
        {
            foreach (var p in persons)
            {
                var row = Row(p);
                await copy.StartRowAsync().ConfigureAwait(false);
                await copy.WriteAsync(row.Id, NpgsqlDbType.Uuid).ConfigureAwait(false);
                await copy.WriteAsync(row.Name, NpgsqlDbType.Varchar).ConfigureAwait(false);
                await copy.WriteAsync(row.FirstNames, NpgsqlDbType.Varchar).ConfigureAwait(false);
                await copy.WriteAsync(row.First, NpgsqlDbType.Varchar).ConfigureAwait(false);
                await copy.WriteAsync(row.Sex, NpgsqlDbType.Varchar).ConfigureAwait(false);
                await copy.WriteAsync(row.Date, NpgsqlDbType.Date).ConfigureAwait(false);
                await copy.WriteAsync(false, NpgsqlDbType.Boolean).ConfigureAwait(false);
                await copy.WriteAsync(row.Cog, NpgsqlDbType.Varchar).ConfigureAwait(false);
                await copy.WriteAsync(row.Status, NpgsqlDbType.Varchar).ConfigureAwait(false);
                await copy.WriteAsync(0, NpgsqlDbType.Integer).ConfigureAwait(false);
                await copy.WriteAsync("INSI", NpgsqlDbType.Varchar).ConfigureAwait(false);
                await copy.WriteAsync(row.Ins, NpgsqlDbType.Varchar).ConfigureAwait(false);
                await copy.WriteAsync(row.Oid, NpgsqlDbType.Varchar).ConfigureAwait(false);
                await copy.WriteAsync(row.NameKey, NpgsqlDbType.Varchar).ConfigureAwait(false);
                await copy.WriteAsync(row.FirstKey, NpgsqlDbType.Varchar).ConfigureAwait(false);
                await copy.WriteAsync(now, NpgsqlDbType.TimestampTz).ConfigureAwait(false);
                await copy.WriteAsync(now, NpgsqlDbType.TimestampTz).ConfigureAwait(false);
                await copy.WriteAsync(1L, NpgsqlDbType.Bigint).ConfigureAwait(false);
            }

            await copy.CompleteAsync().ConfigureAwait(false);
        }

        // What autovacuum does after a bulk load (statistics and visibility map for index-only scans), done at once.
        await using var vacuum = new NpgsqlCommand("VACUUM ANALYZE identities", connection);
        await vacuum.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    private static (Guid Id, string Name, string FirstNames, string First, string Sex, DateOnly Date, string? Cog, string Status, string Ins, string Oid, string NameKey, string FirstKey) Row(SandboxPerson p)
    {
        var first = p.FirstNames[0];
        return (Guid.CreateVersion7(), p.BirthName, p.FirstNamesJoined, first, p.Sex.ToString(), DateOnly.ParseExact(p.BirthDate, "yyyy-MM-dd", CultureInfo.InvariantCulture),
            p.BirthPlace, "RECUP", p.Ins.NumIdentifiant + p.Ins.Cle, p.Ins.Oid, SearchKeys.Normalize(p.BirthName), SearchKeys.Normalize(first));
    }

    private static async Task ExplainAsync(IServiceProvider services, SandboxPerson p)
    {
        await using var scope = services.CreateAsyncScope();
        var ctx = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
        var key = SearchKeys.Normalize(p.BirthName);
        var date = DateOnly.ParseExact(p.BirthDate, "yyyy-MM-dd", CultureInfo.InvariantCulture);
        var keys = new List<string> { key };
        var queries = new[]
        {
            ctx.Identities.AsNoTracking().Where(x => x.BirthNameKey == key && x.BirthDate == date).OrderBy(x => x.BirthNameKey).ThenBy(x => x.FirstNameKey).ThenBy(x => x.Id).Take(20).Select(x => new { x.Id, x.BirthName }).ToQueryString(),
            ctx.Identities.AsNoTracking().Where(x => keys.Contains(x.BirthNameKey)).GroupBy(x => new { x.BirthNameKey, x.BirthDate }).Where(g => g.Count() > 1).Select(g => g.Key).ToQueryString(),
            ctx.Identities.AsNoTracking().Where(x => keys.Contains(x.BirthNameKey)).GroupBy(x => new { x.BirthNameKey, x.FirstNameKey }).Where(g => g.Count() > 1).Select(g => g.Key).ToQueryString(),
        };
        var connection = ctx.Database.GetDbConnection();
        await connection.OpenAsync().ConfigureAwait(false);
        foreach (var sql in queries)
        {
            // ToQueryString declares the parameters in front of the statement; run the declarations with the EXPLAIN.
            await using var cmd = connection.CreateCommand();
            cmd.CommandText = connection is SqliteConnection ? ExplainSqlite(sql) : ExplainPostgres(sql);
            Console.WriteLine("# " + cmd.CommandText.Replace('\n', ' '));
            await using var reader = await cmd.ExecuteReaderAsync().ConfigureAwait(false);
            while (await reader.ReadAsync().ConfigureAwait(false))
            {
                Console.WriteLine("#   " + string.Join(" | ", Enumerable.Range(0, reader.FieldCount).Select(i => Convert.ToString(reader.GetValue(i), CultureInfo.InvariantCulture))));
            }
        }
    }

    // ToQueryString output: ".param set @key 'X'" lines (SQLite) or "-- @key='X'" comments (Npgsql) then the SQL.
    private static string ExplainSqlite(string sql)
    {
        var lines = sql.Split('\n');
        var body = string.Join('\n', lines.Where(l => !l.StartsWith(".param", StringComparison.Ordinal)));
        foreach (var l in lines.Where(l => l.StartsWith(".param set ", StringComparison.Ordinal)))
        {
            var parts = l[".param set ".Length..].Trim().Split(' ', 2);
            body = body.Replace(parts[0], parts[1], StringComparison.Ordinal);
        }

        return "EXPLAIN QUERY PLAN " + body;
    }

    private static string ExplainPostgres(string sql)
    {
        var lines = sql.Split('\n');
        var body = string.Join('\n', lines.Where(l => !l.StartsWith("-- ", StringComparison.Ordinal)));
        foreach (var l in lines.Where(l => l.StartsWith("-- @", StringComparison.Ordinal)))
        {
            var eq = l.IndexOf('=', StringComparison.Ordinal);
            var name = l[3..eq];
            var value = l[(eq + 1)..].Trim();
            var dbType = value.LastIndexOf(" (DbType = ", StringComparison.Ordinal);
            value = dbType >= 0 ? value[..dbType].Trim() : value;
            var typed = value.StartsWith('{') ? "ARRAY[" + string.Join(',', value.Trim('{', '}').Split(',').Select(v => "'" + v.Trim().Trim('"', '\'') + "'")) + "]::text[]" : value;
            body = body.Replace(name, typed, StringComparison.Ordinal);
        }

        return "EXPLAIN (ANALYZE, BUFFERS) " + body;
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
}
