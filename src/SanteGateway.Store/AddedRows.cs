using System.Collections.Concurrent;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Npgsql;

namespace SanteGateway.Store;

/// <summary>
/// One multi-row <c>INSERT … SELECT * FROM unnest(…)</c> per table for the rows a context has added, on PostgreSQL. EF Core
/// sends one <c>INSERT</c> statement per row (batched in one round trip, but each statement is bound, planned and executed on
/// its own by the server); a group commit of the inbound gate adds several rows per message to the same few tables, and the
/// per-statement work was a large part of the server's CPU per message. The rows are written inside the current transaction
/// and then marked unchanged, so the save that follows writes only the rest. On SQLite (whose per-statement cost is a call
/// into the library) nothing is done: the save inserts them as usual. A table whose rows are written here has every added
/// row written here, even a single one, so that a child table's rows never precede their parent's.
/// </summary>
public static class AddedRows
{
    private static readonly ConcurrentDictionary<(IModel Model, Type Type), Plan?> Plans = new();

    /// <summary>
    /// Inserts the rows of each type of <paramref name="types"/> that <paramref name="db"/> tracks as added — one statement
    /// per table, the statements sent together — and marks them unchanged. Call inside a transaction; list the types in the
    /// order foreign keys require (parents first).
    /// </summary>
    /// <param name="db">The context.</param>
    /// <param name="types">Entity types mapped to one table each, whose values are all set by the application (no value the
    /// database generates); any other type is left to the save.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>How many rows were inserted here (0 when left to the save).</returns>
    public static async Task<int> InsertAsync(GatewayDbContext db, IReadOnlyList<Type> types, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(types);
        if (db is not PostgresGatewayDbContext || db.Database.CurrentTransaction is null)
        {
            return 0;
        }

        // What the save would do first, before any row leaves: identity versions stamped and the pending audit events
        // linked and hashed (they are hashed only when sealed, and an event written here is no longer pending for the save).
        db.ChangeTracker.DetectChanges();
        db.PrepareSave();

        var tables = new List<(Plan Plan, List<Microsoft.EntityFrameworkCore.ChangeTracking.EntityEntry> Rows)>(types.Count);
        foreach (var type in types)
        {
            if (Plans.GetOrAdd((db.Model, type), static key => Plan.Create(key.Model.FindEntityType(key.Type))) is { } plan)
            {
                tables.Add((plan, []));
            }
        }

        foreach (var entry in db.ChangeTracker.Entries())
        {
            if (entry.State == EntityState.Added && tables.FindIndex(t => t.Plan.Type == entry.Metadata.ClrType) is var i and >= 0)
            {
                tables[i].Rows.Add(entry);
            }
        }

        tables.RemoveAll(t => t.Rows.Count == 0);
        if (tables.Count == 0)
        {
            return 0;
        }

        var sql = new StringBuilder();
        var parameters = new List<object>();
        var expected = 0;
        foreach (var (plan, rows) in tables)
        {
            sql.Append(plan.Prefix);
            for (var c = 0; c < plan.Columns.Length; c++)
            {
                var column = plan.Columns[c];
                var values = Array.CreateInstance(column.ArrayElementType, rows.Count);
                for (var r = 0; r < rows.Count; r++)
                {
                    var value = rows[r].CurrentValues[column.Property];
                    values.SetValue(column.Converter is null || value is null ? value : column.Converter.ConvertToProvider(value), r);
                }

                // Npgsql infers the array's type from its element type; the statement casts it to the column's.
                sql.Append(c == 0 ? "CAST({" : ", CAST({").Append(parameters.Count).Append("} AS ").Append(column.ArrayType).Append(')');
                parameters.Add(new NpgsqlParameter("p" + parameters.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), values));
            }

            sql.Append(");\n");
            expected += rows.Count;
        }

        var inserted = await db.Database.ExecuteSqlRawAsync(sql.ToString(), parameters, ct).ConfigureAwait(false);
        if (inserted != expected)
        {
            throw new DbUpdateException($"{string.Join(", ", tables.Select(t => t.Plan.Table))}: {inserted} rows inserted of {expected}.");
        }

        foreach (var (_, rows) in tables)
        {
            foreach (var entry in rows)
            {
                entry.State = EntityState.Unchanged;
            }
        }

        return inserted;
    }

    private sealed record Column(IProperty Property, Type ArrayElementType, string ArrayType, Microsoft.EntityFrameworkCore.Storage.ValueConversion.ValueConverter? Converter);

    private sealed record Plan(Type Type, string Table, string Prefix, Column[] Columns)
    {
        public static Plan? Create(IEntityType? type)
        {
            if (type is null || type.GetTableName() is not { } table || type.GetDerivedTypes().Any() || type.BaseType is not null)
            {
                return null;
            }

            var store = StoreObjectIdentifier.Table(table, type.GetSchema());
            var columns = new List<Column>();
            var names = new List<string>();
            foreach (var property in type.GetProperties())
            {
                var mapping = property.GetRelationalTypeMapping();
                if (property.ValueGenerated != ValueGenerated.Never || property.GetColumnName(store) is not { } name || mapping.StoreType.EndsWith("[]", StringComparison.Ordinal))
                {
                    return null;
                }

                var provider = mapping.Converter?.ProviderClrType ?? property.ClrType;
                var element = property.IsNullable && provider.IsValueType && Nullable.GetUnderlyingType(provider) is null ? typeof(Nullable<>).MakeGenericType(provider) : provider;
                columns.Add(new Column(property, element, mapping.StoreType + "[]", mapping.Converter));
                names.Add(Quote(name));
            }

            var sql = new StringBuilder("INSERT INTO ");
            if (type.GetSchema() is { } schema)
            {
                sql.Append(Quote(schema)).Append('.');
            }

            sql.Append(Quote(table)).Append(" (").AppendJoin(", ", names).Append(") SELECT * FROM unnest(");
            return new Plan(type.ClrType, table, sql.ToString(), columns.ToArray());
        }

        private static string Quote(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }
}
