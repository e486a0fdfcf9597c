using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace SanteGateway.Store;

/// <summary>
/// Initial-load helper: secondary indexes of empty tables are dropped before a bulk load and rebuilt after it, inside the
/// caller's transaction. Building an index once over sorted keys costs a fraction of maintaining it row by row (measured
/// on the identity import: see docs/performance.md). The definitions are read from the database catalogue, so whatever
/// the migrations declare is rebuilt exactly; primary keys and indexes backing constraints are left alone.
/// </summary>
/// <remarks>
/// Dropping an index takes an exclusive lock on its table until the transaction ends: concurrent readers of these tables
/// wait for the load to commit. Use only on tables that hold nothing yet (an initial load).
/// </remarks>
public sealed class SuspendedIndexes
{
    private readonly List<string> definitions;

    private SuspendedIndexes(List<string> definitions) => this.definitions = definitions;

    /// <summary>How many indexes were dropped and will be rebuilt.</summary>
    public int Count => definitions.Count;

    /// <summary>
    /// Drops the secondary indexes of <paramref name="tables"/>.
    /// Must run inside an open transaction on <paramref name="db"/>'s connection.
    /// </summary>
    /// <param name="db">Context whose connection and transaction carry the load.</param>
    /// <param name="tables">Table names (as in the database).</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>What to rebuild with <see cref="RebuildAsync"/>.</returns>
    public static async Task<SuspendedIndexes> DropAsync(GatewayDbContext db, IReadOnlyList<string> tables, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(tables);
        var connection = db.Database.GetDbConnection();
        var transaction = db.Database.CurrentTransaction?.GetDbTransaction() ?? throw new InvalidOperationException("A transaction must be open.");
        var found = new List<(string Name, string Definition)>();
        var postgres = db.Database.IsNpgsql();
        foreach (var table in tables)
        {
            await using var cmd = connection.CreateCommand();
            cmd.Transaction = transaction;
            cmd.CommandText = postgres
                ? """
                  SELECT i.relname, pg_get_indexdef(i.oid)
                  FROM pg_index x
                  JOIN pg_class i ON i.oid = x.indexrelid
                  JOIN pg_class t ON t.oid = x.indrelid
                  JOIN pg_namespace n ON n.oid = t.relnamespace
                  WHERE t.relname = @table AND n.nspname = current_schema() AND NOT x.indisprimary
                    AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
                  """
                : "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = @table AND sql IS NOT NULL";
            var p = cmd.CreateParameter();
            p.ParameterName = "@table";
            p.Value = table;
            cmd.Parameters.Add(p);
            await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                found.Add((reader.GetString(0), reader.GetString(1)));
            }
        }

        foreach (var (name, _) in found)
        {
            await ExecuteAsync(connection, transaction, $"DROP INDEX \"{name.Replace("\"", "\"\"", StringComparison.Ordinal)}\"", ct).ConfigureAwait(false);
        }

        if (postgres)
        {
            // Sorting for the rebuild is the whole cost: give it memory for this transaction only.
            await ExecuteAsync(connection, transaction, "SET LOCAL maintenance_work_mem = '256MB'", ct).ConfigureAwait(false);
        }

        return new SuspendedIndexes(found.ConvertAll(f => f.Definition));
    }

    /// <summary>Re-creates every dropped index (same definitions), in the same transaction.</summary>
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
            await ExecuteAsync(connection, transaction, definition, ct).ConfigureAwait(false);
        }
    }

    private static async Task ExecuteAsync(DbConnection connection, DbTransaction transaction, string sql, CancellationToken ct)
    {
        await using var cmd = connection.CreateCommand();
        cmd.Transaction = transaction;
        cmd.CommandText = sql;
        cmd.CommandTimeout = 0; // an index over ten million rows takes minutes, not the default 30 s
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }
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
        await using var get = connection.CreateCommand();
        get.CommandText = "PRAGMA cache_size";
        var previous = Convert.ToInt64(await get.ExecuteScalarAsync(ct).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
        await using var set = connection.CreateCommand();
        set.CommandText = "PRAGMA cache_size = -262144";
        await set.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
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

            await using var cmd = connection.CreateCommand();
            cmd.CommandText = "PRAGMA cache_size = " + previous.ToString(System.Globalization.CultureInfo.InvariantCulture);
            await cmd.ExecuteNonQueryAsync().ConfigureAwait(false);
        }
    }
}
