using System.Collections.Concurrent;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace SanteGateway.Store;

/// <summary>A group commit's save in one round trip, one statement per table (PostgreSQL).</summary>
public abstract partial class GatewayDbContext
{
    private static readonly ConcurrentDictionary<IEntityType, InsertPlan?> InsertPlans = new();

    /// <summary>
    /// Saves the tracked changes inside the current transaction as <see cref="DbContext.SaveChangesAsync(CancellationToken)"/>
    /// would (same rows and values, the same version stamps and audit seal — the events are linked and hashed before any
    /// row leaves), but on PostgreSQL as one <c>INSERT … SELECT * FROM unnest(…)</c> per table (parents first) and the
    /// <c>UPDATE</c>s, all sent in one batch: one round trip, and a statement text per table that does not depend on the
    /// number of rows (prepared once per connection). EF Core sends one <c>INSERT</c> per row, each bound, planned and run on
    /// its own by the server. Anything else — SQLite, no transaction open, a deletion, a value the database generates, a
    /// homonym count to move — is saved by <see cref="DbContext.SaveChangesAsync(CancellationToken)"/>.
    /// </summary>
    /// <param name="cancellationToken">Cancellation.</param>
    /// <returns>The number of rows written.</returns>
    /// <exception cref="DbUpdateConcurrencyException">A modified row's concurrency token no longer matches.</exception>
    /// <exception cref="DbUpdateException">A statement failed (a unique index, a constraint): nothing may be committed.</exception>
    public async Task<int> SaveGroupAsync(CancellationToken cancellationToken = default)
    {
        var transaction = Database.CurrentTransaction;
        if (transaction is null || Database.GetDbConnection() is not NpgsqlConnection connection)
        {
            return await SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        }

        if (ChangeTracker.AutoDetectChangesEnabled)
        {
            ChangeTracker.DetectChanges();
        }

        // Before any row is chosen: versions stamped, the pending audit events linked and hashed, the head moved.
        PrepareSave();
        var added = new Dictionary<IEntityType, List<EntityEntry>>();
        var modified = new List<EntityEntry>();
        foreach (var entry in ChangeTracker.Entries())
        {
            switch (entry.State)
            {
                case EntityState.Added:
                    if (!added.TryGetValue(entry.Metadata, out var rows))
                    {
                        added.Add(entry.Metadata, rows = []);
                    }

                    rows.Add(entry);
                    break;
                case EntityState.Modified:
                    modified.Add(entry);
                    break;
                case EntityState.Deleted:
                    return await SaveChangesAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        var order = InsertOrder(added);
        if (order is null || modified.Any(e => !Updatable(e.Metadata)) || Store.HomonymCounts.Collect(ChangeTracker).Count > 0)
        {
            // The save prepares again: linking and hashing the same events gives the same chain.
            return await SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        }

        // The save's interceptors see this save as they see EF Core's (tests hold or fail a group commit through them).
        var interceptor = this.GetService<IInterceptors>().Aggregate<ISaveChangesInterceptor>();
        if (interceptor is not null)
        {
            var intercepted = await interceptor.SavingChangesAsync(new DbContextEventData(null!, null!, this), default, cancellationToken).ConfigureAwait(false);
            if (intercepted.HasResult)
            {
                return intercepted.Result;
            }
        }

        int saved;
        try
        {
            saved = await WriteGroupAsync(connection, transaction, order, modified, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (interceptor is not null && ex is not OperationCanceledException)
        {
            await interceptor.SaveChangesFailedAsync(new DbContextErrorEventData(null!, null!, this, ex), cancellationToken).ConfigureAwait(false);
            throw;
        }

        ChangeTracker.AcceptAllChanges();
        return interceptor is null ? saved : await interceptor.SavedChangesAsync(new SaveChangesCompletedEventData(null!, null!, this, saved), saved, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<int> WriteGroupAsync(NpgsqlConnection connection, IDbContextTransaction transaction, List<(InsertPlan Plan, List<EntityEntry> Rows)> order, List<EntityEntry> modified, CancellationToken cancellationToken)
    {
        var batch = new NpgsqlBatch(connection, (NpgsqlTransaction)transaction.GetDbTransaction());
        await using (batch.ConfigureAwait(false))
        {
            var expected = new List<(int Rows, string Table, bool Concurrency)>();
            foreach (var (plan, rows) in order)
            {
                batch.BatchCommands.Add(plan.Command(rows));
                expected.Add((rows.Count, plan.Table, false));
            }

            foreach (var entry in modified)
            {
                if (UpdateCommand(entry) is { } update)
                {
                    batch.BatchCommands.Add(update);
                    expected.Add((1, entry.Metadata.GetTableName()!, true));
                }
            }

            if (batch.BatchCommands.Count > 0)
            {
                try
                {
                    await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (NpgsqlException ex)
                {
                    throw new DbUpdateException("A row of the save was refused by the database: " + ex.Message, ex);
                }

                for (var i = 0; i < expected.Count; i++)
                {
                    if (batch.BatchCommands[i].RecordsAffected != expected[i].Rows)
                    {
                        var message = $"{expected[i].Table}: {batch.BatchCommands[i].RecordsAffected} rows written of {expected[i].Rows}; nothing of this save may be committed.";
                        throw expected[i].Concurrency ? new DbUpdateConcurrencyException(message) : new DbUpdateException(message);
                    }
                }
            }

            return expected.Sum(e => e.Rows);
        }
    }

    /// <summary>The added rows' tables, each after the added tables it refers to; null when one cannot be written here.</summary>
    private static List<(InsertPlan Plan, List<EntityEntry> Rows)>? InsertOrder(Dictionary<IEntityType, List<EntityEntry>> added)
    {
        var order = new List<(InsertPlan, List<EntityEntry>)>(added.Count);
        var done = new HashSet<IEntityType>();
        while (done.Count < added.Count)
        {
            var progress = false;
            foreach (var (type, rows) in added)
            {
                if (done.Contains(type) || type.GetForeignKeys().Any(f => f.PrincipalEntityType != type && added.ContainsKey(f.PrincipalEntityType) && !done.Contains(f.PrincipalEntityType)))
                {
                    continue;
                }

                if (type.GetForeignKeys().Any(f => f.PrincipalEntityType == type) || InsertPlans.GetOrAdd(type, InsertPlan.Create) is not { } plan)
                {
                    return null;
                }

                order.Add((plan, rows));
                done.Add(type);
                progress = true;
            }

            if (!progress)
            {
                return null; // a cycle between the added tables
            }
        }

        return order;
    }

    private static bool Updatable(IEntityType type) =>
        type.GetTableName() is not null && !type.IsOwned() && type.BaseType is null && !type.GetDerivedTypes().Any() && !type.GetComplexProperties().Any();

    /// <summary>The entry's changed columns (a concurrency token stamped after detection counts), by key and tokens.</summary>
    private static NpgsqlBatchCommand? UpdateCommand(EntityEntry entry)
    {
        var type = entry.Metadata;
        var table = StoreObjectIdentifier.Table(type.GetTableName()!, type.GetSchema());
        var key = type.FindPrimaryKey()!.Properties;
        var set = type.GetProperties().Where(p => !key.Contains(p) && p.GetColumnName(table) is not null
            && (entry.Property(p.Name).IsModified || (p.IsConcurrencyToken && !Equals(entry.OriginalValues[p], entry.CurrentValues[p])))).ToList();
        if (set.Count == 0)
        {
            return null;
        }

        var command = new NpgsqlBatchCommand();
        var text = new StringBuilder("UPDATE ").Append(InsertPlan.Quote(table.Name, table.Schema)).Append(" SET ");
        for (var i = 0; i < set.Count; i++)
        {
            text.Append(i == 0 ? "" : ", ").Append(InsertPlan.Quote(set[i].GetColumnName(table)!)).Append(" = $").Append(command.Parameters.Count + 1);
            command.Parameters.Add(Parameter(set[i], entry.CurrentValues[set[i]]));
        }

        var where = key.Concat(type.GetProperties().Where(p => p.IsConcurrencyToken && !key.Contains(p))).ToList();
        for (var i = 0; i < where.Count; i++)
        {
            text.Append(i == 0 ? " WHERE " : " AND ").Append(InsertPlan.Quote(where[i].GetColumnName(table)!)).Append(" = $").Append(command.Parameters.Count + 1);
            command.Parameters.Add(Parameter(where[i], entry.OriginalValues[where[i]]));
        }

        command.CommandText = text.ToString();
        return command;
    }

    /// <summary>A positional parameter holding the value as EF Core binds it (through the property's converter).</summary>
    private static NpgsqlParameter Parameter(IProperty property, object? value) => new() { Value = ProviderValue(property.GetRelationalTypeMapping(), value) };

    /// <summary>One table's multi-row insert: a statement of one array parameter per column, whatever the number of rows.</summary>
    private sealed record InsertPlan(string Table, string Text, IProperty[] Properties, Type[] ElementTypes, Microsoft.EntityFrameworkCore.Storage.ValueConversion.ValueConverter?[] Converters)
    {
        public static InsertPlan? Create(IEntityType type)
        {
            if (type.GetTableName() is not { } name || type.IsOwned() || type.BaseType is not null || type.GetDerivedTypes().Any() || type.GetComplexProperties().Any())
            {
                return null;
            }

            var table = StoreObjectIdentifier.Table(name, type.GetSchema());
            var properties = new List<IProperty>();
            var elements = new List<Type>();
            var converters = new List<Microsoft.EntityFrameworkCore.Storage.ValueConversion.ValueConverter?>();
            var columns = new List<string>();
            var arrays = new List<string>();
            foreach (var property in type.GetProperties())
            {
                if (property.GetColumnName(table) is not { } column)
                {
                    continue;
                }

                var mapping = property.GetRelationalTypeMapping();
                // A value the database gives (sequence, default, computed) or an array column: left to EF Core's save.
                if (property.ValueGenerated != ValueGenerated.Never || property.GetDefaultValueSql() is not null || property.GetComputedColumnSql() is not null
                    || property.FindAnnotation(RelationalAnnotationNames.DefaultValue) is not null || mapping.StoreType.EndsWith("[]", StringComparison.Ordinal))
                {
                    return null;
                }

                var provider = mapping.Converter?.ProviderClrType ?? property.ClrType;
                // Npgsql writes T?[] with nulls for a nullable value type; a reference type's array holds nulls as is.
                elements.Add(provider.IsValueType && Nullable.GetUnderlyingType(provider) is null && property.IsNullable ? typeof(Nullable<>).MakeGenericType(provider) : provider);
                properties.Add(property);
                converters.Add(mapping.Converter);
                columns.Add(Quote(column));
                arrays.Add($"${arrays.Count + 1}::{mapping.StoreType}[]");
            }

            var text = new StringBuilder("INSERT INTO ").Append(Quote(name, type.GetSchema())).Append(" (").AppendJoin(", ", columns)
                .Append(") SELECT * FROM unnest(").AppendJoin(", ", arrays).Append(')').ToString();
            return new InsertPlan(name, text, properties.ToArray(), elements.ToArray(), converters.ToArray());
        }

        public NpgsqlBatchCommand Command(List<EntityEntry> rows)
        {
            var command = new NpgsqlBatchCommand(Text);
            for (var c = 0; c < Properties.Length; c++)
            {
                var values = Array.CreateInstance(ElementTypes[c], rows.Count);
                for (var r = 0; r < rows.Count; r++)
                {
                    var value = rows[r].CurrentValues[Properties[c]];
                    values.SetValue(Converters[c] is { } converter && value is not null ? converter.ConvertToProvider(value) : value, r);
                }

                command.Parameters.Add(new NpgsqlParameter { Value = values });
            }

            return command;
        }

        public static string Quote(string name, string? schema = null) =>
            (schema is null ? "" : Quote(schema) + ".") + "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }
}
