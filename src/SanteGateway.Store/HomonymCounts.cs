using System.Buffers;
using System.Globalization;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using Npgsql;
using SanteGateway.Store.Entities;

namespace SanteGateway.Store;

/// <summary>
/// Upkeep of <see cref="HomonymCount"/>: every save of identities through the context turns the rows it adds, changes
/// (names, birth date, merge) or deletes into +1/−1 deltas per group, applied with an atomic
/// <c>INSERT … ON CONFLICT DO UPDATE SET Count = Count + delta</c> in the same transaction (SQLite and PostgreSQL share the
/// syntax). Concurrent writers on one group serialise on its row instead of losing an update; groups are touched in key
/// order so two transactions cannot deadlock on them.
/// </summary>
public static class HomonymCounts
{
    /// <summary>Group of identities sharing birth name and birth date.</summary>
    public const string NameAndDate = "D";

    /// <summary>Group of identities sharing birth name and first first-name.</summary>
    public const string NameAndFirstName = "F";

    /// <summary>All identities with a birth name (exact total of a search by birth name alone).</summary>
    public const string NameOnly = "N";

    private const string Table = "identity_homonym_counts";
    private const int ParametersPerStatement = 200;

    /// <summary>What a field of a text-format COPY escapes.</summary>
    private static readonly SearchValues<char> CopyTextSpecials = SearchValues.Create("\\\t\n\r");

    /// <summary>The <see cref="HomonymCount.OtherKey"/> form of a birth date.</summary>
    public static string DateKey(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>The groups a live identity with these keys belongs to.</summary>
    public static IEnumerable<(string Kind, string Name, string Other)> Groups(string nameKey, DateOnly birthDate, string firstNameKey)
    {
        yield return (NameAndDate, nameKey, DateKey(birthDate));
        yield return (NameAndFirstName, nameKey, firstNameKey);
        yield return (NameOnly, nameKey, "");
    }

    /// <summary>Net deltas of the pending identity changes (original values for what leaves, current values for what enters).</summary>
    internal static SortedDictionary<(string Kind, string Name, string Other), int> Collect(ChangeTracker tracker)
    {
        var deltas = new SortedDictionary<(string Kind, string Name, string Other), int>();
        void Add(string name, DateOnly date, string first, int sign)
        {
            foreach (var g in Groups(name, date, first))
            {
                deltas[g] = deltas.GetValueOrDefault(g) + sign;
            }
        }

        foreach (var e in tracker.Entries<IdentityRecord>())
        {
            if (e.State == EntityState.Modified && e.Property(x => x.MergedIntoId).OriginalValue == e.Entity.MergedIntoId
                && e.Property(x => x.BirthDate).OriginalValue == e.Entity.BirthDate
                && string.Equals(e.Property(x => x.BirthNameKey).OriginalValue, e.Entity.BirthNameKey, StringComparison.Ordinal)
                && string.Equals(e.Property(x => x.FirstNameKey).OriginalValue, e.Entity.FirstNameKey, StringComparison.Ordinal))
            {
                // Leaves and re-enters the same groups: a net delta of zero (a verification, most changes of a batch).
                continue;
            }

            if (e.State is EntityState.Modified or EntityState.Deleted)
            {
                if (e.Property(x => x.MergedIntoId).OriginalValue is null)
                {
                    Add(e.Property(x => x.BirthNameKey).OriginalValue, e.Property(x => x.BirthDate).OriginalValue, e.Property(x => x.FirstNameKey).OriginalValue, -1);
                }
            }

            if (e.State is EntityState.Added or EntityState.Modified && e.Entity.MergedIntoId is null)
            {
                Add(e.Entity.BirthNameKey, e.Entity.BirthDate, e.Entity.FirstNameKey, +1);
            }
        }

        foreach (var k in deltas.Where(d => d.Value == 0).Select(d => d.Key).ToList())
        {
            deltas.Remove(k);
        }

        return deltas;
    }

    /// <summary>Applies deltas in the current transaction.</summary>
    internal static async Task ApplyAsync(GatewayDbContext db, SortedDictionary<(string Kind, string Name, string Other), int> deltas, CancellationToken ct)
    {
        foreach (var (sql, args) in Statements(deltas))
        {
            await db.Database.ExecuteSqlRawAsync(sql, args, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Applies deltas in the current transaction (synchronous save).</summary>
    internal static void Apply(GatewayDbContext db, SortedDictionary<(string Kind, string Name, string Other), int> deltas)
    {
        foreach (var (sql, args) in Statements(deltas))
        {
            db.Database.ExecuteSqlRaw(sql, args);
        }
    }

    /// <summary>
    /// Recomputes every count from the identities (after a bulk load that bypassed the context, or to repair).
    /// Run it in a transaction, or with no concurrent writer.
    /// </summary>
    /// <param name="db">Database context.</param>
    /// <param name="ct">Cancellation.</param>
    public static async Task RebuildAsync(GatewayDbContext db, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        await db.Database.ExecuteSqlRawAsync($"DELETE FROM {Table}", ct).ConfigureAwait(false);
        foreach (var sql in GroupInserts(db, "1 = 1"))
        {
            await db.Database.ExecuteSqlRawAsync(sql, ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Adds to the counts the live identities created at exactly <paramref name="createdAt"/> (the stamp a bulk import
    /// gives all its rows), set-wise, in the current transaction.
    /// </summary>
    /// <param name="db">Database context.</param>
    /// <param name="createdAt">The import's creation stamp.</param>
    /// <param name="ct">Cancellation.</param>
    /// <remarks>
    /// On PostgreSQL, when the counts table holds no row yet (the initial load of an empty base: millions of groups), the
    /// groups are inserted plainly with the table's primary key set aside and rebuilt once afterwards, instead of one
    /// upsert into the key's B-tree per group; the grouping gets more sort memory for the transaction.
    /// </remarks>
    public static async Task AddCreatedAtAsync(GatewayDbContext db, DateTimeOffset createdAt, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        var postgres = db.Database.IsNpgsql();
        object stamp = postgres ? createdAt : new DateTimeOffsetToBinaryConverter().ConvertToProvider(createdAt)!;
        SuspendedIndexes? key = null;
        if (postgres && db.Database.CurrentTransaction is not null)
        {
            await db.Database.ExecuteSqlRawAsync("SET LOCAL work_mem = '256MB'", ct).ConfigureAwait(false);
            if (!await db.HomonymCounts.AnyAsync(ct).ConfigureAwait(false))
            {
                key = await SuspendedIndexes.DropAsync(db, [Table], ct, primaryKeys: true).ConfigureAwait(false);
            }
        }

        foreach (var sql in GroupInserts(db, "\"CreatedAt\" = {0}", upsert: key is null))
        {
            await db.Database.ExecuteSqlRawAsync(sql, [stamp], ct).ConfigureAwait(false);
        }

        if (key is not null)
        {
            await key.RebuildAsync(db, ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Initial load on PostgreSQL: writes counts the caller tallied from the rows it loaded, with <c>COPY</c> in text format
    /// (the table's primary key set aside and rebuilt once), instead of grouping the loaded table. Text, not binary: four
    /// short fields per row, and the binary importer's per-value path cost 0.7–0.9 µs of client CPU per row against 0.3 µs
    /// for text, for the same server CPU (2.2 million rows, import11): the client was the slower end of this COPY. Does nothing and answers
    /// <see langword="false"/> when the table already holds counts or the provider is not PostgreSQL: the caller then
    /// uses <see cref="AddCreatedAtAsync"/>. Run it in the load's transaction.
    /// </summary>
    /// <param name="db">Database context (open connection, transaction).</param>
    /// <param name="groups">Every group of the loaded live identities with its count, each group once.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>Whether the counts were written.</returns>
    public static async Task<bool> CopyInitialAsync(GatewayDbContext db, IEnumerable<(string Kind, string Name, string Other, int Count)> groups, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(groups);
        if (!db.Database.IsNpgsql() || db.Database.CurrentTransaction is null || await db.HomonymCounts.AnyAsync(ct).ConfigureAwait(false))
        {
            return false;
        }

        // Emptied with TRUNCATE in this transaction, so the COPY writes the rows frozen (all-visible from the start).
        var key = await SuspendedIndexes.DropAsync(db, [Table], ct, primaryKeys: true, truncate: true).ConfigureAwait(false);
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        var copy = (NpgsqlCopyTextWriter)await connection.BeginTextImportAsync($"COPY {Table} (\"Kind\", \"NameKey\", \"OtherKey\", \"Count\") FROM STDIN" + (key.CanFreeze(Table) ? " (FREEZE)" : ""), ct).ConfigureAwait(false);
        try
        {
            var digits = new char[11];
            foreach (var (kind, name, other, count) in groups)
            {
                ct.ThrowIfCancellationRequested();
                WriteText(copy, kind);
                copy.Write('\t');
                WriteText(copy, name);
                copy.Write('\t');
                WriteText(copy, other);
                copy.Write('\t');
                count.TryFormat(digits, out var length, provider: CultureInfo.InvariantCulture);
                copy.Write(digits, 0, length);
                copy.Write('\n');
            }
        }
        catch
        {
            // Disposing the writer would end the COPY normally (and, once cancelled, throw over the original exception):
            // fail the COPY instead and leave the writer; the transaction rolls back anyway.
            await copy.CancelAsync().ConfigureAwait(false);
            throw;
        }

        // Ends the COPY (the rows are checked and stored by the server now).
        await copy.DisposeAsync().ConfigureAwait(false);

        await key.RebuildAsync(db, ct).ConfigureAwait(false);
        return true;
    }

    /// <summary>A field of <c>COPY … FROM STDIN</c> in text format: backslash, tab, newline and carriage return escaped.</summary>
    private static void WriteText(TextWriter w, string value)
    {
        if (value.AsSpan().IndexOfAny(CopyTextSpecials) < 0)
        {
            w.Write(value);
            return;
        }

        foreach (var c in value)
        {
            switch (c)
            {
                case '\\': w.Write("\\\\"); break;
                case '\t': w.Write("\\t"); break;
                case '\n': w.Write("\\n"); break;
                case '\r': w.Write("\\r"); break;
                default: w.Write(c); break;
            }
        }
    }

    private static IEnumerable<string> GroupInserts(GatewayDbContext db, string filter, bool upsert = true)
    {
        var date = db.Database.IsNpgsql() ? "to_char(\"BirthDate\", 'YYYY-MM-DD')" : "\"BirthDate\"";
        var onConflict = upsert ? $" ON CONFLICT (\"Kind\", \"NameKey\", \"OtherKey\") DO UPDATE SET \"Count\" = {Table}.\"Count\" + excluded.\"Count\"" : "";
        foreach (var (kind, other) in new[] { (NameAndDate, date), (NameAndFirstName, "\"FirstNameKey\""), (NameOnly, "''") })
        {
            yield return $"INSERT INTO {Table} (\"Kind\", \"NameKey\", \"OtherKey\", \"Count\") SELECT '{kind}', \"BirthNameKey\", {other}, count(*) FROM identities"
                + $" WHERE \"MergedIntoId\" IS NULL AND {filter} GROUP BY \"BirthNameKey\"{(kind == NameOnly ? "" : ", " + other)}" + onConflict;
        }
    }

    private static IEnumerable<(string Sql, object[] Args)> Statements(SortedDictionary<(string Kind, string Name, string Other), int> deltas)
    {
        var rows = deltas.ToList();
        for (var start = 0; start < rows.Count; start += ParametersPerStatement / 4)
        {
            var chunk = rows.Skip(start).Take(ParametersPerStatement / 4).ToList();
            var sql = new StringBuilder($"INSERT INTO {Table} (\"Kind\", \"NameKey\", \"OtherKey\", \"Count\") VALUES ");
            var args = new object[chunk.Count * 4];
            for (var i = 0; i < chunk.Count; i++)
            {
                var ((kind, name, other), delta) = chunk[i];
                sql.Append(i == 0 ? "" : ", ").Append(CultureInfo.InvariantCulture, $"({{{i * 4}}}, {{{(i * 4) + 1}}}, {{{(i * 4) + 2}}}, {{{(i * 4) + 3}}})");
                args[i * 4] = kind;
                args[(i * 4) + 1] = name;
                args[(i * 4) + 2] = other;
                args[(i * 4) + 3] = delta;
            }

            sql.Append($" ON CONFLICT (\"Kind\", \"NameKey\", \"OtherKey\") DO UPDATE SET \"Count\" = {Table}.\"Count\" + excluded.\"Count\"");
            yield return (sql.ToString(), args);
        }
    }
}
