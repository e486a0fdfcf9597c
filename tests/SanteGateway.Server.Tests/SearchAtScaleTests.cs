using System.Globalization;
using System.Text;
using CsCheck;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SanteGateway.Application;
using SanteGateway.Store;
using SanteGateway.Store.Entities;
using SanteGateway.Store.Tests;

namespace SanteGateway.Server.Tests;

/// <summary>
/// Search at scale (issue 21): pre-aggregated homonym counts against a brute-force grouping after random creates,
/// updates, merges and deletes; capped totals; prefix search; the bulk import. Same suite on SQLite and PostgreSQL.
/// </summary>
public abstract class SearchAtScaleTests<TDb>(TDb database) : IClassFixture<TDb>, IAsyncLifetime
    where TDb : TestDatabase
{
    private static readonly Actor Vigilance = new("vigilance", "test", IsVigilance: true);

    public ValueTask InitializeAsync()
    {
        database.SkipIfUnavailable();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static string Unique(string prefix) => prefix + " " + new string(Guid.NewGuid().ToString("N").Where(char.IsLetter).Take(8).Select(char.ToUpperInvariant).ToArray());

    /// <summary>One step of a random history on a few colliding names, first names and dates.</summary>
    private sealed record Op(int Kind, int A, int B, int Name, int First, int Date);

    [Fact]
    public async Task Homonym_counts_hints_and_totals_match_a_brute_force_grouping_after_random_creates_updates_merges_and_deletes()
    {
        await using var gw = await TestGateway.StartAsync(database);
        // Accents and case differ on purpose: the groups are by normalised key.
        var tag = Unique("PROP").Split(' ')[1];
        string[] names = ["Dupont " + tag, "DUPONT " + tag, "Lefèvre " + tag, "Le Fèvre " + tag];
        string[] firsts = ["Jean", "JEAN", "Zoé", "Marie"];
        string[] dates = ["1980-01-01", "1980-01-02", "1975-06-30"];
        var ops = Gen.Select(Gen.Int[0, 9], Gen.Int[0, 1000], Gen.Int[0, 1000], Gen.Int[0, names.Length - 1], Gen.Int[0, firsts.Length - 1], Gen.Int[0, dates.Length - 1],
            (k, a, b, n, f, d) => new Op(k, a, b, n, f, d)).Array[1, 12];
        var done = new int[4];
        var ids = new List<Guid>();
        var check = new CheckState();
        await Task.Yield();
        ops.Sample(history =>
        {
            foreach (var op in history)
            {
                var kind = ApplyAsync(gw.Services, op, ids, names, firsts, dates).GetAwaiter().GetResult();
                if (kind >= 0)
                {
                    done[kind]++;
                }
            }

            return check.Consistent(gw.Services, tag).GetAwaiter().GetResult();
        }, iter: 25, threads: 1, print: h => string.Join("; ", h.Select(o => o.ToString())));

        done.Should().AllSatisfy(n => n.Should().BePositive(), "creates, updates, merges and deletes all happened (create/update/merge/delete = {0})", string.Join("/", done));
    }

    /// <summary>Applies one step; returns which kind of change succeeded (0 create, 1 update, 2 merge, 3 delete) or -1.</summary>
    private static async Task<int> ApplyAsync(IServiceProvider services, Op op, List<Guid> ids, string[] names, string[] firsts, string[] dates)
    {
        await using var scope = services.CreateAsyncScope();
        var service = scope.ServiceProvider.GetRequiredService<IdentityService>();
        var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
        if (op.Kind <= 3 || ids.Count < 2)
        {
            var created = await service.CreateAsync(new CreateIdentityRequest(names[op.Name], firsts[op.First], null, "F", dates[op.Date], null, op.A % 3 == 0 ? names[(op.Name + 1) % names.Length] : null, null, null, null, Force: true, Reason: "property test"), Vigilance, CancellationToken.None);
            ids.Add(created.Unwrap().Id);
            return 0;
        }

        var a = ids[op.A % ids.Count];
        var b = ids[op.B % ids.Count];
        switch (op.Kind)
        {
            case <= 6:
                var current = (await service.GetAsync(a, CancellationToken.None)).Unwrap();
                var changed = await service.PatchAsync(a, new PatchIdentityRequest(current.Version, op.A % 2 == 0 ? names[op.Name] : null, op.B % 2 == 0 ? firsts[op.First] : null, null, null, op.A % 3 == 0 ? dates[op.Date] : null, null, null, null, Force: true, Reason: "property test"), null, Vigilance, CancellationToken.None);
                return changed.IsSuccess ? 1 : -1;
            case <= 8:
                var merged = await service.MergeAsync(a, new MergeRequest(b, "property test"), Vigilance, CancellationToken.None);
                return merged.IsSuccess ? 2 : -1;
            default:
                var row = await db.Identities.FirstAsync(x => x.Id == a);
                db.Identities.Remove(row);
                await db.SaveChangesAsync();
                ids.Remove(a);
                return 3;
        }
    }

    private sealed class CheckState
    {
        public async Task<bool> Consistent(IServiceProvider services, string tag)
        {
            await using var scope = services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
            var service = scope.ServiceProvider.GetRequiredService<IdentityService>();
            var live = await db.Identities.AsNoTracking().Where(x => x.MergedIntoId == null && x.BirthNameKey.EndsWith(tag)).ToListAsync();
            var brute = live.SelectMany(x => HomonymCounts.Groups(x.BirthNameKey, x.BirthDate, x.FirstNameKey)).GroupBy(g => g).ToDictionary(g => g.Key, g => g.Count());
            var stored = (await db.HomonymCounts.AsNoTracking().Where(c => c.NameKey.EndsWith(tag) && c.Count != 0).ToListAsync())
                .ToDictionary(c => (c.Kind, c.NameKey, c.OtherKey), c => c.Count);
            stored.Should().BeEquivalentTo(brute, "the pre-aggregated counts equal a grouping of the live identities");

            foreach (var name in live.Select(x => x.BirthNameKey).Distinct())
            {
                var page = (await service.SearchAsync(name.ToLowerInvariant(), null, null, null, 1, 100, CancellationToken.None)).Unwrap();
                var rows = live.Where(x => x.BirthNameKey == name).ToList();
                page.Total.Should().Be(rows.Count, "the total of a name-only search is exact");
                page.TotalCapped.Should().BeFalse();
                foreach (var item in page.Items)
                {
                    var r = rows.Single(x => x.Id == item.Id);
                    var expected = new List<string>();
                    if (rows.Count(x => x.BirthDate == r.BirthDate) > 1)
                    {
                        expected.Add("birth-name+birth-date");
                    }

                    if (rows.Count(x => x.FirstNameKey == r.FirstNameKey) > 1)
                    {
                        expected.Add("birth-name+first-name");
                    }

                    item.HomonymHints.Should().Equal(expected, "hints of {0}", item.Id);
                }
            }

            return true;
        }
    }

    private static byte[] Csv(params string[] lines) => Encoding.UTF8.GetBytes(string.Join("\n", lines) + "\n");

    private static async Task<(ImportResult Result, List<ImportReject> Rejects)> ImportAsync(IServiceProvider services, byte[] csv, string? authority = null)
    {
        await using var scope = services.CreateAsyncScope();
        var rejects = new List<ImportReject>();
        var result = await scope.ServiceProvider.GetRequiredService<IdentityImporter>()
            .ImportCsvAsync(new MemoryStream(csv), authority, Actor.Process("import-test", "cli"), rejects.Add, CancellationToken.None);
        return (result.Unwrap(), rejects);
    }

    [Fact]
    public async Task Import_stores_valid_rows_with_their_keys_ins_and_local_ids_and_reports_every_refused_line_with_its_rule()
    {
        await using var gw = await TestGateway.StartAsync(database);
        var name = Unique("IMPORT");
        var authority = "1.2.250.1.999.7." + Random.Shared.Next(1_000_000);
        // A valid NIR of the INSi test set layout: 2 + yymm + dept + commune + order, key 97 - n mod 97.
        var body = "2" + "8001" + "75" + "056" + Random.Shared.Next(100, 999);
        var ins = body + (97 - (long.Parse(body) % 97)).ToString("00");
        var (result, rejects) = await ImportAsync(gw.Services, Csv(
            "localId;birthName;birthFirstNames;sex;birthDate;birthPlaceCog;usedName;ins;insOid",
            $"A1;{name};Jeanne Marie;F;1980-01-01;75056;Dupuis;{ins};1.2.250.1.213.1.4.8",
            $"A2;{name};Paul;M;1990-02-03;;;;",
            $"A3;{name};Paul;M;1990-02-31;;;;",
            $"A4;;Paul;M;1990-02-03;;;;",
            $"A5;{name};Paul;M;1990-02-03;;;;",
            $"A6;{name};Luc;M;1990-02-03;;;123456789012345;",
            $"A2;{name};Marc;M;1991-02-03;;;;",
            $"A8;{name};Luc;M",
            $"A9;{name};Zoé;F;2001-12-24;;;;"), authority);

        result.Rows.Should().Be(9);
        result.Imported.Should().Be(3);
        rejects.Select(r => (r.Line, r.LocalId, r.Rule.Split('/')[0])).Should().Equal(
            (4, "A3", "birthDate"),
            (5, "A4", "birthName"),
            (6, "A5", "identity.duplicate"),
            (7, "A6", "ins"),
            (8, "A2", "localId.duplicate"),
            (9, "A8", "csv.columns"));
        rejects[2].Reason.Should().Contain("line 3");

        await using var scope = gw.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
        var service = scope.ServiceProvider.GetRequiredService<IdentityService>();
        var withIns = (await service.GetAsync((await service.FindByExternalIdAsync(authority, "A1", CancellationToken.None))!.Value, CancellationToken.None)).Unwrap();
        withIns.Status.Should().Be("RECUP", "an imported INS is kept, to be confirmed by a verification batch");
        withIns.Ins!.Matricule.Should().Be(ins);
        (await service.FindByInsAsync(ins, "1.2.250.1.213.1.4.8", CancellationToken.None)).Should().Be(withIns.Id);
        var paul = (await service.GetAsync((await service.FindByExternalIdAsync(authority, "A2", CancellationToken.None))!.Value, CancellationToken.None)).Unwrap();
        paul.Status.Should().Be("PROV");
        paul.BirthFirstNames.Should().Be("Paul");

        var page = (await service.SearchAsync(name, null, null, null, 1, 20, CancellationToken.None)).Unwrap();
        page.Total.Should().Be(3, "the import adds its rows to the homonym counts");
        var byUsedName = (await service.SearchAsync(null, null, null, null, 1, 20, CancellationToken.None, namePrefix: "dupu")).Unwrap();
        byUsedName.Items.Should().Contain(i => i.Id == withIns.Id, "the used name key is written by the import");
        (await db.AuditEvents.AnyAsync(e => e.Action == "identities.imported" && e.EntityId == result.ImportId.ToString())).Should().BeTrue();
    }

    [Fact]
    public async Task Imported_identities_pass_the_audit_check_on_their_imports_event_while_a_row_slipped_into_its_series_or_beside_it_is_flagged()
    {
        await using var gw = await TestGateway.StartAsync(database);
        var name = Unique("AUDITIMP");
        var authority = "1.2.250.1.999.9." + Random.Shared.Next(1_000_000);
        var (result, _) = await ImportAsync(gw.Services, Csv(
            "localId;birthName;birthFirstNames;sex;birthDate",
            $"B1;{name};Anne;F;1980-01-01",
            $"B2;{name};Paul;M;1981-01-01",
            $"B3;{name};Luc;M;1982-01-01"), authority);
        result.Imported.Should().Be(3);

        List<Guid> identities;
        List<Guid> partnerRows;
        await using (var scope = gw.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
            identities = await db.ExternalIdentifiers.Where(e => e.Authority == authority).Select(e => e.IdentityId).ToListAsync();
            partnerRows = await db.ExternalIdentifiers.Where(e => e.Authority == authority).Select(e => e.Id).ToListAsync();
            var report = await SanteGateway.Store.Audit.AuditVerifier.VerifyAsync(db, null, null, TimeSpan.Zero, DateTimeOffset.UtcNow, CancellationToken.None);
            identities.Should().HaveCount(3);
            report.Findings.Where(f => identities.Exists(id => f.Detail.Contains(id.ToString(), StringComparison.Ordinal)) || f.Detail.Contains(result.ImportId.ToString(), StringComparison.Ordinal))
                .Should().BeEmpty("an imported identity never changed since has the import's event, which names the ids it gave");
        }

        // Two copies of an imported row behind the gateway's back: one under an id of the import's series (a partner-id
        // row's), so the import would account for four identities; one under a fresh id, beside the series.
        var sourceId = Literal(identities[0]);
        var inSeries = Literal(partnerRows[0]);
        var beside = Guid.CreateVersion7();
        // One command: the temporary table lives on its connection.
        await database.ExecuteAsync($"""
            CREATE TEMPORARY TABLE slipped AS SELECT * FROM identities WHERE "Id" = {sourceId};
            UPDATE slipped SET "Id" = {inSeries}, "BirthNameKey" = 'SLIPPEDA';
            INSERT INTO identities SELECT * FROM slipped;
            UPDATE slipped SET "Id" = {Literal(beside)}, "BirthNameKey" = 'SLIPPEDB';
            INSERT INTO identities SELECT * FROM slipped;
            DROP TABLE slipped;
            """);
        try
        {
            await using var scope = gw.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
            var report = await SanteGateway.Store.Audit.AuditVerifier.VerifyAsync(db, null, null, TimeSpan.Zero, DateTimeOffset.UtcNow, CancellationToken.None);
            report.Findings.Should().Contain(f => f.Kind == "identity-without-audit" && f.Detail.Contains(beside.ToString(), StringComparison.Ordinal));
            report.Findings.Should().Contain(f => f.Kind == "identity-without-audit" && f.Detail.Contains(result.ImportId.ToString(), StringComparison.Ordinal) && f.Detail.Contains("created 3 identities but 4", StringComparison.Ordinal));
        }
        finally
        {
            await database.ExecuteAsync($"DELETE FROM identities WHERE \"Id\" IN ({inSeries}, {Literal(beside)})");
        }
    }

    /// <summary>A uuid literal both providers compare with the stored id (SQLite keeps upper-case text).</summary>
    private string Literal(Guid id) => database.GetType().Name.Contains("Sqlite", StringComparison.Ordinal) ? $"'{id.ToString().ToUpperInvariant()}'" : $"'{id}'";

    [Fact]
    public async Task Import_refuses_a_file_whose_header_names_an_unknown_column_and_writes_nothing()
    {
        await using var gw = await TestGateway.StartAsync(database);
        await using var scope = gw.Services.CreateAsyncScope();
        var result = await scope.ServiceProvider.GetRequiredService<IdentityImporter>()
            .ImportCsvAsync(new MemoryStream(Csv("localId;birthName;nickname", "A;B;C")), null, Actor.Process("t", "cli"), _ => { }, CancellationToken.None);
        result.IsSuccess.Should().BeFalse();
        result.Error!.Message.Should().Contain("nickname");
    }

    [Fact]
    public async Task A_search_counts_past_the_cap_only_as_a_flagged_lower_bound_while_name_only_totals_stay_exact()
    {
        await using var gw = await TestGateway.StartAsync(database);
        var name = Unique("CAP");
        var lines = new List<string> { "localId;birthName;birthFirstNames;sex;birthDate" };
        var start = new DateOnly(1950, 1, 1);
        for (var i = 0; i < IdentityService.SearchCountCap + 5; i++)
        {
            lines.Add($"C{i};{name};Anne;F;{start.AddDays(i):yyyy-MM-dd}");
        }

        var (result, rejects) = await ImportAsync(gw.Services, Csv([.. lines]));
        rejects.Should().BeEmpty();
        await using var scope = gw.Services.CreateAsyncScope();
        var service = scope.ServiceProvider.GetRequiredService<IdentityService>();

        var exact = (await service.SearchAsync(name, null, null, null, 1, 20, CancellationToken.None)).Unwrap();
        exact.Total.Should().Be(result.Imported);
        exact.TotalCapped.Should().BeFalse();
        exact.Items.Should().AllSatisfy(i => i.HomonymHints.Should().Equal("birth-name+first-name"));

        var capped = (await service.SearchAsync(name, null, null, "F", 1, 20, CancellationToken.None)).Unwrap();
        capped.Total.Should().Be(IdentityService.SearchCountCap);
        capped.TotalCapped.Should().BeTrue("more identities match than the count reads");
        capped.Items.Select(i => i.Id).Should().Equal(exact.Items.Select(i => i.Id), "the page is read in the same index order");

        var tooDeep = await service.SearchAsync(name, null, null, null, (IdentityService.SearchMaxDepth / 20) + 1, 20, CancellationToken.None);
        tooDeep.Error!.Fields!["page"].Should().ContainMatch("search.too-deep*");
    }

    [Fact]
    public async Task Prefix_search_reads_birth_and_used_names_in_key_order_and_lists_each_identity_once()
    {
        await using var gw = await TestGateway.StartAsync(database);
        var tag = new string(Guid.NewGuid().ToString("N").Where(char.IsLetter).Take(6).Select(char.ToUpperInvariant).ToArray());
        await using var scope = gw.Services.CreateAsyncScope();
        var service = scope.ServiceProvider.GetRequiredService<IdentityService>();
        async Task<Guid> Create(string birth, string? used) =>
            (await service.CreateAsync(new CreateIdentityRequest(birth, "Anne", null, "F", "1970-05-05", null, used, null, null, null), Vigilance, CancellationToken.None)).Unwrap().Id;
        var b = await Create($"Q{tag}B", null);
        var a = await Create($"Q{tag}A", $"Q{tag}C");
        var c = await Create($"Z{tag}", $"Q{tag}Ç");
        _ = await Create($"Q{tag[..3]}", null); // shorter than the prefix: not a match

        var page = (await service.SearchAsync(null, null, null, null, 1, 20, CancellationToken.None, namePrefix: "q" + tag.ToLowerInvariant())).Unwrap();
        page.Items.Select(i => i.Id).Should().Equal([a, b, c], "birth name QxA, QxB, then used name QxC (Ç folded to C)");
        page.Total.Should().Be(3);
        var second = (await service.SearchAsync(null, null, null, null, 2, 2, CancellationToken.None, namePrefix: "Q" + tag)).Unwrap();
        second.Items.Select(i => i.Id).Should().Equal([c]);
    }

    [Fact]
    public async Task A_load_written_in_several_copy_segments_keeps_every_identity_with_its_own_ins_and_local_id()
    {
        await using var gw = await TestGateway.StartAsync(database);
        // 5 000 rows with an INS and a localId, 1 500 per COPY segment on PostgreSQL: three segment ends plus the last, partial one.
        string Ins(int i)
        {
            var body = "2" + "8001" + "75" + (200 + (i / 900)).ToString(CultureInfo.InvariantCulture) + (100 + (i % 900)).ToString(CultureInfo.InvariantCulture);
            return body + (97 - (long.Parse(body, CultureInfo.InvariantCulture) % 97)).ToString("00", CultureInfo.InvariantCulture);
        }

        // Distinct first names (letters only) keep the strict traits distinct on one birth date, the one the INS encodes.
        static string First(int i) => "Anne" + new string([(char)('a' + (i / 676)), (char)('a' + (i / 26 % 26)), (char)('a' + (i % 26))]);

        var name = Unique("SEGMENT");
        var csv = Encoding.UTF8.GetBytes(string.Join('\n', [
            "localId;birthName;birthFirstNames;sex;birthDate;ins",
            .. Enumerable.Range(0, 5_000).Select(i => $"S{i};{name};{First(i)};F;1980-01-01;{Ins(i)}")]));
        var authority = "1.2.250.1.999.9." + Random.Shared.Next(1_000_000);
        await using (var scope = gw.Services.CreateAsyncScope())
        {
            var sp = scope.ServiceProvider;
            var importer = new IdentityImporter(sp.GetRequiredService<GatewayDbContext>(), TimeProvider.System, sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<ApplicationOptions>>()) { CopySegmentRows = 1_500 };
            var result = (await importer.ImportCsvAsync(new MemoryStream(csv), authority, Actor.Process("t", "cli"), _ => { }, CancellationToken.None)).Unwrap();
            result.Imported.Should().Be(5_000);
        }

        await using var db = database.CreateContext();
        var stored = await db.Identities.Where(x => x.BirthNameKey == name).Select(x => new { x.Id, x.InsMatricule }).ToListAsync();
        stored.Should().HaveCount(5_000);
        var ids = stored.Select(x => x.Id).ToList();
        var ins = await db.InsHistory.Where(h => ids.Contains(h.IdentityId)).Select(h => new { h.IdentityId, h.Matricule, h.IsActive }).ToListAsync();
        var external = await db.ExternalIdentifiers.Where(x => x.Authority == authority).Select(x => new { x.IdentityId, x.Value }).ToListAsync();
        ins.Should().HaveCount(5_000);
        external.Select(x => x.Value).Should().OnlyHaveUniqueItems().And.HaveCount(5_000);
        var insById = ins.ToDictionary(h => h.IdentityId);
        var localById = external.ToDictionary(x => x.IdentityId, x => x.Value);
        foreach (var x in stored)
        {
            var i = int.Parse(localById[x.Id].AsSpan(1), CultureInfo.InvariantCulture);
            x.InsMatricule.Should().Be(Ins(i), "the row of localId S{0} carries its own INS", i);
            insById[x.Id].Should().Be(new { IdentityId = x.Id, Matricule = Ins(i), IsActive = true }, "each INS row belongs to the identity that carries it");
        }
    }
}

public sealed class SearchAtScaleTests_on_Sqlite(SqliteTestDatabase db) : SearchAtScaleTests<SqliteTestDatabase>(db);

public sealed class SearchAtScaleTests_on_Postgres(PostgresTestDatabase db) : SearchAtScaleTests<PostgresTestDatabase>(db);

/// <summary>
/// The initial load into an empty base drops the identity tables' secondary indexes and rebuilds them at the end of
/// its transaction: afterwards the catalogue holds exactly the same indexes, and a failed load leaves them untouched.
/// One database per class, so the base really is empty.
/// </summary>
public abstract class InitialLoadTests<TDb>(TDb database) : IClassFixture<TDb>, IAsyncLifetime
    where TDb : TestDatabase
{
    public ValueTask InitializeAsync()
    {
        database.SkipIfUnavailable();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private async Task<List<string>> IndexDefinitionsAsync()
    {
        await using var db = database.CreateContext();
        // PostgreSQL: the primary and foreign keys are suspended too (with those of other tables that point at identities),
        // so they are part of what must come back.
        var sql = db.Database.IsNpgsql()
            ? """
              SELECT d AS "Value" FROM (
                SELECT indexname AS n, indexdef AS d FROM pg_indexes WHERE schemaname = current_schema() AND tablename IN ('identities', 'identity_ins_history', 'identity_external_ids', 'identity_homonym_counts')
                UNION ALL
                SELECT c.conname, t.relname || ' ' || c.conname || ' ' || pg_get_constraintdef(c.oid) FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
                WHERE t.relnamespace = current_schema()::regnamespace AND t.relname IN ('identities', 'identity_ins_history', 'identity_external_ids', 'identity_homonym_counts', 'identity_evidence')) x
              ORDER BY n, d
              """
            : "SELECT sql AS \"Value\" FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('identities', 'identity_ins_history', 'identity_external_ids') AND sql IS NOT NULL ORDER BY name";
        return await db.Database.SqlQueryRaw<string>(sql).ToListAsync();
    }

    private static byte[] Rows(int count, string name) =>
        Encoding.UTF8.GetBytes(string.Join('\n', ["localId;birthName;birthFirstNames;sex;birthDate", .. Enumerable.Range(0, count).Select(i => $"L{i};{name};Anne;F;{new DateOnly(1950, 1, 1).AddDays(i):yyyy-MM-dd}")]));

    /// <summary>Five names × three first names on each birth date: groups of every kind hold several rows; strict traits are unique.</summary>
    private static byte[] Varied(int count)
    {
        string[] names = ["LOADOK", "LOADOKA", "LOADOKB", "LOADOKC", "LOADOKD"];
        string[] firsts = ["Anne", "Marie", "Jeanne"];
        string Row(int i, string localId, string date) => $"{localId};{names[i % 5]};{firsts[i % 3]};F;{date}";
        string Date(int i) => new DateOnly(1950, 1, 1).AddDays(i / 15).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        return Encoding.UTF8.GetBytes(string.Join('\n', [
            "localId;birthName;birthFirstNames;sex;birthDate",
            .. Enumerable.Range(0, count).Select(i => Row(i, "L" + i, Date(i))),
            Row(0, "D0", Date(0)), // same strict traits as line 2
            Row(1, "D1", "1950-02-30"),
            Row(4_999, "D4999", Date(4_999)), // same as line 5001, in another chunk
            Row(7, "L3", "1990-01-01")]));
    }

    private async Task<List<string>> CountsAsync()
    {
        await using var db = database.CreateContext();
        return (await db.Database.SqlQueryRaw<string>("""
            SELECT "Kind" || '|' || "NameKey" || '|' || "OtherKey" || '|' || CAST("Count" AS TEXT) AS "Value" FROM identity_homonym_counts WHERE "Count" <> 0
            """).ToListAsync()).Order(StringComparer.Ordinal).ToList();
    }

    private async Task<List<string>> BruteForceCountsAsync()
    {
        await using var db = database.CreateContext();
        var date = db.Database.IsNpgsql() ? "to_char(\"BirthDate\", 'YYYY-MM-DD')" : "\"BirthDate\"";
        var sql = $"""
            SELECT v AS "Value" FROM (
              SELECT 'D|' || "BirthNameKey" || '|' || {date} || '|' || CAST(count(*) AS TEXT) AS v FROM identities WHERE "MergedIntoId" IS NULL GROUP BY "BirthNameKey", {date}
              UNION ALL SELECT 'F|' || "BirthNameKey" || '|' || "FirstNameKey" || '|' || CAST(count(*) AS TEXT) FROM identities WHERE "MergedIntoId" IS NULL GROUP BY "BirthNameKey", "FirstNameKey"
              UNION ALL SELECT 'N|' || "BirthNameKey" || '||' || CAST(count(*) AS TEXT) FROM identities WHERE "MergedIntoId" IS NULL GROUP BY "BirthNameKey") x
            """;
        return (await db.Database.SqlQueryRaw<string>(sql).ToListAsync()).Order(StringComparer.Ordinal).ToList();
    }

    [Fact]
    public async Task An_initial_load_rebuilds_exactly_the_indexes_it_suspended_and_a_cancelled_one_writes_nothing_and_keeps_them()
    {
        await using var gw = await TestGateway.StartAsync(database);
        await using (var db = database.CreateContext())
        {
            (await db.Identities.AnyAsync()).Should().BeFalse("the test needs an empty base");
        }

        var before = await IndexDefinitionsAsync();
        before.Should().Contain(d => d.Contains("BirthNameKey", StringComparison.Ordinal), "the search indexes exist before the load");
        if (database is PostgresTestDatabase)
        {
            before.Should().Contain(d => d.Contains("FOREIGN KEY (\"IdentityId\") REFERENCES identities", StringComparison.Ordinal), "the INS history's foreign key is checked too");
            before.Should().Contain(d => d.StartsWith("identity_evidence FK_", StringComparison.Ordinal), "the evidence's key to identities is suspended with the identities' primary key");
        }

        // A partner identifier stored without its identity (that table has no foreign key): the load empties only the
        // tables that hold nothing (to write them frozen), so this row survives it.
        var orphan = Guid.NewGuid();
        await using (var db = database.CreateContext())
        {
            db.ExternalIdentifiers.Add(new ExternalIdentifier { Id = orphan, IdentityId = Guid.NewGuid(), Authority = "1.2.250.1.999.9", Value = "ORPHAN", Kind = "PI", CreatedAt = DateTimeOffset.UtcNow });
            await db.SaveChangesAsync();
        }

        // Cancelled half-way (from the reject callback, i.e. while rows are being validated): nothing is written.
        using var cancel = new CancellationTokenSource();
        await using (var scope = gw.Services.CreateAsyncScope())
        {
            var bad = Rows(12_000, "LOADCANCEL").Concat(Encoding.UTF8.GetBytes("\nX;;;;")).Concat(Encoding.UTF8.GetBytes("\n" + string.Join('\n', Enumerable.Range(0, 8_000).Select(i => $"M{i};LOADCANCEL;Luc;M;{new DateOnly(1950, 1, 1).AddDays(i):yyyy-MM-dd}")))).ToArray();
            var act = async () => (await scope.ServiceProvider.GetRequiredService<IdentityImporter>()
                .ImportCsvAsync(new MemoryStream(bad), null, Actor.Process("t", "cli"), _ => cancel.Cancel(), cancel.Token)).Unwrap();
            await act.Should().ThrowAsync<Exception>();
        }

        await using (var db = database.CreateContext())
        {
            (await db.Identities.AnyAsync()).Should().BeFalse("a cancelled load is one rolled-back transaction");
        }

        (await IndexDefinitionsAsync()).Should().Equal(before, "the dropped indexes come back with the rollback");

        await using (var scope = gw.Services.CreateAsyncScope())
        {
            var rejects = new List<ImportReject>();
            var result = (await scope.ServiceProvider.GetRequiredService<IdentityImporter>()
                .ImportCsvAsync(new MemoryStream(Varied(12_000)), "1.2.250.1.999.8", Actor.Process("t", "cli"), rejects.Add, CancellationToken.None)).Unwrap();
            result.Imported.Should().Be(12_000);
            result.Rows.Should().Be(12_004);

            // Rows are validated in parallel chunks, yet refusals come in file order and name the first holder's line,
            // even when it was in another chunk.
            rejects.Select(r => (r.Line, r.Rule.Split('/')[0])).Should().Equal(
                (12_002, "identity.duplicate"), (12_003, "birthDate"), (12_004, "identity.duplicate"), (12_005, "localId.duplicate"));
            rejects[0].Reason.Should().Contain("line 2.");
            rejects[2].Reason.Should().Contain("line 5001.");
            var service = scope.ServiceProvider.GetRequiredService<IdentityService>();
            (await service.SearchAsync("LOADOK", null, null, null, 1, 20, CancellationToken.None)).Unwrap().Total.Should().Be(2_400);
            (await service.FindByExternalIdAsync("1.2.250.1.999.8", "L11999", CancellationToken.None)).Should().NotBeNull();
        }

        (await IndexDefinitionsAsync()).Should().Equal(before, "the rebuilt indexes are the ones the migrations declared");
        await using (var db = database.CreateContext())
        {
            (await db.ExternalIdentifiers.AnyAsync(x => x.Id == orphan)).Should().BeTrue("a table that held a row is not emptied");
            if (db.Database.IsNpgsql())
            {
                // COPY … (FREEZE) into the tables emptied in the load's transaction: every page is all-visible at once (the
                // visibility map that ANALYZE counts), with no VACUUM in between.
                await db.Database.ExecuteSqlRawAsync("ANALYZE identities, identity_homonym_counts");
                var pages = await db.Database.SqlQueryRaw<string>("""
                    SELECT relname || ' ' || CAST(relpages AS TEXT) || ' ' || CAST(relallvisible AS TEXT) AS "Value" FROM pg_class
                    WHERE relnamespace = current_schema()::regnamespace AND relname IN ('identities', 'identity_homonym_counts')
                    """).ToListAsync();
                pages.Should().HaveCount(2);
                foreach (var p in pages.Select(v => v.Split(' ')))
                {
                    p[1].Should().NotBe("0", p[0] + " holds rows");
                    p[2].Should().Be(p[1], p[0] + "'s rows were written frozen, all its pages all-visible");
                }
            }
        }
        (await CountsAsync()).Should().Equal(await BruteForceCountsAsync(), "the initial load's homonym counts are those of the loaded rows");
        if (database is PostgresTestDatabase)
        {
            // Written in the order of the counts' primary key, so that its rebuild finds the rows already sorted.
            await using var db = database.CreateContext();
            const string Row = "SELECT \"Kind\" || '|' || \"NameKey\" || '|' || \"OtherKey\" AS \"Value\" FROM identity_homonym_counts ORDER BY ";
            var written = await db.Database.SqlQueryRaw<string>(Row + "ctid").ToListAsync();
            written.Should().HaveCountGreaterThan(1_000).And.Equal(await db.Database.SqlQueryRaw<string>(Row + "\"Kind\", \"NameKey\", \"OtherKey\"").ToListAsync());
        }

        // A second file into a base that is no longer empty keeps the indexes in place and still works.
        await using (var scope = gw.Services.CreateAsyncScope())
        {
            var result = (await scope.ServiceProvider.GetRequiredService<IdentityImporter>()
                .ImportCsvAsync(new MemoryStream(Rows(10, "LOADMORE")), null, Actor.Process("t", "cli"), _ => { }, CancellationToken.None)).Unwrap();
            result.Imported.Should().Be(10);
        }

        (await IndexDefinitionsAsync()).Should().Equal(before);
    }
}

public sealed class InitialLoadTests_on_Sqlite(SqliteTestDatabase db) : InitialLoadTests<SqliteTestDatabase>(db);

public sealed class InitialLoadTests_on_Postgres(PostgresTestDatabase db) : InitialLoadTests<PostgresTestDatabase>(db);
