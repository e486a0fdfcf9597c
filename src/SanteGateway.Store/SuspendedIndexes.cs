using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace SanteGateway.Store;

/// <summary>
/// Initial-load helper: secondary indexes of empty tables are dropped before a bulk load and rebuilt after it, inside the
/// caller's transaction. Building an index once over sorted keys costs a fraction of maintaining it row by row (measured
/// on the identity import: see docs/performance.md). On PostgreSQL the foreign keys of these tables are suspended too and
/// added back at the end, which checks every row in one join instead of one trigger call per inserted row; the primary
/// keys too when asked, and the empty tables can be emptied again with <c>TRUNCATE</c> so that the load's <c>COPY</c> may
/// write frozen rows. The definitions are read from the database catalogue, so whatever the migrations declare is rebuilt
/// exactly; other indexes backing constraints (unique constraints) are left alone.
/// </summary>
/// <remarks>
/// Dropping an index takes an exclusive lock on its table until the transaction ends: concurrent readers of these tables
/// wait for the load to commit. Use only on tables that hold nothing yet (an initial load).
/// </remarks>
public sealed class SuspendedIndexes
{
    private readonly List<string> definitions;
    private readonly HashSet<string> emptied;

    private SuspendedIndexes(List<string> definitions, HashSet<string> emptied)
    {
        this.definitions = definitions;
        this.emptied = emptied;
    }

    /// <summary>How many indexes and constraints were dropped and will be rebuilt.</summary>
    public int Count => definitions.Count;

    /// <summary>
    /// True when <paramref name="table"/> was emptied by <c>TRUNCATE</c> in this transaction (PostgreSQL, <c>truncate</c>
    /// asked and the table held no row): a <c>COPY … (FREEZE)</c> into it is then allowed until the transaction ends.
    /// </summary>
    /// <param name="table">Table name (as in the database).</param>
    /// <returns>Whether <c>FREEZE</c> may be used.</returns>
    public bool CanFreeze(string table) => emptied.Contains(table);

    /// <summary>
    /// Drops the secondary indexes (and, on PostgreSQL, the foreign keys) of <paramref name="tables"/>.
    /// Must run inside an open transaction on <paramref name="db"/>'s connection.
    /// </summary>
    /// <param name="db">Context whose connection and transaction carry the load.</param>
    /// <param name="tables">Table names (as in the database).</param>
    /// <param name="ct">Cancellation.</param>
    /// <param name="primaryKeys">PostgreSQL: suspend the primary keys too (only for tables that are empty and receive
    /// unique rows: nothing checks them before the rebuild, which then fails the load on a duplicate). The foreign keys
    /// of other tables that reference these are suspended with them (a key cannot be dropped under them).</param>
    /// <param name="keep">Indexes left in place: partial indexes no loaded row enters (maintaining them costs a predicate
    /// per row, rebuilding them a whole scan of the table).</param>
    /// <param name="truncate">PostgreSQL: <c>TRUNCATE</c> the tables that hold no row (checked under the load's exclusive
    /// lock), so the load may write them with <c>COPY … (FREEZE)</c> (<see cref="CanFreeze"/>). The foreign keys that
    /// reference them are suspended as for <paramref name="primaryKeys"/>.</param>
    /// <returns>What to rebuild with <see cref="RebuildAsync"/>.</returns>
    public static async Task<SuspendedIndexes> DropAsync(GatewayDbContext db, IReadOnlyList<string> tables, CancellationToken ct, bool primaryKeys = false, IReadOnlyCollection<string>? keep = null, bool truncate = false)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(tables);
        var connection = db.Database.GetDbConnection();
        var transaction = db.Database.CurrentTransaction?.GetDbTransaction() ?? throw new InvalidOperationException("A transaction must be open.");
        var indexes = new List<(string Name, string Definition)>();
        var keys = new List<(string Table, string Name, string Definition, char Type)>();
        var postgres = db.Database.IsNpgsql();
        var incoming = postgres && (primaryKeys || truncate);
        foreach (var table in tables)
        {
            await StoreCommand.ReadAsync(connection, transaction, postgres
                ? """
                  SELECT i.relname, pg_get_indexdef(i.oid)
                  FROM pg_index x
                  JOIN pg_class i ON i.oid = x.indexrelid
                  JOIN pg_class t ON t.oid = x.indrelid
                  JOIN pg_namespace n ON n.oid = t.relnamespace
                  WHERE t.relname = @table AND n.nspname = current_schema() AND NOT x.indisprimary
                    AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
                  """
                : "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = @table AND sql IS NOT NULL",
                table, r =>
                {
                    if (keep is null || !keep.Contains(r.GetString(0)))
                    {
                        indexes.Add((r.GetString(0), r.GetString(1)));
                    }
                }, ct).ConfigureAwait(false);
            if (postgres)
            {
                // The table's own foreign keys (and primary key), then, when asked, the foreign keys of other tables that
                // point at it; a key found from both of its ends is kept once.
                await StoreCommand.ReadAsync(connection, transaction, """
                    SELECT t.relname, c.conname, pg_get_constraintdef(c.oid), c.contype
                    FROM pg_constraint c
                    JOIN pg_class t ON t.oid = c.conrelid
                    JOIN pg_namespace n ON n.oid = t.relnamespace
                    WHERE n.nspname = current_schema() AND (
                      (t.relname = @table AND c.contype IN ('f', @p))
                      OR (@incoming AND c.contype = 'f' AND c.confrelid = (SELECT r.oid FROM pg_class r WHERE r.relname = @table AND r.relnamespace = n.oid)))
                    """, table, r =>
                    {
                        var key = (r.GetString(0), r.GetString(1), r.GetString(2), r.GetChar(3));
                        if (!keys.Exists(k => k.Table == key.Item1 && k.Name == key.Item2))
                        {
                            keys.Add(key);
                        }
                    }, ct, ("@p", primaryKeys ? "p" : "f"), ("@incoming", incoming)).ConfigureAwait(false);
            }
        }

        // Foreign keys first: a primary key cannot be dropped while a foreign key depends on it.
        foreach (var (table, name, _, _) in keys.OrderBy(k => k.Type))
        {
            await StoreCommand.ExecuteAsync(connection, transaction, $"ALTER TABLE {Quote(table)} DROP CONSTRAINT {Quote(name)}", ct).ConfigureAwait(false);
        }

        foreach (var (name, _) in indexes)
        {
            await StoreCommand.ExecuteAsync(connection, transaction, $"DROP INDEX {Quote(name)}", ct).ConfigureAwait(false);
        }

        var emptied = new HashSet<string>(StringComparer.Ordinal);
        if (postgres)
        {
            if (truncate)
            {
                // TRUNCATE gives each table a new, empty file in this transaction: COPY … (FREEZE) may then write its rows
                // frozen and all-visible (no hint bits to set by the first readers, nothing for VACUUM to freeze later, and
                // index-only scans from the start). Only tables found empty: the lock taken above keeps them so.
                foreach (var table in tables)
                {
                    var any = false;
                    await StoreCommand.ReadAsync(connection, transaction, $"SELECT EXISTS (SELECT 1 FROM {Quote(table)})", null, r => any = r.GetBoolean(0), ct).ConfigureAwait(false);
                    if (!any)
                    {
                        emptied.Add(table);
                    }
                }

                if (emptied.Count > 0)
                {
                    await StoreCommand.ExecuteAsync(connection, transaction, "TRUNCATE " + string.Join(", ", emptied.Select(Quote)), ct).ConfigureAwait(false);
                }
            }

            // Sorting for the rebuild is the whole cost: give it memory for this transaction only.
            await StoreCommand.ExecuteAsync(connection, transaction, "SET LOCAL maintenance_work_mem = '256MB'", ct).ConfigureAwait(false);
        }

        // Primary keys back first, then the indexes, then the foreign keys: checking a foreign key is a join of the two
        // tables, which can then read both sides in key order from their indexes.
        return new SuspendedIndexes(
            [
                .. keys.Where(k => k.Type != 'f').Select(Add),
                .. indexes.Select(f => f.Definition),
                .. keys.Where(k => k.Type == 'f').Select(Add),
            ],
            emptied);
        static string Add((string Table, string Name, string Definition, char Type) k) => $"ALTER TABLE {Quote(k.Table)} ADD CONSTRAINT {Quote(k.Name)} {k.Definition}";
    }

    /// <summary>Re-creates every dropped index and constraint (same definitions), in the same transaction.</summary>
    /// <param name="db">The context given to <see cref="DropAsync"/>.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>A task.</returns>
    public async Task RebuildAsync(GatewayDbContext db, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        var connection = db.Database.GetDbConnection();
        var transaction = db.Database.CurrentTransaction?.GetDbTransaction() ?? throw new InvalidOperationException("A transaction must be open.");
        foreach (var definition in definitions)
        {
            await StoreCommand.ExecuteAsync(connection, transaction, definition, ct).ConfigureAwait(false);
        }
    }

    private static string Quote(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}

/// <summary>SQLite page cache for a bulk load on one connection.</summary>
public static class BulkLoadCache
{
    /// <summary>
    /// On SQLite, raises the connection's page cache to 256 MB until the returned scope is disposed (the default 2 MB
    /// makes a million-row load I/O-bound on random index pages); nothing on PostgreSQL. The connection must be open.
    /// </summary>
    /// <param name="db">The context whose open connection carries the load.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>A scope that restores the previous size.</returns>
    public static async Task<IAsyncDisposable> RaiseAsync(GatewayDbContext db, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        if (db.Database.IsNpgsql())
        {
            return new Restore(null, 0);
        }

        var connection = db.Database.GetDbConnection();
        long previous = 0;
        await StoreCommand.ReadAsync(connection, null, "PRAGMA cache_size", null, r => previous = r.GetInt64(0), ct).ConfigureAwait(false);
        await StoreCommand.ExecuteAsync(connection, null, "PRAGMA cache_size = -262144", ct).ConfigureAwait(false);
        return new Restore(connection, previous);
    }

    private sealed class Restore(DbConnection? connection, long previous) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            if (connection is null || connection.State != System.Data.ConnectionState.Open)
            {
                return;
            }

            await StoreCommand.ExecuteAsync(connection, null, "PRAGMA cache_size = " + previous.ToString(System.Globalization.CultureInfo.InvariantCulture), CancellationToken.None).ConfigureAwait(false);
        }
    }
}

/// <summary>Raw commands on an open connection for the bulk-load helpers (no EF Core, no command timeout).</summary>
internal static class StoreCommand
{
    /// <summary>Runs a statement. No timeout: an index over ten million rows takes minutes, not the default 30 s.</summary>
    public static async Task ExecuteAsync(DbConnection connection, DbTransaction? transaction, string sql, CancellationToken ct)
    {
        await using var cmd = Create(connection, transaction, sql, null);
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Runs a query with an optional <c>@table</c> parameter and hands each row to <paramref name="row"/>.</summary>
    public static async Task ReadAsync(DbConnection connection, DbTransaction? transaction, string sql, string? table, Action<DbDataReader> row, CancellationToken ct, params (string Name, object Value)[] parameters)
    {
        await using var cmd = Create(connection, transaction, sql, table);
        foreach (var (name, value) in parameters)
        {
            var p = cmd.CreateParameter();
            p.ParameterName = name;
            p.Value = value;
            cmd.Parameters.Add(p);
        }

        await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            row(reader);
        }
    }

    private static DbCommand Create(DbConnection connection, DbTransaction? transaction, string sql, string? table)
    {
        var cmd = connection.CreateCommand();
        cmd.Transaction = transaction;
        cmd.CommandText = sql;
        cmd.CommandTimeout = 0;
        if (table is not null)
        {
            var p = cmd.CreateParameter();
            p.ParameterName = "@table";
            p.Value = table;
            cmd.Parameters.Add(p);
        }

        return cmd;
    }
}
