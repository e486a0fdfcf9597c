using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using Microsoft.Extensions.Options;
using Npgsql;
using SanteGateway.Application.Batch;
using SanteGateway.Identity;
using SanteGateway.Store;
using SanteGateway.Store.Audit;
using SanteGateway.Store.Entities;

namespace SanteGateway.Application;

/// <summary>A row the import refused.</summary>
/// <param name="Line">Line in the file (the header is line 1).</param>
/// <param name="LocalId">The row's localId, when it has one.</param>
/// <param name="Rule">Field and rule (<c>birthName/letters</c>, <c>csv.columns</c>, <c>identity.duplicate</c>, ...).</param>
/// <param name="Reason">Why, in words (never the traits themselves).</param>
public sealed record ImportReject(int Line, string? LocalId, string Rule, string Reason);

/// <summary>What an import did.</summary>
/// <param name="Rows">Data rows read.</param>
/// <param name="Imported">Identities created.</param>
/// <param name="Rejected">Rows refused (each reported to the caller's callback).</param>
/// <param name="Elapsed">Wall time.</param>
/// <param name="ImportId">Id of the import (audit event entity id; the creation stamp of every imported row).</param>
public sealed record ImportResult(int Rows, int Imported, int Rejected, TimeSpan Elapsed, Guid ImportId)
{
    /// <summary>
    /// Wall time of each step, in order: <c>rows</c> (reading, validating and writing the rows), <c>indexes</c> (rebuilding
    /// the suspended indexes and constraints of an initial load), <c>counts</c> (homonym counts), <c>commit</c>.
    /// </summary>
    public IReadOnlyList<(string Step, TimeSpan Elapsed)> Steps { get; init; } = [];
}

/// <summary>
/// Initial load of an existing patient base (<c>santegw import identities FILE.csv</c>): the batch CSV dialect with the
/// columns <c>localId</c> (required), <c>birthName</c>, <c>birthFirstNames</c>, <c>firstFirstName</c>, <c>sex</c>,
/// <c>birthDate</c>, <c>birthPlaceCog</c>, <c>usedName</c>, <c>usedFirstName</c>, <c>ins</c>, <c>insOid</c>. Every row goes
/// through the same trait rules as a creation (<see cref="TraitInput.Traits"/>, then the RNIV aggregate); a row with an
/// INS (check key and OID policy) is stored RECUP with that INS, to be confirmed by a verification batch; any other row
/// is PROV. Refused rows are reported by line and never stop the file; duplicates of strict traits, INS or localId
/// (in the file or already stored) are refused. All accepted rows are written in one transaction — COPY (binary) on
/// PostgreSQL, prepared inserts on SQLite — with the homonym counts and one audit event <c>identities.imported</c>
/// (counts only). No HL7 notification is queued: an initial load is not a change partners must hear about.
/// </summary>
public sealed class IdentityImporter
{
    /// <summary>Columns the import reads.</summary>
    public static readonly IReadOnlyList<string> Columns = ["localId", "birthName", "birthFirstNames", "firstFirstName", "sex", "birthDate", "birthPlaceCog", "usedName", "usedFirstName", "ins", "insOid"];

    // Rows in flight (validated, queued, being written) survive young-generation collections and get copied: small chunks
    // keep that garbage-collector work low; each chunk costs three COPY round trips.
    private const int Chunk = 1_000;
    private readonly GatewayDbContext db;
    private readonly TimeProvider clock;
    private readonly ApplicationOptions options;

    /// <summary>Creates the importer.</summary>
    /// <param name="db">Database context (its connection carries the whole import).</param>
    /// <param name="clock">Clock.</param>
    /// <param name="options">Settings (INS policy).</param>
    public IdentityImporter(GatewayDbContext db, TimeProvider clock, IOptions<ApplicationOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        this.db = db;
        this.clock = clock;
        this.options = options.Value;
    }

    /// <summary>Rows per <c>COPY identities</c> statement on PostgreSQL (tests set it small to cross segment ends).</summary>
    internal int CopySegmentRows { get; init; } = 50_000;

    /// <summary>Imports a CSV file.</summary>
    /// <param name="csv">The file (read once, line by line).</param>
    /// <param name="authority">When set, each row's localId is stored as an identifier of this domain (kind PI).</param>
    /// <param name="actor">Who, for the audit trail.</param>
    /// <param name="onReject">Called for each refused row, in file order.</param>
    /// <param name="ct">Cancellation (nothing is written when cancelled).</param>
    /// <returns>The counts, or the reason the whole file is refused (header).</returns>
    public Task<Result<ImportResult>> ImportCsvAsync(Stream csv, string? authority, Actor actor, Action<ImportReject> onReject, CancellationToken ct) => AppFailure.Run(async () =>
    {
        var rows = BatchCsv.Read(csv, Columns, out _, out var error);
        if (error is not null)
        {
            throw new AppFailure(AppError.Field(ErrorKind.Invalid, "file", "csv.header", error));
        }

        // A row of the dialect is 45–90 bytes: the duplicate sets are sized once for the file instead of doubling (and
        // rehashing every key) about twenty times on the one serial stage of the import.
        var expected = csv.CanSeek ? (int)Math.Min(csv.Length / 64, 50_000_000) : 0;
        return await ImportAsync(rows, authority, actor, onReject, expected, ct).ConfigureAwait(false);
    });

    /// <summary>Imports rows already split (fields by lower-cased column name).</summary>
    /// <param name="rows">The rows.</param>
    /// <param name="authority">Domain of the localIds, or null.</param>
    /// <param name="actor">Who.</param>
    /// <param name="onReject">Called for each refused row.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The counts.</returns>
    public Task<ImportResult> ImportAsync(IEnumerable<CsvRow> rows, string? authority, Actor actor, Action<ImportReject> onReject, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(rows);
        return ImportAsync(rows, authority, actor, onReject, rows.TryGetNonEnumeratedCount(out var n) ? n : 0, ct);
    }

    /// <summary>Imports rows, with the number of rows expected (0 when unknown) to size the duplicate checks' sets.</summary>
    internal async Task<ImportResult> ImportAsync(IEnumerable<CsvRow> rows, string? authority, Actor actor, Action<ImportReject> onReject, int expectedRows, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(onReject);
        var watch = Stopwatch.StartNew();
        var stamp = clock.GetUtcNow();
        stamp = new DateTimeOffset(stamp.Ticks - (stamp.Ticks % 10), TimeSpan.Zero); // PostgreSQL keeps microseconds
        var importId = Guid.CreateVersion7(stamp);
        var today = DateOnly.FromDateTime(stamp.UtcDateTime);
        var seen = await ExistingAsync(authority, ct).ConfigureAwait(false);
        seen.Expect(expectedRows, authority is not null);
        var ids = new SequentialIds(stamp);
        using IWriter writer = db.Database.IsNpgsql() ? new PostgresWriter(CopySegmentRows) : new SqliteWriter();
        var strategy = db.Database.CreateExecutionStrategy();
        // The statements over the whole base (index rebuild, homonym counts) take minutes at millions of rows: the default
        // 30 s command timeout would roll the whole load back at its very end. Cancellation still stops the import.
        var previousTimeout = db.Database.GetCommandTimeout();
        db.Database.SetCommandTimeout(TimeSpan.FromHours(2));
        var result = await strategy.ExecuteAsync(async () =>
        {
            await db.Database.OpenConnectionAsync(ct).ConfigureAwait(false);
            try
            {
                await using var cache = await BulkLoadCache.RaiseAsync(db, ct).ConfigureAwait(false);
                await using var tx = await db.Database.BeginTransactionAsync(ct).ConfigureAwait(false);

                // An initial load into an empty base rebuilds the search indexes once at the end instead of
                // maintaining them row by row (several times faster; searches wait for the commit meanwhile).
                // PostgreSQL: the primary keys too (the ids are drawn here, unique by construction; their rebuild from sorted
                // ids is a fraction of maintaining three B-trees row by row during the COPY), the tables emptied with
                // TRUNCATE so the COPY writes frozen rows, and the two partial indexes no imported row enters (a merge
                // tombstone, a row without its derived keys) kept in place: rebuilding each one scans the whole table.
                var suspended = await db.Identities.IgnoreQueryFilters().AnyAsync(ct).ConfigureAwait(false)
                    ? null
                    : await SuspendedIndexes.DropAsync(
                        db,
                        ["identities", "identity_ins_history", "identity_external_ids"],
                        ct,
                        primaryKeys: true,
                        keep: ["IX_identities_MergedIntoId", "IX_identities_missing_keys"],
                        truncate: true).ConfigureAwait(false);
                if (writer is PostgresWriter pg && suspended is not null)
                {
                    pg.Freeze = (suspended.CanFreeze("identities"), suspended.CanFreeze("identity_ins_history"), suspended.CanFreeze("identity_external_ids"));
                }

                var read = 0;
                var rejected = 0;
                var imported = 0;

                // Three stages overlap, with the database on the other core: chunks of rows are validated on worker
                // threads (Prepare: pure), checked against earlier rows and given ids in file order (Admit), then written.
                // Short bounded queues keep memory flat whatever the file's size and at most a few chunks in flight.
                using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
                var tally = suspended is not null && db.Database.IsNpgsql() ? new HomonymTally() : null;
                var prepared = Channel.CreateBounded<Task<Prepared[]>>(new BoundedChannelOptions(Math.Max(2, Environment.ProcessorCount) + 1) { SingleReader = true, SingleWriter = true });
                var chunks = Channel.CreateBounded<List<Accepted>>(new BoundedChannelOptions(2) { SingleReader = true, SingleWriter = true });
                var reader = Task.Run(
                    async () =>
                    {
                        try
                        {
                            var batch = new List<CsvRow>(Chunk);
                            foreach (var row in rows)
                            {
                                stop.Token.ThrowIfCancellationRequested();
                                read++;
                                batch.Add(row);
                                if (batch.Count == Chunk)
                                {
                                    await prepared.Writer.WriteAsync(PrepareAsync(batch), stop.Token).ConfigureAwait(false);
                                    batch = new List<CsvRow>(Chunk);
                                }
                            }

                            if (batch.Count > 0)
                            {
                                await prepared.Writer.WriteAsync(PrepareAsync(batch), stop.Token).ConfigureAwait(false);
                            }

                            prepared.Writer.TryComplete();
                        }
                        catch (Exception e)
                        {
                            prepared.Writer.TryComplete(e);
                        }
                    },
                    CancellationToken.None);
                Task<Prepared[]> PrepareAsync(List<CsvRow> batch) => Task.Run(
                    () =>
                    {
                        var result = new Prepared[batch.Count];
                        for (var i = 0; i < result.Length; i++)
                        {
                            result[i] = Prepare(batch[i], authority, stamp, today);
                        }

                        return result;
                    },
                    stop.Token);
                var admitter = Task.Run(
                    async () =>
                    {
                        try
                        {
                            var batch = new List<Accepted>(Chunk);
                            await foreach (var pending in prepared.Reader.ReadAllAsync(stop.Token).ConfigureAwait(false))
                            {
                                foreach (var p in await pending.ConfigureAwait(false))
                                {
                                    ImportReject? reject = p.Reject;
                                    if (reject is not null || !Admit(p, authority, seen, ids, out var accepted, out reject))
                                    {
                                        rejected++;
                                        onReject(reject!);
                                        continue;
                                    }

                                    tally?.Add(accepted.Record.BirthNameKey, accepted.Record.BirthDate, accepted.Record.FirstNameKey);
                                    batch.Add(accepted);
                                    if (batch.Count == Chunk)
                                    {
                                        await chunks.Writer.WriteAsync(batch, stop.Token).ConfigureAwait(false);
                                        batch = new List<Accepted>(Chunk);
                                    }
                                }
                            }

                            if (batch.Count > 0)
                            {
                                await chunks.Writer.WriteAsync(batch, stop.Token).ConfigureAwait(false);
                            }

                            chunks.Writer.TryComplete();
                        }
                        catch (Exception e)
                        {
                            chunks.Writer.TryComplete(e);
                        }
                    },
                    CancellationToken.None);
                var written = false;
                try
                {
                    await foreach (var chunk in chunks.Reader.ReadAllAsync(ct).ConfigureAwait(false))
                    {
                        await writer.WriteAsync(db, chunk, authority, stamp, ct).ConfigureAwait(false);
                        imported += chunk.Count;
                    }

                    await writer.FlushAsync(db, authority, stamp, ct).ConfigureAwait(false);
                    written = true;
                }
                finally
                {
                    // A COPY left open by a failure is ended here, before the transaction rolls back on this connection.
                    if (!written)
                    {
                        writer.Dispose();
                    }

                    // A failed write stops the validation before anything is committed; its own failure surfaces above.
                    await stop.CancelAsync().ConfigureAwait(false);
                    await reader.ConfigureAwait(false);
                    await admitter.ConfigureAwait(false);

                    // Chunks still queued when the load stopped: let their validation end before the caller goes on.
                    while (prepared.Reader.TryRead(out var pending))
                    {
                        await Task.WhenAny(pending).ConfigureAwait(false);
                    }
                }

                var steps = new List<(string, TimeSpan)>(4);
                var step = TimeSpan.Zero;
                void Step(string name)
                {
                    steps.Add((name, watch.Elapsed - step));
                    step = watch.Elapsed;
                }

                Step("rows");

                // The tally's sort is client work and the index rebuild server work: they overlap.
                var counting = tally is null ? Task.CompletedTask : Task.Run(tally.Count, CancellationToken.None);
                try
                {
                    if (suspended is not null)
                    {
                        await suspended.RebuildAsync(db, ct).ConfigureAwait(false);
                    }
                }
                finally
                {
                    await counting.ConfigureAwait(false);
                }

                Step("indexes");
                if (tally is null || !await HomonymCounts.CopyInitialAsync(db, tally.Groups(), ct).ConfigureAwait(false))
                {
                    await HomonymCounts.AddCreatedAtAsync(db, stamp, ct).ConfigureAwait(false);
                }

                Step("counts");
                // The first and last ids the import gave (its identities, INS history rows and identifiers share one series):
                // `audit verify` recognises the imported identities by them, as they have no event of their own.
                var summary = JsonSerializer.Serialize(new { rows = read, imported, rejected, authority, firstId = ids.First, lastId = ids.Last }, IdentityServiceJson.Options);
                await AuditTrail.AppendAsync(db, new AuditEntry(actor.Name, actor.Source, "identities.imported", "import", importId.ToString(), null, summary), clock, ct).ConfigureAwait(false);
                await db.SaveChangesAsync(ct).ConfigureAwait(false);
                await tx.CommitAsync(ct).ConfigureAwait(false);
                Step("commit");
                return new ImportResult(read, imported, rejected, watch.Elapsed, importId) { Steps = steps };
            }
            finally
            {
                await db.Database.CloseConnectionAsync().ConfigureAwait(false);
                db.Database.SetCommandTimeout(previousTimeout);
            }
        }).ConfigureAwait(false);
        return result;
    }

    /// <summary>One validated row ready to write (a value in the chunk's list: one object less per row in flight).</summary>
    private readonly record struct Accepted(IdentityRecord Record, InsHistoryEntry? Ins, string? LocalId, Guid ExternalId);

    /// <summary>
    /// What is already taken: strict traits, active INS (matricule + OID) and localIds of the authority, all as 128-bit
    /// hashes, and birth places pooled (one string per commune): at ten million rows the sets hold no per-row object for
    /// the garbage collector to walk. A hash collision would refuse a row as a duplicate (odds ≈ n² / 2¹²⁹, nil in practice).
    /// </summary>
    private sealed class Seen
    {
        private readonly Dictionary<string, int> cogIds = new(StringComparer.OrdinalIgnoreCase);

        /// <summary>Strict-trait hash → line of the first holder (0 = stored) and its birth place (<see cref="CogId(string)"/>).</summary>
        public Dictionary<UInt128, (int Line, int Cog)> Strict { get; } = [];

        public HashSet<UInt128> Ins { get; } = [];

        public HashSet<UInt128> LocalIds { get; } = [];

        /// <summary>Sizes the sets for <paramref name="rows"/> more rows (a resize of a set of millions rehashes every key).</summary>
        public void Expect(int rows, bool localIds)
        {
            if (rows <= 0)
            {
                return;
            }

            Strict.EnsureCapacity(Strict.Count + rows);
            Ins.EnsureCapacity(Ins.Count + rows);
            if (localIds)
            {
                LocalIds.EnsureCapacity(LocalIds.Count + rows);
            }
        }

        /// <summary>The number of a birth place (0 for none); places equal ignoring case share it, as the duplicate rule compares them.</summary>
        public int CogId(string? cog)
        {
            if (cog is null)
            {
                return 0;
            }

            if (!cogIds.TryGetValue(cog, out var id))
            {
                cogIds[cog] = id = cogIds.Count + 1;
            }

            return id;
        }
    }

    private async Task<Seen> ExistingAsync(string? authority, CancellationToken ct)
    {
        var seen = new Seen();
        await foreach (var x in db.Identities.AsNoTracking().Where(x => x.MergedIntoId == null)
            .Select(x => new { x.BirthNameKey, x.FirstNameKey, x.Sex, x.BirthDate, x.BirthPlaceCog, x.InsMatricule, x.InsOid }).AsAsyncEnumerable().WithCancellation(ct).ConfigureAwait(false))
        {
            seen.Strict.TryAdd(StrictHash(x.BirthNameKey, x.FirstNameKey, x.Sex, x.BirthDate), (0, seen.CogId(x.BirthPlaceCog)));
            if (x.InsMatricule is not null)
            {
                seen.Ins.Add(Hash(x.InsMatricule, x.InsOid ?? ""));
            }
        }

        if (authority is not null)
        {
            await foreach (var v in db.ExternalIdentifiers.AsNoTracking().Where(x => x.Authority == authority).Select(x => x.Value).AsAsyncEnumerable().WithCancellation(ct).ConfigureAwait(false))
            {
                seen.LocalIds.Add(Hash(v, ""));
            }
        }

        return seen;
    }

    /// <summary>
    /// The per-row validation that needs nothing but the row (traits, INS, RNIV aggregate, row mapping, keys and the
    /// hashes of the duplicate checks): pure, so chunks of rows run it on several threads. Ids and the duplicate checks
    /// come after, in file order (<see cref="Admit"/>).
    /// </summary>
    private Prepared Prepare(CsvRow row, string? authority, DateTimeOffset stamp, DateOnly today)
    {
        string? Get(string k) => row.Fields.TryGetValue(k, out var v) ? v : null;
        var localId = Get("localid");
        Prepared Reject(string rule, string reason) => new(new ImportReject(row.Line, localId, rule, reason));
        if (row.Error is { } e)
        {
            return Reject(e.Rule, e.Reason);
        }

        if (localId is null || localId.Length > 64)
        {
            return Reject("localId/required", "localId is required (at most 64 characters).");
        }

        var traits = TraitInput.Traits(new RawTraits(Get("birthname"), Get("birthfirstnames"), Get("firstfirstname"), Get("sex"), Get("birthdate"), Get("birthplacecog"), Get("usedname"), Get("usedfirstname")), today);
        if (!traits.IsValid)
        {
            var error = traits.Errors[0];
            return Reject(error.Field + "/" + error.Rule, error.Message);
        }

        InsIdentifier? ins = null;
        if (Get("ins") is { } matricule)
        {
            if (!InsIdentifier.TryCreate(matricule, Get("insoid") ?? InsOids.Nir, options.InsPolicy, out ins, out var insError))
            {
                return Reject("ins/invalid", insError);
            }
        }
        else if (Get("insoid") is not null)
        {
            return Reject("insOid/without-ins", "insOid is given without ins.");
        }

        RnivIdentity domain;
        if (ins is null)
        {
            domain = RnivIdentity.CreateProvisional(traits.Value!, CollectionChannel.SM);
        }
        else
        {
            var restored = RnivIdentity.Restore(traits.Value!, IdentityStatus.Recup, IdentityAttributes.None, ins, null, null, CollectionChannel.INSI, null);
            if (!restored.IsValid)
            {
                return Reject(restored.Errors[0].Field + "/" + restored.Errors[0].Rule, restored.Errors[0].Message);
            }

            domain = restored.Value;
        }

        // Ids are given in file order by Admit (the primary keys then grow at their right edge).
        var record = new IdentityRecord { CreatedAt = stamp, UpdatedAt = stamp, Version = 1 };
        var insRows = new List<InsHistoryEntry>(1);
        IdentityRows.Apply(domain, record, stamp, insRows, newRowIds: false);
        return new Prepared(null)
        {
            Line = row.Line,
            Record = record,
            Ins = insRows.FirstOrDefault(),
            LocalId = localId,
            Strict = StrictHash(record.BirthNameKey, record.FirstNameKey, record.Sex, record.BirthDate),
            InsHash = ins is null ? null : Hash(ins.Matricule.Value, ins.Oid),
            LocalIdHash = authority is null ? default : Hash(localId, ""),
        };
    }

    /// <summary>
    /// The checks against what came before (strict traits, INS and localId not already stored or earlier in the file),
    /// then the ids: run on one thread in file order, so that a duplicate names the first holder's line.
    /// </summary>
    private static bool Admit(Prepared p, string? authority, Seen seen, SequentialIds ids, out Accepted accepted, out ImportReject? reject)
    {
        reject = null;
        accepted = default;
        var record = p.Record!;
        ImportReject Reject(string rule, string reason) => new(p.Line, p.LocalId, rule, reason);

        // Strict traits as in FindDuplicatesAsync: same keys, sex and date; a missing birth place matches any.
        // One hash-table operation per set on the usual path (millions of rows, each a cache miss): a row refused by a
        // later check takes back what it added.
        var hash = p.Strict;
        var cog = seen.CogId(record.BirthPlaceCog);
        ref var holder = ref CollectionsMarshal.GetValueRefOrAddDefault(seen.Strict, hash, out var held);
        if (held && (holder.Cog == 0 || cog == 0 || holder.Cog == cog))
        {
            reject = Reject("identity.duplicate", holder.Line == 0 ? "An identity with the same strict traits is already stored." : $"Same strict traits as line {holder.Line}.");
            return false;
        }

        if (!held)
        {
            holder = (p.Line, cog);
        }

        if (p.InsHash is { } insHash && !seen.Ins.Add(insHash))
        {
            Forget(held ? null : hash, null);
            reject = Reject("ins.collision", "This INS is already held by another identity (stored or earlier in the file).");
            return false;
        }

        if (authority is not null && !seen.LocalIds.Add(p.LocalIdHash))
        {
            Forget(held ? null : hash, p.InsHash);
            reject = Reject("localId.duplicate", "This localId is already known for the authority (stored or earlier in the file).");
            return false;
        }

        void Forget(UInt128? strict, UInt128? insKey)
        {
            if (strict is { } s)
            {
                seen.Strict.Remove(s);
            }

            if (insKey is { } i)
            {
                seen.Ins.Remove(i);
            }
        }

        record.Id = ids.Next();
        if (p.Ins is { } h)
        {
            h.Id = ids.Next();
            h.IdentityId = record.Id;
        }

        accepted = new Accepted(record, p.Ins, p.LocalId, authority is null ? Guid.Empty : ids.Next());
        return true;
    }

    /// <summary>
    /// A row after <see cref="Prepare"/>: refused (<see cref="Reject"/>) or ready for the checks in file order. A class: as
    /// values, a chunk's array (≈ 110 bytes per row) lands in the large-object heap and doubled the gen2 collections.
    /// </summary>
    private sealed record Prepared(ImportReject? Reject)
    {
        public int Line { get; init; }

        public IdentityRecord? Record { get; init; }

        public InsHistoryEntry? Ins { get; init; }

        public string? LocalId { get; init; }

        public UInt128 Strict { get; init; }

        public UInt128? InsHash { get; init; }

        public UInt128 LocalIdHash { get; init; }
    }

    /// <summary>
    /// Homonym counts of an initial load, tallied as the accepted rows pass (instead of three GROUP BYs over the loaded
    /// table afterwards). Names and first names are pooled (one string per distinct key); each row appends its two group
    /// keys (64-bit: name number, then day number or first-name number) to block lists, and <see cref="Count"/> sorts and
    /// counts them once at the end. A hash-table increment per group and row was a cache miss each on the admit stage,
    /// the import's one serial stage (≈ 5 % of the client's samples at a million rows, import11); appending is not, and
    /// the sort runs on another thread while the server rebuilds the indexes. Ten million rows leave no per-row object
    /// for the garbage collector: blocks of 64-bit keys only.
    /// </summary>
    private sealed class HomonymTally
    {
        private const int BlockBits = 16;
        private readonly Dictionary<string, int> names = new(StringComparer.Ordinal);
        private readonly Dictionary<string, int> firsts = new(StringComparer.Ordinal);
        private readonly List<string> nameList = [];
        private readonly List<string> firstList = [];
        private readonly List<int> perName = [];
        private readonly List<long[]> byDate = [];
        private readonly List<long[]> byFirst = [];
        private int rows;
        private Counted? counted;

        public void Add(string nameKey, DateOnly birthDate, string firstNameKey)
        {
            var name = Pool(names, nameList, nameKey);
            if (name == perName.Count)
            {
                perName.Add(0);
            }

            perName[name]++;
            var first = Pool(firsts, firstList, firstNameKey);
            var slot = rows & ((1 << BlockBits) - 1);
            if (slot == 0)
            {
                byDate.Add(new long[1 << BlockBits]);
                byFirst.Add(new long[1 << BlockBits]);
            }

            byDate[^1][slot] = ((long)name << 32) | (uint)birthDate.DayNumber;
            byFirst[^1][slot] = ((long)name << 32) | (uint)first;
            rows++;
        }

        /// <summary>
        /// Sorts and counts the groups (after the last <see cref="Add"/>; pure client work, so the importer runs it while the
        /// server rebuilds the indexes). <see cref="Groups"/> calls it if nobody did.
        /// </summary>
        public void Count() => counted ??= CountNow();

        /// <summary>
        /// Every group with its count (kinds and keys as <see cref="HomonymCounts.Groups"/> gives them), in the order of the
        /// counts' primary key (kind, name, other; byte order, as the "C" collation of the keys compares): PostgreSQL's sort
        /// finds its input already ordered and the key's rebuild is one pass instead of a sort of millions of rows (a
        /// 2.2-million-row key: 7.7 s of CPU shuffled against 1.6 s sorted). Any order stays correct; this one is cheaper.
        /// </summary>
        public IEnumerable<(string Kind, string Name, string Other, int Count)> Groups()
        {
            Count();
            var c = counted!;
            var dates = new Dictionary<int, string>();
            for (var i = 0; i < c.DateKeys.Length; i++)
            {
                var day = (int)(uint)c.DateKeys[i];
                if (!dates.TryGetValue(day, out var text))
                {
                    dates[day] = text = HomonymCounts.DateKey(DateOnly.FromDayNumber(day));
                }

                yield return (HomonymCounts.NameAndDate, c.NameByRank[(int)(c.DateKeys[i] >> 32)], text, c.DateCounts[i]);
            }

            for (var i = 0; i < c.FirstKeys.Length; i++)
            {
                yield return (HomonymCounts.NameAndFirstName, c.NameByRank[(int)(c.FirstKeys[i] >> 32)], c.FirstByRank[(int)(uint)c.FirstKeys[i]], c.FirstCounts[i]);
            }

            foreach (var name in c.NameByRank)
            {
                yield return (HomonymCounts.NameOnly, name, "", perName[names[name]]);
            }
        }

        private Counted CountNow()
        {
            var (nameRank, nameByRank) = Ranks(nameList, names);
            var (firstRank, firstByRank) = Ranks(firstList, firsts);
            var (dateKeys, dateCounts) = Sorted(byDate, rows, key => ((long)nameRank[(int)(key >> 32)] << 32) | (uint)key);
            var (firstKeys, firstCounts) = Sorted(byFirst, rows, key => ((long)nameRank[(int)(key >> 32)] << 32) | (uint)firstRank[(int)(uint)key]);
            return new Counted(nameByRank, firstByRank, dateKeys, dateCounts, firstKeys, firstCounts);
        }

        /// <summary>Each pooled string's rank in byte order, and the strings by rank (<paramref name="pool"/> gives each string's index in <paramref name="list"/>).</summary>
        private static (int[] Rank, string[] ByRank) Ranks(List<string> list, Dictionary<string, int> pool)
        {
            var byRank = list.ToArray();
            Array.Sort(byRank, Utf8Order);
            var rank = new int[list.Count];
            for (var i = 0; i < byRank.Length; i++)
            {
                rank[pool[byRank[i]]] = i;
            }

            return (rank, byRank);
        }

        /// <summary>
        /// The rows' keys of one kind re-keyed by rank (day numbers grow with the "YYYY-MM-DD" text), sorted, and each run
        /// of equal keys counted (the blocks are released as they are copied).
        /// </summary>
        private static (long[] Keys, int[] Counts) Sorted(List<long[]> blocks, int count, Func<long, long> rekey)
        {
            var keys = new long[count];
            for (var b = 0; b < blocks.Count; b++)
            {
                var block = blocks[b];
                var offset = b << BlockBits;
                var n = Math.Min(block.Length, count - offset);
                for (var i = 0; i < n; i++)
                {
                    keys[offset + i] = rekey(block[i]);
                }
            }

            blocks.Clear();
            Array.Sort(keys);
            var groups = 0;
            var counts = new int[count];
            for (var i = 0; i < count; i++)
            {
                if (groups > 0 && keys[groups - 1] == keys[i])
                {
                    counts[groups - 1]++;
                }
                else
                {
                    keys[groups] = keys[i];
                    counts[groups++] = 1;
                }
            }

            Array.Resize(ref keys, groups);
            Array.Resize(ref counts, groups);
            return (keys, counts);
        }

        private sealed record Counted(string[] NameByRank, string[] FirstByRank, long[] DateKeys, int[] DateCounts, long[] FirstKeys, int[] FirstCounts);

        /// <summary>UTF-8 byte order (PostgreSQL's "C"), which UTF-16 ordinal order gives except around surrogates.</summary>
        private static int Utf8Order(string a, string b)
        {
            var n = Math.Min(a.Length, b.Length);
            for (var i = 0; i < n; i++)
            {
                if (a[i] != b[i])
                {
                    // Surrogates (U+D800–DFFF) encode code points above U+FFFF: after U+E000–FFFF in UTF-8.
                    static int Weight(char c) => c >= 0xD800 ? (c >= 0xE000 ? c - 0x800 : c + 0x2000) : c;
                    return Weight(a[i]).CompareTo(Weight(b[i]));
                }
            }

            return a.Length.CompareTo(b.Length);
        }

        private static int Pool(Dictionary<string, int> pool, List<string> list, string key)
        {
            ref var id = ref CollectionsMarshal.GetValueRefOrAddDefault(pool, key, out var found);
            if (!found)
            {
                id = list.Count;
                list.Add(key);
            }

            return id;
        }
    }

    /// <summary>128-bit FNV-1a of the strict keys: millions of rows in little memory, collisions negligible.</summary>
    private static UInt128 StrictHash(string name, string first, string sex, DateOnly date)
    {
        var h = new UInt128(0x6c62272e07bb0142, 0x62b821756295c58d);
        var prime = new UInt128(0x0000000001000000, 0x000000000000013B);
        void Add(string s)
        {
            foreach (var c in s)
            {
                h = (h ^ c) * prime;
            }

            h = (h ^ 0x1F) * prime;
        }

        Add(name);
        Add(first);
        Add(sex);
        h = (h ^ (uint)date.DayNumber) * prime;
        return h;
    }

    /// <summary>
    /// UUIDv7 ids of one import: the import's millisecond, then a 34-bit counter and a 40-bit random tail drawn once per
    /// import, so that every id is greater than the previous one. The primary-key indexes (kept during the load) then grow
    /// at their right edge instead of taking ten million inserts at random places. Unique within the import (counter);
    /// another import in the same millisecond has another tail (a clash needs the same 40 random bits: 2⁻⁴⁰).
    /// <c>santegw audit verify</c> reads this layout back (<c>ImportedSeries</c> in the Store, which cannot see this
    /// class): change the two together.
    /// </summary>
    private sealed class SequentialIds(DateTimeOffset stamp)
    {
        private readonly long milliseconds = stamp.ToUnixTimeMilliseconds();
        private readonly byte[] tail = System.Security.Cryptography.RandomNumberGenerator.GetBytes(5);
        private long counter;

        /// <summary>The first id given, or null when none was.</summary>
        public Guid? First => Interlocked.Read(ref counter) == 0 ? null : Make(1);

        /// <summary>The last id given, or null when none was.</summary>
        public Guid? Last => Interlocked.Read(ref counter) is var n && n == 0 ? null : Make((ulong)n);

        public Guid Next() => Make((ulong)Interlocked.Increment(ref counter));

        private Guid Make(ulong n)
        {
            Span<byte> b = stackalloc byte[16];
            var ms = (ulong)milliseconds;
            b[0] = (byte)(ms >> 40);
            b[1] = (byte)(ms >> 32);
            b[2] = (byte)(ms >> 24);
            b[3] = (byte)(ms >> 16);
            b[4] = (byte)(ms >> 8);
            b[5] = (byte)ms;
            b[6] = (byte)(0x70 | ((n >> 30) & 0x0F)); // version 7, counter bits 33–30
            b[7] = (byte)(n >> 22);                 // counter bits 29–22
            b[8] = (byte)(0x80 | ((n >> 16) & 0x3F)); // RFC 9562 variant, counter bits 21–16
            b[9] = (byte)(n >> 8);
            b[10] = (byte)n;
            tail.CopyTo(b[11..]);
            return new Guid(b, bigEndian: true);
        }
    }

    /// <summary>128-bit FNV-1a of two strings (INS matricule + OID, or a localId), for the duplicate sets.</summary>
    private static UInt128 Hash(string a, string b)
    {
        var h = new UInt128(0x6c62272e07bb0142, 0x62b821756295c58d);
        var prime = new UInt128(0x0000000001000000, 0x000000000000013B);
        foreach (var c in a)
        {
            h = (h ^ c) * prime;
        }

        h = (h ^ 0x1F) * prime;
        foreach (var c in b)
        {
            h = (h ^ c) * prime;
        }

        return h;
    }

    private interface IWriter : IDisposable
    {
        Task WriteAsync(GatewayDbContext db, List<Accepted> rows, string? authority, DateTimeOffset stamp, CancellationToken ct);

        /// <summary>Writes whatever the writer still holds (called once, after the last chunk).</summary>
        Task FlushAsync(GatewayDbContext db, string? authority, DateTimeOffset stamp, CancellationToken ct);
    }

    /// <summary>
    /// Binary COPY in segments: one <c>COPY identities</c> stays open across chunks for <see cref="CopySegmentRows"/> rows, and the
    /// INS and partner-identifier rows of the segment (a few fields each, kept as values) follow in one COPY per table
    /// when it closes. One COPY per table and chunk of 1 000 rows cost six round trips per chunk, each a wait for the
    /// server and, on a loaded machine, for the scheduler (profile in docs/performance.md, import9). The side rows still
    /// follow their identities, so the foreign keys of a load into a non-empty base hold at every statement. The rows are
    /// encoded by <see cref="PgBinaryRows"/> (raw binary COPY), not value by value through <see cref="NpgsqlBinaryImporter"/>.
    /// </summary>
    private sealed class PostgresWriter(int segment) : IWriter
    {
        private PgBinaryRows? identities;
        private PgBinaryRows? ins;
        private PgBinaryRows? external;
        private int written;

        /// <summary>Which of identities, INS history and partner ids were emptied in this transaction: their COPY may freeze the rows.</summary>
        public (bool Identities, bool Ins, bool External) Freeze { get; set; }

        // The options of each COPY: binary, and frozen rows into a table emptied in this transaction.
        private static string Binary(bool freeze) => freeze ? "(FORMAT BINARY, FREEZE)" : "(FORMAT BINARY)";

        // Synchronous writes into the COPY buffer (it flushes to the socket when full): 23 fields per row made the async
        // calls' state machines a visible share of the client's time per row at millions of rows.
        public async Task WriteAsync(GatewayDbContext db, List<Accepted> rows, string? authority, DateTimeOffset stamp, CancellationToken ct)
        {
            var c = (NpgsqlConnection)db.Database.GetDbConnection();
            var copy = identities ??= await PgBinaryRows.BeginAsync(c, $"""
                COPY identities ("Id", "BirthName", "BirthFirstNames", "FirstFirstName", "Sex", "BirthDate", "BirthDateCorrected", "BirthDateUnknownParts",
                  "BirthPlaceCog", "UsedName", "UsedFirstName", "Status", "Attributes", "CollectionChannel", "InsMatricule", "InsOid",
                  "BirthNameKey", "FirstNameKey", "UsedNameKey", "BirthNamePhonetic", "CreatedAt", "UpdatedAt", "Version")
                FROM STDIN {Binary(Freeze.Identities)}
                """, ct).ConfigureAwait(false);
            var now = PgBinaryRows.Timestamp(stamp);
            var insRows = ins ??= PgBinaryRows.Deferred();
            var externalRows = authority is null ? null : external ??= PgBinaryRows.Deferred();
            foreach (var a in rows)
            {
                ct.ThrowIfCancellationRequested();
                var r = a.Record;
                copy.StartRow(23);
                copy.Uuid(r.Id);
                copy.Text(r.BirthName);
                copy.Text(r.BirthFirstNames);
                copy.Text(r.FirstFirstName);
                copy.Text(r.Sex);
                copy.Date(r.BirthDate);
                copy.Bool(r.BirthDateCorrected);
                copy.Int32(r.BirthDateUnknownParts);
                copy.Text(r.BirthPlaceCog);
                copy.Text(r.UsedName);
                copy.Text(r.UsedFirstName);
                copy.Text(r.Status);
                copy.Int32(r.Attributes);
                copy.Text(r.CollectionChannel);
                copy.Text(r.InsMatricule);
                copy.Text(r.InsOid);
                copy.Text(r.BirthNameKey);
                copy.Text(r.FirstNameKey);
                copy.Text(r.UsedNameKey);
                copy.Text(r.BirthNamePhonetic);
                copy.TimestampMicros(now);
                copy.TimestampMicros(now);
                copy.Int64(r.Version);
                if (a.Ins is { } h)
                {
                    insRows.StartRow(7);
                    insRows.Uuid(h.Id);
                    insRows.Uuid(h.IdentityId);
                    insRows.Text(h.Matricule);
                    insRows.Text(h.Oid);
                    insRows.TimestampMicros(PgBinaryRows.Timestamp(h.ObtainedAt));
                    insRows.Text(h.Source);
                    insRows.Bool(h.IsActive);
                }

                if (externalRows is not null)
                {
                    externalRows.StartRow(6);
                    externalRows.Uuid(a.ExternalId);
                    externalRows.Uuid(r.Id);
                    externalRows.Text(authority);
                    externalRows.Text(a.LocalId);
                    externalRows.Text("PI");
                    externalRows.TimestampMicros(now);
                }
            }

            written += rows.Count;
            if (written >= segment)
            {
                await FlushAsync(db, authority, stamp, ct).ConfigureAwait(false);
            }
        }

        public async Task FlushAsync(GatewayDbContext db, string? authority, DateTimeOffset stamp, CancellationToken ct)
        {
            if (identities is { } open)
            {
                identities = null;
                await using (open.ConfigureAwait(false))
                {
                    await open.CompleteAsync(ct).ConfigureAwait(false);
                }
            }

            written = 0;
            var c = (NpgsqlConnection)db.Database.GetDbConnection();
            if (ins is { IsEmpty: false } insRows)
            {
                ins = null;
                await insRows.SendAsync(c, $"""
                    COPY identity_ins_history ("Id", "IdentityId", "Matricule", "Oid", "ObtainedAt", "Source", "IsActive") FROM STDIN {Binary(Freeze.Ins)}
                    """, ct).ConfigureAwait(false);
            }

            if (external is { IsEmpty: false } externalRows)
            {
                external = null;
                await externalRows.SendAsync(c, $"""
                    COPY identity_external_ids ("Id", "IdentityId", "Authority", "Value", "Kind", "CreatedAt") FROM STDIN {Binary(Freeze.External)}
                    """, ct).ConfigureAwait(false);
            }
        }

        public void Dispose()
        {
            // A load that stopped half-way: the unfinished COPY is failed (the transaction rolls back anyway).
            identities?.Cancel();
            identities = null;
        }
    }

    private sealed class SqliteWriter : IWriter
    {
        private static readonly DateTimeOffsetToBinaryConverter Time = new();
        private SqliteCommand? identity;
        private SqliteCommand? ins;
        private SqliteCommand? external;

        public async Task WriteAsync(GatewayDbContext db, List<Accepted> rows, string? authority, DateTimeOffset stamp, CancellationToken ct)
        {
            var c = (SqliteConnection)db.Database.GetDbConnection();
            var tx = (SqliteTransaction)db.Database.CurrentTransaction!.GetDbTransaction();
            var now = (long)Time.ConvertToProvider(stamp)!;
            identity ??= Prepare(c, tx, """
                INSERT INTO identities ("Id", "BirthName", "BirthFirstNames", "FirstFirstName", "Sex", "BirthDate", "BirthDateCorrected", "BirthDateUnknownParts",
                  "BirthPlaceCog", "UsedName", "UsedFirstName", "Status", "Attributes", "CollectionChannel", "InsMatricule", "InsOid",
                  "BirthNameKey", "FirstNameKey", "UsedNameKey", "BirthNamePhonetic", "CreatedAt", "UpdatedAt", "Version")
                VALUES ($p0, $p1, $p2, $p3, $p4, $p5, $p6, $p7, $p8, $p9, $p10, $p11, $p12, $p13, $p14, $p15, $p16, $p17, $p18, $p19, $p20, $p21, $p22)
                """, 23);
            ins ??= Prepare(c, tx, """
                INSERT INTO identity_ins_history ("Id", "IdentityId", "Matricule", "Oid", "ObtainedAt", "Source", "IsActive") VALUES ($p0, $p1, $p2, $p3, $p4, $p5, $p6)
                """, 7);
            external ??= Prepare(c, tx, """
                INSERT INTO identity_external_ids ("Id", "IdentityId", "Authority", "Value", "Kind", "CreatedAt") VALUES ($p0, $p1, $p2, $p3, $p4, $p5)
                """, 6);
            foreach (var a in rows)
            {
                var r = a.Record;
                Run(identity, Id(r.Id), r.BirthName, r.BirthFirstNames, r.FirstFirstName, r.Sex, Day(r.BirthDate), r.BirthDateCorrected ? 1 : 0, r.BirthDateUnknownParts,
                    r.BirthPlaceCog, r.UsedName, r.UsedFirstName, r.Status, r.Attributes, r.CollectionChannel, r.InsMatricule, r.InsOid,
                    r.BirthNameKey, r.FirstNameKey, r.UsedNameKey, r.BirthNamePhonetic, now, now, r.Version);
                if (a.Ins is { } h)
                {
                    Run(ins, Id(h.Id), Id(h.IdentityId), h.Matricule, h.Oid, (long)Time.ConvertToProvider(h.ObtainedAt)!, h.Source, h.IsActive ? 1 : 0);
                }

                if (authority is not null)
                {
                    Run(external, Id(a.ExternalId), Id(r.Id), authority, a.LocalId, "PI", now);
                }
            }

            await Task.CompletedTask.ConfigureAwait(false);
        }

        public Task FlushAsync(GatewayDbContext db, string? authority, DateTimeOffset stamp, CancellationToken ct) => Task.CompletedTask;

        public void Dispose()
        {
            identity?.Dispose();
            ins?.Dispose();
            external?.Dispose();
        }

        private static SqliteCommand Prepare(SqliteConnection c, SqliteTransaction tx, string sql, int count)
        {
            var cmd = c.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText = sql;
            for (var i = 0; i < count; i++)
            {
                cmd.Parameters.Add(new SqliteParameter("$p" + i.ToString(CultureInfo.InvariantCulture), null));
            }

            cmd.Prepare();
            return cmd;
        }

        private static void Run(SqliteCommand cmd, params object?[] values)
        {
            for (var i = 0; i < values.Length; i++)
            {
                cmd.Parameters[i].Value = values[i] ?? DBNull.Value;
            }

            cmd.ExecuteNonQuery();
        }

        // EF Core's SQLite forms: GUID as upper-case text, date as yyyy-MM-dd.
        private static string Id(Guid id) => id.ToString().ToUpperInvariant();

        private static string Day(DateOnly d) => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
    }
}

/// <summary>JSON settings shared by the identity use cases.</summary>
internal static class IdentityServiceJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);
}
