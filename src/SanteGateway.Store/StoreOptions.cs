using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace SanteGateway.Store;

/// <summary>Database provider.</summary>
public enum StoreProvider
{
    /// <summary>SQLite file (default).</summary>
    Sqlite,

    /// <summary>PostgreSQL through Npgsql.</summary>
    Postgres,
}

/// <summary>Which database the gateway uses (configuration section <c>Store</c>).</summary>
public sealed class StoreOptions
{
    /// <summary>Provider (<c>sqlite</c> or <c>postgres</c>).</summary>
    public StoreProvider Provider { get; set; } = StoreProvider.Sqlite;

    /// <summary>Provider connection string (e.g. <c>Data Source=/path/santegw.db</c>).</summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>
    /// Whether <c>serve</c> applies pending migrations at start (default true). On PostgreSQL with least-privilege roles,
    /// set it to false: the application role has no DDL right and <c>santegw db migrate</c> runs the migrations with
    /// <see cref="MigrationConnectionString"/>.
    /// </summary>
    public bool MigrateOnStart { get; set; } = true;

    /// <summary>Connection string of the schema owner used by <c>santegw db migrate</c> (defaults to <see cref="ConnectionString"/>).</summary>
    public string? MigrationConnectionString { get; set; }

    /// <summary>Parses <c>sqlite</c>/<c>postgres</c>/<c>postgresql</c>/<c>pg</c> (case-insensitive).</summary>
    public static bool TryParseProvider(string? value, out StoreProvider provider)
    {
        switch (value?.Trim().ToUpperInvariant())
        {
            case "SQLITE":
                provider = StoreProvider.Sqlite;
                return true;
            case "POSTGRES" or "POSTGRESQL" or "PG" or "NPGSQL":
                provider = StoreProvider.Postgres;
                return true;
            default:
                provider = StoreProvider.Sqlite;
                return false;
        }
    }
}

/// <summary>Registration and creation of the gateway database.</summary>
public static class GatewayStore
{
    /// <summary>Registers <see cref="GatewayDbContext"/> backed by the configured provider.</summary>
    public static IServiceCollection AddGatewayStore(this IServiceCollection services, StoreOptions options, Action<DbContextOptionsBuilder>? extra = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Provider == StoreProvider.Postgres)
        {
            services.AddDbContext<GatewayDbContext, PostgresGatewayDbContext>(o =>
            {
                o.UseNpgsql(options.ConnectionString);
                extra?.Invoke(o);
            });
        }
        else
        {
            services.AddDbContext<GatewayDbContext, SqliteGatewayDbContext>(o =>
            {
                o.UseSqlite(options.ConnectionString);
                extra?.Invoke(o);
            });
        }

        return services;
    }

    /// <summary>Creates a standalone context (CLI commands, tools).</summary>
    public static GatewayDbContext CreateContext(StoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Provider == StoreProvider.Postgres
            ? new PostgresGatewayDbContext(new DbContextOptionsBuilder<PostgresGatewayDbContext>().UseNpgsql(options.ConnectionString).Options)
            : new SqliteGatewayDbContext(new DbContextOptionsBuilder<SqliteGatewayDbContext>().UseSqlite(options.ConnectionString).Options);
    }

    /// <summary>The SQLite connection string for a database file.</summary>
    public static string SqliteConnectionString(string path) => $"Data Source={path};Pooling=True";
}
