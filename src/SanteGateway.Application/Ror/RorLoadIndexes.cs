using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using SanteGateway.Store;

namespace SanteGateway.Application;

/// <summary>
/// The secondary indexes of <c>ror_resources</c> during an initial load: dropped before the first batch and built once at
/// the end (a sort per index instead of eight B-trees updated per row). Their definitions come from the EF model, not from
/// the catalogue at drop time, so a load killed while they are dropped loses nothing: the resumed run (or any later run,
/// through <see cref="EnsureAsync"/>) creates whatever is missing with the same names, columns and filters as the migrations.
/// The two partial validation indexes stay: the rows of a load are not pending (except a 1 % sample), so they cost nothing.
/// </summary>
internal static class RorLoadIndexes
{
    private const string Table = "ror_resources";

    /// <summary>The model's indexes of the table that a load suspends (unfiltered, non-unique): name and <c>CREATE INDEX IF NOT EXISTS</c>.</summary>
    internal static IReadOnlyList<(string Name, string Create)> Suspendable(GatewayDbContext db)
    {
        var table = db.Model.GetRelationalModel().FindTable(Table, null) ?? throw new InvalidOperationException("ror_resources is not in the model.");
        return table.Indexes
            .Where(i => !i.IsUnique && i.Filter is null)
            .OrderBy(i => i.Name, StringComparer.Ordinal)
            .Select(i => (i.Name, $"CREATE INDEX IF NOT EXISTS {Q(i.Name)} ON {Q(Table)} ({string.Join(", ", i.Columns.Select(c => Q(c.Name)))})"))
            .ToList();
    }

    /// <summary>Drops the suspendable indexes (own transaction). Only for an initial load whose search keys are written at the end.</summary>
    public static async Task DropAsync(GatewayDbContext db, CancellationToken ct)
    {
        var strategy = db.Database.CreateExecutionStrategy();
        await strategy.ExecuteAsync(async () =>
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct).ConfigureAwait(false);
            foreach (var (name, _) in Suspendable(db))
            {
                await ExecAsync(db, $"DROP INDEX IF EXISTS {Q(name)}", ct).ConfigureAwait(false);
            }

            await tx.CommitAsync(ct).ConfigureAwait(false);
        }).ConfigureAwait(false);
    }

    /// <summary>Creates every suspendable index that does not exist (own transaction; a no-op when all exist).</summary>
    public static async Task EnsureAsync(GatewayDbContext db, CancellationToken ct)
    {
        var present = await ExistingAsync(db, ct).ConfigureAwait(false);
        var missing = Suspendable(db).Where(i => !present.Contains(i.Name)).ToList();
        if (missing.Count == 0)
        {
            return;
        }

        var strategy = db.Database.CreateExecutionStrategy();
        await strategy.ExecuteAsync(async () =>
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct).ConfigureAwait(false);
            if (db.Database.IsNpgsql())
            {
                // Sorting is the whole cost of a build: memory for this transaction only (no session state left on the pooled connection).
                await ExecAsync(db, "SET LOCAL maintenance_work_mem = '256MB'", ct).ConfigureAwait(false);
            }

            foreach (var (_, create) in missing)
            {
                await ExecAsync(db, create, ct).ConfigureAwait(false);
            }

            await tx.CommitAsync(ct).ConfigureAwait(false);
        }).ConfigureAwait(false);
    }

    /// <summary>Names of the indexes of <c>ror_resources</c> present in the database.</summary>
    internal static async Task<HashSet<string>> ExistingAsync(GatewayDbContext db, CancellationToken ct)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        var connection = db.Database.GetDbConnection();
        var opened = connection.State != System.Data.ConnectionState.Open;
        if (opened)
        {
            await db.Database.OpenConnectionAsync(ct).ConfigureAwait(false);
        }

        try
        {
            await using var cmd = connection.CreateCommand();
            cmd.Transaction = db.Database.CurrentTransaction?.GetDbTransaction();
            cmd.CommandText = db.Database.IsNpgsql()
                ? "SELECT indexname FROM pg_indexes WHERE tablename = 'ror_resources' AND schemaname = current_schema()"
                : "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'ror_resources'";
            await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                names.Add(reader.GetString(0));
            }
        }
        finally
        {
            if (opened)
            {
                await db.Database.CloseConnectionAsync().ConfigureAwait(false);
            }
        }

        return names;
    }

    private static async Task ExecAsync(GatewayDbContext db, string sql, CancellationToken ct)
    {
        DbConnection connection = db.Database.GetDbConnection();
        await using var cmd = connection.CreateCommand();
        cmd.Transaction = db.Database.CurrentTransaction?.GetDbTransaction();
        cmd.CommandText = sql;
        // No timeout: building an index over a national mirror is not a 30 s affair.
        cmd.CommandTimeout = 0;
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private static string Q(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
