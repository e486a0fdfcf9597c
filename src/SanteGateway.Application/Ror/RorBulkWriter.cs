using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using NpgsqlTypes;
using SanteGateway.Store;
using SanteGateway.Store.Entities;

namespace SanteGateway.Application;

/// <summary>
/// Writes a batch of mirrored ROR resources without EF change tracking, inside the caller's transaction. A row is
/// replaced only when the incoming copy is newer (<c>lastUpdated</c> later, or equal with another <c>versionId</c>);
/// every row received gets the run's mark, so the full reconciliation deletes only what the export no longer holds.
/// PostgreSQL: binary COPY into a temporary table, one UPDATE for the marks of unchanged rows and one
/// <c>INSERT … ON CONFLICT DO UPDATE … WHERE newer</c>. SQLite: the same upsert as a prepared statement per row
/// (SQLite runs in-process, so a round trip costs a function call). The validation columns travel with the row: a stored
/// copy replaces the previous copy's result (<c>pending</c> or not validated); with <c>revalidateUnchanged</c> (validation
/// mode All) the rows that are not newer are marked <c>pending</c> as well.
/// </summary>
internal interface IRorBulkWriter : IDisposable
{
    /// <summary>Upserts <paramref name="rows"/> (distinct keys) and returns the rows stored (new or newer) and how many were already up to date.</summary>
    Task<(IReadOnlyList<RorResource> Stored, int Unchanged)> WriteAsync(GatewayDbContext db, IReadOnlyList<RorResource> rows, CancellationToken ct);

    /// <summary>Adds search keys (none of them present: the caller deleted the resources' keys) and vocabulary words (present ones ignored).</summary>
    Task WriteSearchKeysAsync(GatewayDbContext db, IReadOnlyList<RorSearchKey> keys, IReadOnlyList<RorSearchWord> words, CancellationToken ct);

    /// <summary>
    /// Starts building every search key at once (inside the caller's transaction, key tables empty): keys are appended to an
    /// unindexed staging table, then copied sorted (see <see cref="EndKeyBuildAsync"/>).
    /// </summary>
    Task BeginKeyBuildAsync(GatewayDbContext db, CancellationToken ct);

    /// <summary>Appends keys to the staging table of <see cref="BeginKeyBuildAsync"/> (duplicates allowed: they are removed when copied).</summary>
    Task StageSearchKeysAsync(GatewayDbContext db, IReadOnlyList<RorSearchKey> keys, CancellationToken ct);

    /// <summary>Copies the staged keys into the key table in index order, derives the vocabulary from them and drops the staging table.</summary>
    Task EndKeyBuildAsync(GatewayDbContext db, CancellationToken ct);

    /// <summary>Creates the writer for the context's provider.</summary>
    static IRorBulkWriter For(GatewayDbContext db, bool revalidateUnchanged = false) =>
        db.Database.IsNpgsql() ? new PostgresRorWriter(revalidateUnchanged) : new SqliteRorWriter(revalidateUnchanged);
}

/// <summary>Column list shared by both writers (the order of the COPY and of the parameters).</summary>
internal static class RorColumns
{
    public static readonly string[] All =
    [
        "ResourceType", "ResourceId", "VersionId", "LastUpdatedTicks", "Json", "Name", "NameKey", "Identifier", "OrganizationId", "LocationId", "ServiceId",
        "PractitionerId", "CommuneCode", "CityKey", "PostalCode", "Codes", "Summary", "Region", "SeenInRun", "SyncedAtTicks",
        "ValidationStatus", "ValidationIssues", "ValidatedAtTicks",
    ];

    /// <summary>Columns replaced when the incoming copy is newer (all but the key).</summary>
    public static readonly string[] Replaced = All[2..];

    public static string List(string? prefix = null) => string.Join(", ", All.Select(c => prefix + Q(c)));

    public static string Q(string column) => "\"" + column + "\"";

    /// <summary>The upsert's condition: <c>excluded</c> newer than the stored row <paramref name="t"/>.</summary>
    public static string Newer(string t, string s) =>
        $"({s}.\"LastUpdatedTicks\" > {t}.\"LastUpdatedTicks\" OR ({s}.\"LastUpdatedTicks\" = {t}.\"LastUpdatedTicks\" AND {s}.\"VersionId\" IS DISTINCT FROM {t}.\"VersionId\"))";

    /// <summary>The staging table of a key build (temporary: private to the connection, gone with it).</summary>
    public const string Stage = "ror_key_stage";

    /// <summary>Creates the staging table (both providers).</summary>
    public const string CreateStage = "CREATE TEMP TABLE " + Stage + " (\"Kind\" TEXT NOT NULL, \"Key\" TEXT NOT NULL, \"ResourceId\" TEXT NOT NULL)";

    /// <summary>
    /// The staged keys copied in the key table's index order (on SQLite an append at the end of the B-tree instead of a random
    /// insert per key), then the vocabulary: specialty tokens (kind s) and the words of offers' and organisations' names (n, o).
    /// </summary>
    public static readonly string[] PublishStage =
    [
        $"""INSERT INTO ror_search_keys ("Kind", "Key", "ResourceId") SELECT DISTINCT "Kind", "Key", "ResourceId" FROM {Stage} ORDER BY 1, 2, 3""",
        $"""
        INSERT INTO ror_search_words ("Kind", "Word")
        SELECT DISTINCT CASE WHEN "Kind" = 's' THEN 's' ELSE 'n' END, "Key" FROM {Stage} WHERE "Kind" IN ('s', 'n', 'o') ORDER BY 1, 2
        """,
        $"DROP TABLE {Stage}",
    ];

    public static object?[] Values(RorResource r) =>
    [
        r.ResourceType, r.ResourceId, r.VersionId, r.LastUpdatedTicks, r.Json, r.Name, r.NameKey, r.Identifier, r.OrganizationId, r.LocationId, r.ServiceId,
        r.PractitionerId, r.CommuneCode, r.CityKey, r.PostalCode, r.Codes, r.Summary, r.Region, r.SeenInRun, r.SyncedAtTicks,
        r.ValidationStatus, r.ValidationIssues, r.ValidatedAtTicks,
    ];
}

internal sealed class PostgresRorWriter(bool revalidateUnchanged) : IRorBulkWriter
{
    public async Task<(IReadOnlyList<RorResource> Stored, int Unchanged)> WriteAsync(GatewayDbContext db, IReadOnlyList<RorResource> rows, CancellationToken ct)
    {
        var c = (NpgsqlConnection)db.Database.GetDbConnection();
        var tx = (NpgsqlTransaction)db.Database.CurrentTransaction!.GetDbTransaction();
        await Exec(c, tx, "CREATE TEMP TABLE ror_stage (LIKE ror_resources) ON COMMIT DROP", ct).ConfigureAwait(false);
        await using (var copy = await c.BeginBinaryImportAsync($"COPY ror_stage ({RorColumns.List()}) FROM STDIN (FORMAT BINARY)", ct).ConfigureAwait(false))
        {
            foreach (var r in rows)
            {
                await copy.StartRowAsync(ct).ConfigureAwait(false);
                foreach (var v in RorColumns.Values(r))
                {
                    switch (v)
                    {
                        case null: await copy.WriteNullAsync(ct).ConfigureAwait(false); break;
                        case long l: await copy.WriteAsync(l, NpgsqlDbType.Bigint, ct).ConfigureAwait(false); break;
                        case string s: await copy.WriteAsync(s, NpgsqlDbType.Text, ct).ConfigureAwait(false); break;
                        default: throw new InvalidOperationException("unexpected column type " + v.GetType());
                    }
                }
            }

            await copy.CompleteAsync(ct).ConfigureAwait(false);
        }

        // Marks first: once the upsert has run, a replaced row would look unchanged.
        var unchanged = await Exec(c, tx, $"""
            UPDATE ror_resources AS t SET "SeenInRun" = s."SeenInRun"{(revalidateUnchanged ? ", \"ValidationStatus\" = 'pending'" : "")} FROM ror_stage AS s
            WHERE t."ResourceType" = s."ResourceType" AND t."ResourceId" = s."ResourceId" AND NOT {RorColumns.Newer("t", "s")}
            """, ct).ConfigureAwait(false);
        var storedKeys = new HashSet<(string, string)>();
        await using (var insert = new NpgsqlCommand($"""
            INSERT INTO ror_resources ({RorColumns.List()}) SELECT {RorColumns.List()} FROM ror_stage
            ON CONFLICT ("ResourceType", "ResourceId") DO UPDATE SET {string.Join(", ", RorColumns.Replaced.Select(x => RorColumns.Q(x) + " = excluded." + RorColumns.Q(x)))}
            WHERE {RorColumns.Newer("ror_resources", "excluded")}
            RETURNING "ResourceType", "ResourceId"
            """, c, tx))
        {
            await using var reader = await insert.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                storedKeys.Add((reader.GetString(0), reader.GetString(1)));
            }
        }

        await Exec(c, tx, "DROP TABLE ror_stage", ct).ConfigureAwait(false);
        return (rows.Where(r => storedKeys.Contains((r.ResourceType, r.ResourceId))).ToList(), unchanged);
    }

    public async Task WriteSearchKeysAsync(GatewayDbContext db, IReadOnlyList<RorSearchKey> keys, IReadOnlyList<RorSearchWord> words, CancellationToken ct)
    {
        var c = (NpgsqlConnection)db.Database.GetDbConnection();
        var tx = (NpgsqlTransaction)db.Database.CurrentTransaction!.GetDbTransaction();
        if (keys.Count > 0)
        {
            // Arrays in one statement: one round trip per batch.
            await using var cmd = new NpgsqlCommand("""
                INSERT INTO ror_search_keys ("Kind", "Key", "ResourceId") SELECT * FROM unnest(@k, @w, @r) ON CONFLICT DO NOTHING
                """, c, tx);
            cmd.Parameters.Add(new NpgsqlParameter("k", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = keys.Select(x => x.Kind).ToArray() });
            cmd.Parameters.Add(new NpgsqlParameter("w", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = keys.Select(x => x.Key).ToArray() });
            cmd.Parameters.Add(new NpgsqlParameter("r", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = keys.Select(x => x.ResourceId).ToArray() });
            await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }

        if (words.Count > 0)
        {
            await using var cmd = new NpgsqlCommand("""
                INSERT INTO ror_search_words ("Kind", "Word") SELECT * FROM unnest(@k, @w) ON CONFLICT DO NOTHING
                """, c, tx);
            cmd.Parameters.Add(new NpgsqlParameter("k", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = words.Select(x => x.Kind).ToArray() });
            cmd.Parameters.Add(new NpgsqlParameter("w", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = words.Select(x => x.Word).ToArray() });
            await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
    }

    public async Task BeginKeyBuildAsync(GatewayDbContext db, CancellationToken ct)
    {
        var c = (NpgsqlConnection)db.Database.GetDbConnection();
        var tx = (NpgsqlTransaction)db.Database.CurrentTransaction!.GetDbTransaction();
        await Exec(c, tx, RorColumns.CreateStage + " ON COMMIT DROP", ct).ConfigureAwait(false);
    }

    public async Task StageSearchKeysAsync(GatewayDbContext db, IReadOnlyList<RorSearchKey> keys, CancellationToken ct)
    {
        var c = (NpgsqlConnection)db.Database.GetDbConnection();
        await using var copy = await c.BeginBinaryImportAsync($"COPY {RorColumns.Stage} (\"Kind\", \"Key\", \"ResourceId\") FROM STDIN (FORMAT BINARY)", ct).ConfigureAwait(false);
        foreach (var k in keys)
        {
            await copy.StartRowAsync(ct).ConfigureAwait(false);
            await copy.WriteAsync(k.Kind, NpgsqlDbType.Text, ct).ConfigureAwait(false);
            await copy.WriteAsync(k.Key, NpgsqlDbType.Text, ct).ConfigureAwait(false);
            await copy.WriteAsync(k.ResourceId, NpgsqlDbType.Text, ct).ConfigureAwait(false);
        }

        await copy.CompleteAsync(ct).ConfigureAwait(false);
    }

    public async Task EndKeyBuildAsync(GatewayDbContext db, CancellationToken ct)
    {
        var c = (NpgsqlConnection)db.Database.GetDbConnection();
        var tx = (NpgsqlTransaction)db.Database.CurrentTransaction!.GetDbTransaction();
        foreach (var sql in RorColumns.PublishStage)
        {
            await Exec(c, tx, sql, ct).ConfigureAwait(false);
        }
    }

    public void Dispose()
    {
    }

    private static async Task<int> Exec(NpgsqlConnection c, NpgsqlTransaction tx, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, c, tx);
        return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }
}

internal sealed class SqliteRorWriter(bool revalidateUnchanged) : IRorBulkWriter
{
    private SqliteCommand? upsert;
    private SqliteCommand? mark;
    private SqliteCommand? insertKey;
    private SqliteCommand? insertWord;
    private SqliteTransaction? preparedFor;

    public async Task<(IReadOnlyList<RorResource> Stored, int Unchanged)> WriteAsync(GatewayDbContext db, IReadOnlyList<RorResource> rows, CancellationToken ct)
    {
        Prepare(db);
        var stored = new List<RorResource>();
        var unchanged = 0;
        foreach (var r in rows)
        {
            ct.ThrowIfCancellationRequested();
            var values = RorColumns.Values(r);
            for (var i = 0; i < values.Length; i++)
            {
                upsert!.Parameters[i].Value = values[i] ?? DBNull.Value;
            }

            if (upsert!.ExecuteNonQuery() == 1)
            {
                stored.Add(r);
                continue;
            }

            // Not newer: only the mark of the run changes.
            mark!.Parameters[0].Value = r.SeenInRun;
            mark.Parameters[1].Value = r.ResourceType;
            mark.Parameters[2].Value = r.ResourceId;
            mark.ExecuteNonQuery();
            unchanged++;
        }

        await Task.CompletedTask.ConfigureAwait(false);
        return (stored, unchanged);
    }

    public async Task WriteSearchKeysAsync(GatewayDbContext db, IReadOnlyList<RorSearchKey> keys, IReadOnlyList<RorSearchWord> words, CancellationToken ct)
    {
        Prepare(db);
        foreach (var k in keys)
        {
            ct.ThrowIfCancellationRequested();
            insertKey!.Parameters[0].Value = k.Kind;
            insertKey.Parameters[1].Value = k.Key;
            insertKey.Parameters[2].Value = k.ResourceId;
            insertKey.ExecuteNonQuery();
        }

        foreach (var w in words)
        {
            insertWord!.Parameters[0].Value = w.Kind;
            insertWord.Parameters[1].Value = w.Word;
            insertWord.ExecuteNonQuery();
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    private SqliteCommand? stageKey;

    public async Task BeginKeyBuildAsync(GatewayDbContext db, CancellationToken ct)
    {
        var c = (SqliteConnection)db.Database.GetDbConnection();
        var tx = (SqliteTransaction)db.Database.CurrentTransaction!.GetDbTransaction();
        // The id index is built once at the end (a sort) rather than updated for every key in id order of no use here.
        Exec(c, tx, "DROP INDEX IF EXISTS \"IX_ror_search_keys_ResourceId\"");
        Exec(c, tx, "DROP TABLE IF EXISTS temp." + RorColumns.Stage);
        Exec(c, tx, RorColumns.CreateStage);
        stageKey?.Dispose();
        stageKey = Prepare(c, tx, $"""INSERT INTO {RorColumns.Stage} ("Kind", "Key", "ResourceId") VALUES ($p0, $p1, $p2)""", 3);
        await Task.CompletedTask.ConfigureAwait(false);
    }

    public async Task StageSearchKeysAsync(GatewayDbContext db, IReadOnlyList<RorSearchKey> keys, CancellationToken ct)
    {
        foreach (var k in keys)
        {
            stageKey!.Parameters[0].Value = k.Kind;
            stageKey.Parameters[1].Value = k.Key;
            stageKey.Parameters[2].Value = k.ResourceId;
            stageKey.ExecuteNonQuery();
        }

        ct.ThrowIfCancellationRequested();
        await Task.CompletedTask.ConfigureAwait(false);
    }

    public async Task EndKeyBuildAsync(GatewayDbContext db, CancellationToken ct)
    {
        var c = (SqliteConnection)db.Database.GetDbConnection();
        var tx = (SqliteTransaction)db.Database.CurrentTransaction!.GetDbTransaction();
        stageKey?.Dispose();
        stageKey = null;
        foreach (var sql in RorColumns.PublishStage)
        {
            ct.ThrowIfCancellationRequested();
            Exec(c, tx, sql);
        }

        // Same definition as the migration's (Ror6).
        Exec(c, tx, "CREATE INDEX \"IX_ror_search_keys_ResourceId\" ON \"ror_search_keys\" (\"ResourceId\")");
        await Task.CompletedTask.ConfigureAwait(false);
    }

    private static void Exec(SqliteConnection c, SqliteTransaction tx, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        cmd.CommandTimeout = 0;
        cmd.ExecuteNonQuery();
    }

    /// <summary>The prepared statements for the context's current transaction (prepared again for each new transaction).</summary>
    private void Prepare(GatewayDbContext db)
    {
        var c = (SqliteConnection)db.Database.GetDbConnection();
        var tx = (SqliteTransaction)db.Database.CurrentTransaction!.GetDbTransaction();
        if (!ReferenceEquals(tx, preparedFor))
        {
            Dispose();
            var parameters = string.Join(", ", RorColumns.All.Select((_, i) => "$p" + i.ToString(CultureInfo.InvariantCulture)));
            upsert = Prepare(c, tx, $"""
                INSERT INTO ror_resources ({RorColumns.List()}) VALUES ({parameters})
                ON CONFLICT ("ResourceType", "ResourceId") DO UPDATE SET {string.Join(", ", RorColumns.Replaced.Select(x => RorColumns.Q(x) + " = excluded." + RorColumns.Q(x)))}
                WHERE {RorColumns.Newer("ror_resources", "excluded").Replace("IS DISTINCT FROM", "IS NOT", StringComparison.Ordinal)}
                """, RorColumns.All.Length);
            var pending = revalidateUnchanged ? ", \"ValidationStatus\" = 'pending'" : "";
            mark = Prepare(c, tx, $"""UPDATE ror_resources SET "SeenInRun" = $p0{pending} WHERE "ResourceType" = $p1 AND "ResourceId" = $p2""", 3);
            insertKey = Prepare(c, tx, """INSERT INTO ror_search_keys ("Kind", "Key", "ResourceId") VALUES ($p0, $p1, $p2) ON CONFLICT DO NOTHING""", 3);
            insertWord = Prepare(c, tx, """INSERT INTO ror_search_words ("Kind", "Word") VALUES ($p0, $p1) ON CONFLICT DO NOTHING""", 2);
            preparedFor = tx;
        }
    }

    public void Dispose()
    {
        upsert?.Dispose();
        mark?.Dispose();
        insertKey?.Dispose();
        insertWord?.Dispose();
        stageKey?.Dispose();
        stageKey = null;
        upsert = null;
        mark = null;
        insertKey = null;
        insertWord = null;
        preparedFor = null;
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
}
