using Hl7.Fhir.Model;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SanteGateway.Application;
using SanteGateway.Ror;
using SanteGateway.Ror.Sandbox;
using SanteGateway.Server.Ror;
using SanteGateway.Store;
using SanteGateway.Store.Entities;
using SanteGateway.Store.Tests;
using Task = System.Threading.Tasks.Task;

namespace SanteGateway.Server.Tests.Ror;

/// <summary>
/// The offer search reads the search keys the synchronisation writes (codes, words of names) instead of testing substrings
/// over every row: on a generated mirror, through full loads, deltas (an organisation renamed) and reconciliations (an
/// organisation removed), it must answer exactly what the former substring search answered, page order included.
/// </summary>
public abstract class RorSearchIndexTests(TestDatabase database) : IAsyncLifetime
{
    private const string Offer = "HealthcareService";
    private RorSandboxServer? sandbox;
    private RorClient? client;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        database.SkipIfUnavailable();
        sandbox = await RorSandboxes.StartAsync(o =>
        {
            o.GeneratedOffers = 120;
            o.ExportFileSize = 200;
        });
        client = RorClient.Create(sandbox.ClientOptions());
        await using var db = database.CreateContext();
        await db.RorResources.ExecuteDeleteAsync(Ct);
        await db.RorSearchKeys.ExecuteDeleteAsync(Ct);
        await db.RorSearchWords.ExecuteDeleteAsync(Ct);
        await db.RorSyncStates.ExecuteUpdateAsync(s => s.SetProperty(x => x.Phase, "idle").SetProperty(x => x.ExportJob, (string?)null).SetProperty(x => x.SinceTicks, 0L)
            .SetProperty(x => x.LeaseOwner, (string?)null).SetProperty(x => x.LeaseUntilTicks, 0L).SetProperty(x => x.LastFullAtTicks, (long?)null), Ct);
    }

    public async ValueTask DisposeAsync()
    {
        client?.Dispose();
        if (sandbox is not null)
        {
            await sandbox.DisposeAsync();
        }
    }

    private async Task RunAsync(RorSyncMode mode)
    {
        await using var db = database.CreateContext();
        var service = new RorSyncService(db, new RorClientPort(client!, NullLogger<RorClientPort>.Instance), Options.Create(new RorSyncOptions { BatchSize = 37 }),
            TimeProvider.System, NullLogger<RorSyncService>.Instance);
        var result = await service.RunAsync(mode, null, Ct);
        result.Status.Should().Be(RorSyncStatus.Succeeded, result.Error);
    }

    /// <summary>The search as it was before the keys: substring tests over the offer rows (the reference semantics).</summary>
    private static IQueryable<RorResource> Former(GatewayDbContext db, RorOfferQuery query)
    {
        static IEnumerable<string> Words(string? text) => SearchKeys.Normalize(text).Split(' ', StringSplitOptions.RemoveEmptyEntries).Take(8);
        var rows = db.RorResources.AsNoTracking().Where(r => r.ResourceType == Offer);
        foreach (var word in Words(query.Name))
        {
            var w = word;
            var orgs = db.RorResources.Where(o => o.ResourceType == "Organization" && o.NameKey!.Contains(w)).Select(o => o.ResourceId);
            rows = rows.Where(r => r.NameKey!.Contains(w) || orgs.Contains(r.OrganizationId!));
        }

        if (!string.IsNullOrWhiteSpace(query.Activity))
        {
            var token = "|activity:" + query.Activity.Trim() + "|";
            rows = rows.Where(r => r.Codes!.Contains(token));
        }

        foreach (var word in Words(query.Specialty))
        {
            var w = word;
            rows = rows.Where(r => r.Codes!.Contains(w));
        }

        if (!string.IsNullOrWhiteSpace(query.Commune))
        {
            var c = query.Commune.Trim();
            if (c.Length == 5 && c.All(ch => char.IsAsciiDigit(ch) || ch is 'A' or 'B' or 'a' or 'b'))
            {
                var code = c.ToUpperInvariant();
                rows = rows.Where(r => r.CommuneCode == code || r.PostalCode == code);
            }
            else if (SearchKeys.Normalize(c) is { Length: > 0 } key)
            {
                rows = rows.Where(r => r.CityKey!.StartsWith(key));
            }
        }

        return rows.OrderBy(r => r.NameKey).ThenBy(r => r.ResourceId);
    }

    /// <summary>Queries drawn from the mirror itself: whole words, starts and middles of words, codes, labels, digits, combinations.</summary>
    private static async Task<List<RorOfferQuery>> QueriesAsync(GatewayDbContext db)
    {
        var offers = await db.RorResources.AsNoTracking().Where(r => r.ResourceType == Offer).OrderBy(r => r.ResourceId).Take(400)
            .Select(r => new { r.NameKey, r.Codes, r.OrganizationId, r.CommuneCode }).ToListAsync(Ct);
        var orgNames = await db.RorResources.AsNoTracking().Where(r => r.ResourceType == "Organization").Select(r => r.NameKey).Take(100).ToListAsync(Ct);
        var random = new Random(17);
        T Pick<T>(IReadOnlyList<T> list) => list[random.Next(list.Count)];
        string Part(string word)
        {
            if (word.Length <= 2)
            {
                return word;
            }

            var start = random.Next(word.Length - 1);
            return word.Substring(start, Math.Min(word.Length - start, 1 + random.Next(4)));
        }

        var nameWords = offers.SelectMany(o => RorSearchTerms.NameWords(o.NameKey)).Concat(orgNames.SelectMany(RorSearchTerms.NameWords)).Distinct().Order(StringComparer.Ordinal).ToList();
        var tokens = offers.SelectMany(o => RorSearchTerms.CodeTokens(o.Codes)).Distinct().Order(StringComparer.Ordinal).ToList();
        var activities = offers.SelectMany(o => RorSearchTerms.ActivityCodes(o.Codes)).Distinct().Order(StringComparer.Ordinal).ToList();
        var communes = offers.Select(o => o.CommuneCode).OfType<string>().Distinct().Order(StringComparer.Ordinal).ToList();
        var queries = new List<RorOfferQuery>
        {
            new(), new() { Name = "zzqx" }, new() { Specialty = "1" }, new() { Specialty = "E" }, new() { Name = "e" }, new() { Activity = "140" },
            new() { Specialty = "réanimation" }, new() { Name = "centre hospitalier lyon" }, new() { Name = "Hôpital-Saint" }, new() { Activity = "activity" },
            new() { Specialty = "activity" }, new() { Specialty = "ACTIVITY" }, new() { Name = "l'é" },
        };
        for (var i = 0; i < 40; i++)
        {
            queries.Add(new() { Name = Pick(nameWords) });
            queries.Add(new() { Name = Part(Pick(nameWords)).ToLowerInvariant() });
            queries.Add(new() { Name = Pick(nameWords) + " " + Part(Pick(nameWords)) });
            queries.Add(new() { Activity = Pick(activities) });
            queries.Add(new() { Specialty = Pick(tokens) });
            queries.Add(new() { Specialty = Part(Pick(tokens)) });
            queries.Add(new() { Activity = Pick(activities), Commune = Pick(communes) });
            queries.Add(new() { Name = Part(Pick(nameWords)), Specialty = Part(Pick(tokens)) });
            queries.Add(new() { Name = Pick(nameWords), Commune = Pick(communes) });
        }

        return queries;
    }

    private async Task ShouldAnswerAsTheFormerSearchAsync()
    {
        await using var db = database.CreateContext();
        var directory = new RorDirectory(db, TimeProvider.System);
        var queries = await QueriesAsync(db);
        var nonEmpty = 0;
        foreach (var q in queries)
        {
            var expected = await Former(db, q).Select(r => r.ResourceId).ToListAsync(Ct);
            var actual = new List<string>();
            var page = 1;
            int total;
            do
            {
                var result = await directory.SearchOffersAsync(q with { Page = page++, PageSize = 100 }, Ct);
                total = result.Total;
                actual.AddRange(result.Items.Select(i => i.Id));
            }
            while (actual.Count < total && page < 50);

            total.Should().Be(expected.Count, q.ToString());
            actual.Should().Equal(expected, q.ToString());
            nonEmpty += expected.Count > 0 ? 1 : 0;
        }

        nonEmpty.Should().BeGreaterThan(queries.Count / 2, "most queries are drawn from the data and find something");
    }

    [Fact]
    public async Task The_search_by_keys_answers_exactly_what_the_former_substring_search_answered_after_loads_deltas_and_reconciliations()
    {
        await RunAsync(RorSyncMode.Full);
        await ShouldAnswerAsTheFormerSearchAsync();

        // An organisation renamed (its offers are found by its new name only), an offer renamed and recoded.
        var data = sandbox!.Handler.Data;
        var orgId = data.All(Offer).OfType<HealthcareService>().Select(h => h.ProvidedBy?.Reference?.Split('/')[^1]).First(id => id is not null)!;
        RorSandboxes.Change<Organization>(sandbox, "Organization", orgId, o => o.Name = "Polyclinique Zéphyrine du Quartz");
        var offerId = data.All(Offer)[3].Id!;
        RorSandboxes.Change<HealthcareService>(sandbox, Offer, offerId, h =>
        {
            h.Name = "Unité Xylophone";
            h.Specialty.Clear();
            h.Specialty.Add(new CodeableConcept(RorConstants.OperationalActivitySystem, "777", "Activité quetzal"));
        });
        await RunAsync(RorSyncMode.Delta);
        await ShouldAnswerAsTheFormerSearchAsync();
        await using (var db = database.CreateContext())
        {
            var directory = new RorDirectory(db, TimeProvider.System);
            (await directory.SearchOffersAsync(new RorOfferQuery { Name = "zephyr quartz" }, Ct)).Total.Should().BeGreaterThan(0, "the organisation's new name finds its offers");
            (await directory.SearchOffersAsync(new RorOfferQuery { Name = "xyloph", Activity = "777", Specialty = "quetz" }, Ct)).Items.Select(i => i.Id).Should().Equal(offerId);
        }

        // The organisation removed: its offers are no longer found by its name, and the keys of what is gone are dropped.
        data.Remove("Organization", orgId).Should().BeTrue();
        await RunAsync(RorSyncMode.Full);
        await ShouldAnswerAsTheFormerSearchAsync();
        await using (var db = database.CreateContext())
        {
            (await new RorDirectory(db, TimeProvider.System).SearchOffersAsync(new RorOfferQuery { Name = "zephyrine" }, Ct)).Total.Should().Be(0);
            (await db.RorSearchKeys.CountAsync(k => k.ResourceId == orgId, Ct)).Should().Be(0);
            (await db.RorSearchWords.CountAsync(w => w.Word == "ZEPHYRINE", Ct)).Should().Be(0, "a word no key uses is pruned by the reconciliation");
        }
    }

    [Fact]
    public async Task The_keys_an_initial_load_writes_at_its_end_are_those_the_batch_by_batch_path_writes()
    {
        await RunAsync(RorSyncMode.Full);
        var atEnd = await SnapshotAsync();
        atEnd.Keys.Should().Contain(k => k.StartsWith("g|", StringComparison.Ordinal), "offers carry their organisation's words");
        atEnd.Words.Should().NotBeEmpty();

        // Every stored copy made older than the export's: the next full run stores every resource again, now with keys present,
        // so it rewrites each offer's and organisation's keys in its batches.
        await using (var db = database.CreateContext())
        {
            await db.RorResources.ExecuteUpdateAsync(u => u.SetProperty(r => r.LastUpdatedTicks, 0L), Ct);
        }

        await RunAsync(RorSyncMode.Full);
        var perBatch = await SnapshotAsync();
        perBatch.Keys.Should().Equal(atEnd.Keys);
        perBatch.Words.Should().Equal(atEnd.Words);
        await ShouldAnswerAsTheFormerSearchAsync();
    }

    private async Task<(List<string> Keys, List<string> Words)> SnapshotAsync()
    {
        await using var db = database.CreateContext();
        var keys = (await db.RorSearchKeys.AsNoTracking().Select(k => new { k.Kind, k.Key, k.ResourceId }).ToListAsync(Ct))
            .Select(k => k.Kind + "|" + k.Key + "|" + k.ResourceId).Order(StringComparer.Ordinal).ToList();
        var words = (await db.RorSearchWords.AsNoTracking().Select(w => new { w.Kind, w.Word }).ToListAsync(Ct))
            .Select(w => w.Kind + "|" + w.Word).Order(StringComparer.Ordinal).ToList();
        return (keys, words);
    }

    [Fact]
    public void Search_terms_split_names_and_codes_where_a_query_word_cannot_straddle()
    {
        RorSearchTerms.NameWords("CENTRE HOSPITALIER  DE LYON").Should().BeEquivalentTo("CENTRE", "HOSPITALIER", "DE", "LYON");
        RorSearchTerms.CodeTokens("|activity:140|family:A12b|REANIMATION ADULTE|").Should().BeEquivalentTo("140", "A12", "REANIMATION", "ADULTE");
        RorSearchTerms.ActivityCodes("|activity:140|type:3|activity:227|activity:99").Should().Equal("140", "227");
        var longToken = new string('A', 300) + "XYZ" + new string('B', 300);
        var pieces = RorSearchTerms.NameWords(longToken).ToList();
        pieces.Should().OnlyContain(p => p.Length <= RorSearchTerms.MaxKey);
        var probe = new string('A', 150) + "XYZ" + new string('B', 47);
        pieces.Should().Contain(p => p.Contains(probe, StringComparison.Ordinal), "a word of up to MaxWord characters inside a long token lies inside one piece");
    }
}

public sealed class SqliteRorSearchIndexTests(SqliteTestDatabase database) : RorSearchIndexTests(database), IClassFixture<SqliteTestDatabase>;

public sealed class PostgresRorSearchIndexTests(PostgresTestDatabase database) : RorSearchIndexTests(database), IClassFixture<PostgresTestDatabase>;
