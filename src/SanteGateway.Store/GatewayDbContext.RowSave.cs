using System.Data.Common;
using System.Globalization;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace SanteGateway.Store;

/// <summary>A save of many plain rows with multi-row statements (batch chunks).</summary>
public abstract partial class GatewayDbContext
{
    // SQLite's default limit is 32 766 bound values per statement, PostgreSQL's 65 535: a thousand is far from both and
    // keeps each statement's text short.
    private const int ParametersPerStatement = 1000;

    /// <summary>
    /// Saves the tracked changes inside the current transaction as <see cref="DbContext.SaveChangesAsync(CancellationToken)"/>
    /// would (same rows, same values, the same version stamps and audit seal), but with one multi-row <c>INSERT</c> per
    /// table and the <c>UPDATE</c>s sent together, instead of EF Core's per-row command batching — when the changes are
    /// only rows added with their keys set and rows modified (a batch chunk's exchanges, audit events and identities).
    /// Anything else (a deletion, a generated key, a related row added with its principal, a homonym count to move, no
    /// transaction open) is saved by <see cref="DbContext.SaveChangesAsync(CancellationToken)"/>. Changes are not detected
    /// here when automatic detection is off: the caller detects them first, as before a save.
    /// </summary>
    /// <param name="cancellationToken">Cancellation.</param>
    /// <returns>The number of rows written.</returns>
    /// <exception cref="DbUpdateConcurrencyException">A modified row's concurrency token (identity version) no longer matches.</exception>
    /// <exception cref="DbUpdateException">A statement failed (a unique index, a constraint): nothing may be committed.</exception>
    public async Task<int> SaveRowsAsync(CancellationToken cancellationToken = default)
    {
        if (ChangeTracker.AutoDetectChangesEnabled)
        {
            ChangeTracker.DetectChanges();
        }

        var transaction = Database.CurrentTransaction;
        if (transaction is null)
        {
            return await SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        }

        PrepareSave();
        var entries = ChangeTracker.Entries().Where(e => e.State is EntityState.Added or EntityState.Modified or EntityState.Deleted).ToList();
        if (!RowSavePossible(entries) || Store.HomonymCounts.Collect(ChangeTracker).Count > 0)
        {
            return await SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        }

        var sql = this.GetService<ISqlGenerationHelper>();
        var connection = Database.GetDbConnection();
        var dbTransaction = transaction.GetDbTransaction();
        var written = 0;
        try
        {
            foreach (var group in entries.Where(e => e.State == EntityState.Added).GroupBy(e => e.Metadata))
            {
                written += await InsertAsync(sql, connection, dbTransaction, group.Key, group.ToList(), cancellationToken).ConfigureAwait(false);
            }

            written += await UpdateAsync(sql, connection, dbTransaction, entries.Where(e => e.State == EntityState.Modified).ToList(), cancellationToken).ConfigureAwait(false);
        }
        catch (DbException ex)
        {
            throw new DbUpdateException("A row of the save was refused by the database: " + ex.Message, ex);
        }

        ChangeTracker.AcceptAllChanges();
        return written;
    }

    private static bool RowSavePossible(List<EntityEntry> entries)
    {
        var added = entries.Where(e => e.State == EntityState.Added).Select(e => e.Metadata).ToHashSet();
        foreach (var e in entries)
        {
            var type = e.Metadata;
            if (e.State == EntityState.Deleted || type.GetTableName() is null || type.IsOwned() || type.BaseType is not null
                || type.GetDerivedTypes().Any() || type.GetComplexProperties().Any())
            {
                return false;
            }

            if (e.State == EntityState.Added && (type.GetProperties().Any(p => p.ValueGenerated != ValueGenerated.Never && e.Property(p.Name).IsTemporary)
                || type.GetProperties().Any(p => p.GetDefaultValueSql() is not null || p.GetComputedColumnSql() is not null || p.FindAnnotation(RelationalAnnotationNames.DefaultValue) is not null)
                || type.GetForeignKeys().Any(f => added.Contains(f.PrincipalEntityType))))
            {
                return false; // a value the database would give, or an order between the inserts to respect
            }
        }

        return true;
    }

    private async Task<int> InsertAsync(ISqlGenerationHelper sql, DbConnection connection, DbTransaction transaction, IEntityType type, List<EntityEntry> rows, CancellationToken ct)
    {
        var table = StoreObjectIdentifier.Table(type.GetTableName()!, type.GetSchema());
        var properties = type.GetProperties().Where(p => p.GetColumnName(table) is not null).ToList();
        var mappings = properties.Select(p => p.GetRelationalTypeMapping()).ToList();
        var head = new StringBuilder("INSERT INTO ").Append(sql.DelimitIdentifier(table.Name, table.Schema)).Append(" (")
            .AppendJoin(", ", properties.Select(p => sql.DelimitIdentifier(p.GetColumnName(table)!))).Append(") VALUES ").ToString();
        // SQLite: one row per statement, prepared once and executed for every row (Microsoft.Data.Sqlite looks every
        // parameter up by name in each statement, which SQLite does by a linear scan: a thousand-parameter statement cost
        // more in binding than it saved). PostgreSQL: many rows per statement, one round trip each.
        var perStatement = Database.IsSqlite() ? 1 : Math.Max(1, ParametersPerStatement / properties.Count);
        DbCommand? command = null;
        var written = 0;
        try
        {
            for (var from = 0; from < rows.Count; from += perStatement)
            {
                var count = Math.Min(perStatement, rows.Count - from);
                if (command is null || command.Parameters.Count != count * properties.Count)
                {
                    if (command is not null)
                    {
                        await command.DisposeAsync().ConfigureAwait(false);
                    }

                    command = connection.CreateCommand();
                    command.Transaction = transaction;
                    var text = new StringBuilder(head);
                    var n = 0;
                    for (var r = 0; r < count; r++)
                    {
                        text.Append(r == 0 ? "(" : ", (");
                        for (var c = 0; c < properties.Count; c++)
                        {
                            var name = "p" + n++.ToString(CultureInfo.InvariantCulture);
                            text.Append(c == 0 ? "" : ", ").Append(sql.GenerateParameterNamePlaceholder(name));
                            command.Parameters.Add(mappings[c].CreateParameter(command, sql.GenerateParameterName(name), null, properties[c].IsNullable));
                        }

                        text.Append(')');
                    }

                    command.CommandText = text.ToString();
                }

                for (var r = 0; r < count; r++)
                {
                    var values = rows[from + r].CurrentValues;
                    for (var c = 0; c < properties.Count; c++)
                    {
                        command.Parameters[(r * properties.Count) + c].Value = ProviderValue(mappings[c], values[properties[c]]);
                    }
                }

                written += await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
        }
        finally
        {
            if (command is not null)
            {
                await command.DisposeAsync().ConfigureAwait(false);
            }
        }

        return written;
    }

    /// <summary>A value as EF Core binds it: through the type mapping's converter (times as 64-bit numbers on SQLite).</summary>
    private static object ProviderValue(RelationalTypeMapping mapping, object? value) =>
        (mapping.Converter is { } converter ? converter.ConvertToProvider(value) : value) ?? DBNull.Value;

    private static async Task<int> UpdateAsync(ISqlGenerationHelper sql, DbConnection connection, DbTransaction transaction, List<EntityEntry> rows, CancellationToken ct)
    {
        // One command per table and set of changed columns, executed once per row with its values: the statement is
        // prepared once (SQLite keeps it with the command), and each row's count is checked on its own. (Many UPDATEs in
        // one command text made SQLite look up every parameter of the command for each statement: quadratic.)
        var commands = new Dictionary<string, (DbCommand Command, List<(IProperty Property, DbParameter Parameter, bool Original)> Slots)>(StringComparer.Ordinal);
        // Per entity type, once per save: its table, key and the columns an UPDATE may set (a row's lookups were most of this method).
        var types = new Dictionary<IEntityType, (StoreObjectIdentifier Table, IReadOnlyList<IProperty> Key, List<IProperty> Columns, List<IProperty> Tokens)>();
        var written = 0;
        try
        {
            foreach (var entry in rows)
            {
                var type = entry.Metadata;
                if (!types.TryGetValue(type, out var shapeOf))
                {
                    var t = StoreObjectIdentifier.Table(type.GetTableName()!, type.GetSchema());
                    var k = type.FindPrimaryKey()!.Properties;
                    shapeOf = (t, k, type.GetProperties().Where(p => !k.Contains(p) && p.GetColumnName(t) is not null).ToList(),
                        type.GetProperties().Where(p => p.IsConcurrencyToken && !k.Contains(p)).ToList());
                    types.Add(type, shapeOf);
                }

                var (table, key, columns, tokens) = shapeOf;
                // Changed columns only, as EF Core writes them; a concurrency token stamped before the save (the version) is one.
                var set = columns.Where(p => entry.Property(p).IsModified || (p.IsConcurrencyToken && !Equals(entry.OriginalValues[p], entry.CurrentValues[p]))).ToList();
                if (set.Count == 0)
                {
                    continue;
                }

                var shape = type.Name + "|" + string.Join(",", set.Select(p => p.Name));
                if (!commands.TryGetValue(shape, out var prepared))
                {
                    var command = connection.CreateCommand();
                    command.Transaction = transaction;
                    var slots = new List<(IProperty, DbParameter, bool)>();
                    var n = 0;
                    string Slot(IProperty p, bool original)
                    {
                        var name = "p" + n++.ToString(CultureInfo.InvariantCulture);
                        var parameter = p.GetRelationalTypeMapping().CreateParameter(command, sql.GenerateParameterName(name), null, p.IsNullable);
                        command.Parameters.Add(parameter);
                        slots.Add((p, parameter, original));
                        return sql.GenerateParameterNamePlaceholder(name);
                    }

                    command.CommandText = new StringBuilder("UPDATE ").Append(sql.DelimitIdentifier(table.Name, table.Schema)).Append(" SET ")
                        .AppendJoin(", ", set.Select(p => sql.DelimitIdentifier(p.GetColumnName(table)!) + " = " + Slot(p, original: false)))
                        .Append(" WHERE ")
                        .AppendJoin(" AND ", key.Concat(tokens).Select(p => sql.DelimitIdentifier(p.GetColumnName(table)!) + " = " + Slot(p, original: true)))
                        .ToString();
                    prepared = (command, slots);
                    commands.Add(shape, prepared);
                }

                foreach (var (p, parameter, original) in prepared.Slots)
                {
                    parameter.Value = ProviderValue(p.GetRelationalTypeMapping(), original ? entry.OriginalValues[p] : entry.CurrentValues[p]);
                }

                if (await prepared.Command.ExecuteNonQueryAsync(ct).ConfigureAwait(false) != 1)
                {
                    throw new DbUpdateConcurrencyException($"A row of {table.Name} was changed or removed since it was read; nothing of this save may be committed.");
                }

                written++;
            }
        }
        finally
        {
            foreach (var (command, _) in commands.Values)
            {
                await command.DisposeAsync().ConfigureAwait(false);
            }
        }

        return written;
    }
}
