using BenchmarkDotNet.Attributes;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using SanteGateway.Server;
using SanteGateway.Application;
using SanteGateway.Store;
using SanteGateway.Store.Entities;

namespace SanteGateway.Benchmarks;

/// <summary>
/// Identity search latency through the real service (<c>IdentityService.SearchAsync</c>: count, page, homonym hints) on a
/// SQLite file holding <see cref="Identities"/> identities: 2,000 birth names × random first names and dates, so that a
/// birth name matches about <c>Identities / 2000</c> rows.
/// </summary>
[MemoryDiagnoser]
public class StoreBenchmarks
{
    private static readonly string[] FirstNames = ["JEAN", "MARIE", "PIERRE", "ANNE", "LOUIS", "CLAIRE", "PAUL", "JULIE", "MICHEL", "SOPHIE"];
    private readonly string dir = Path.Combine(Path.GetTempPath(), "santegw-bench-" + Guid.NewGuid().ToString("N"));
    private WebApplicationHolder? host;
    private string probeName = "";
    private string probeDate = "";
    private Guid probeId;

    /// <summary>Stored identities.</summary>
    [Params(100_000)]
    public int Identities { get; set; }

    /// <summary>Creates and fills the database.</summary>
    [GlobalSetup]
    public void Setup()
    {
        Directory.CreateDirectory(dir);
        var options = new GatewayOptions
        {
            HighTrustDocuments = { "CN", "PA", "CS" },
            DataDirectory = dir,
            RequireHttps = false,
            Store = new StoreOptions { ConnectionString = GatewayStore.SqliteConnectionString(Path.Combine(dir, "bench.db")) },
        };
        host = new WebApplicationHolder(GatewayApp.Build(GatewayApp.CreateBuilder([], options)));
        GatewayApp.InitializeAsync(host.App.Services).GetAwaiter().GetResult();

        var random = new Random(42);
        var now = DateTimeOffset.UtcNow;
        for (var batch = 0; batch < Identities; batch += 5000)
        {
            using var scope = host.App.Services.CreateScope();
            var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
            for (var i = batch; i < Math.Min(batch + 5000, Identities); i++)
            {
                var name = $"NOM{i % 2000:D4}ÉÈ";
                var first = FirstNames[random.Next(FirstNames.Length)];
                var record = new IdentityRecord
                {
                    Id = Guid.CreateVersion7(),
                    BirthName = name,
                    BirthFirstNames = first,
                    FirstFirstName = first,
                    Sex = random.Next(2) == 0 ? "F" : "M",
                    BirthDate = new DateOnly(1930, 1, 1).AddDays(random.Next(30_000)),
                    Status = "PROV",
                    CollectionChannel = "SM",
                    CreatedAt = now,
                    UpdatedAt = now,
                    Version = 1,
                    BirthNameKey = SearchKeys.Normalize(name),
                    FirstNameKey = SearchKeys.Normalize(first),
                };
                db.Identities.Add(record);
                if (i == Identities / 2)
                {
                    probeName = name.ToLowerInvariant();
                    probeDate = record.BirthDate.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
                    probeId = record.Id;
                }
            }

            db.SaveChanges();
        }
    }

    /// <summary>Removes the database.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        host?.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(dir, recursive: true);
    }

    /// <summary>Birth name (accents and case differ from the stored value) and birth date: one hit.</summary>
    [Benchmark]
    public async Task<int> Search_by_birth_name_and_birth_date()
    {
        using var scope = host!.App.Services.CreateScope();
        var page = (await scope.ServiceProvider.GetRequiredService<IdentityService>().SearchAsync(probeName, probeDate, null, null, 1, 20, CancellationToken.None)).Unwrap();
        return page.Total;
    }

    /// <summary>Birth name only: first page of about 50 hits, with homonym hints.</summary>
    [Benchmark]
    public async Task<int> Search_by_birth_name_first_page()
    {
        using var scope = host!.App.Services.CreateScope();
        var page = (await scope.ServiceProvider.GetRequiredService<IdentityService>().SearchAsync(probeName, null, null, null, 1, 20, CancellationToken.None)).Unwrap();
        return page.Total;
    }

    /// <summary>One identity by id (with INS history and evidence).</summary>
    [Benchmark]
    public async Task<long> Get_by_id()
    {
        using var scope = host!.App.Services.CreateScope();
        var view = (await scope.ServiceProvider.GetRequiredService<IdentityService>().GetAsync(probeId, CancellationToken.None)).Unwrap();
        return view.Version;
    }

    private sealed class WebApplicationHolder(Microsoft.AspNetCore.Builder.WebApplication app) : IDisposable
    {
        public Microsoft.AspNetCore.Builder.WebApplication App { get; } = app;

        public void Dispose() => App.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }
}
