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
                o.UseNpgsql(PostgresConnectionString(options.ConnectionString));
                extra?.Invoke(o);
            }, optionsLifetime: ServiceLifetime.Singleton);
        }
        else
        {
            services.AddDbContext<GatewayDbContext, SqliteGatewayDbContext>(o =>
            {
                o.UseSqlite(options.ConnectionString);
                extra?.Invoke(o);
            }, optionsLifetime: ServiceLifetime.Singleton);
        }

        return services;
    }

    /// <summary>Creates a standalone context (CLI commands, tools).</summary>
    public static GatewayDbContext CreateContext(StoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Provider == StoreProvider.Postgres
            ? new PostgresGatewayDbContext(new DbContextOptionsBuilder<PostgresGatewayDbContext>().UseNpgsql(PostgresConnectionString(options.ConnectionString)).Options)
            : new SqliteGatewayDbContext(new DbContextOptionsBuilder<SqliteGatewayDbContext>().UseSqlite(options.ConnectionString).Options);
    }

    /// <summary>
    /// The PostgreSQL connection string as given, with Npgsql's automatic preparation on unless it says otherwise: the
    /// statements the gateway runs for every message (the inbound gate's match read and inserts, the audit chain head)
    /// are then parsed and planned once per connection instead of at every execution — it halved the server's CPU per
    /// inbound message (docs/performance.md). <c>Max Auto Prepare=0</c> turns it off (e.g. behind a transaction-mode
    /// pooler that cannot keep prepared statements). <c>No Reset On Close</c> is on too unless it says otherwise: Npgsql would
    /// otherwise send its reset commands (close cursors, unlisten, release advisory locks, discard temporary tables and
    /// sequence state) at every reuse of a pooled connection — every unit of work — and they cost the server more than a quarter
    /// of its CPU per inbound message. The gateway leaves no such state on a connection: no session <c>SET</c> (only
    /// <c>SET LOCAL</c>), no advisory lock, no <c>LISTEN</c>, no cursor, temporary tables only inside a transaction that drops
    /// them; code that would must not rely on the pool to clean up. <c>No Reset On Close=false</c> restores the reset.
    /// </summary>
    /// <param name="connectionString">The configured connection string.</param>
    /// <returns>The connection string Npgsql is given.</returns>
    public static string PostgresConnectionString(string connectionString)
    {
        ArgumentNullException.ThrowIfNull(connectionString);
        Npgsql.NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException)
        {
            // Left to Npgsql to refuse when a connection is first opened, with its own message, as before.
            return connectionString;
        }

        // The keys the operator wrote, parsed (a search in the raw text would also find them inside a password).
        var said = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString }.Keys.Cast<string>()
            .Select(k => k.Replace(" ", "", StringComparison.Ordinal)).ToHashSet(StringComparer.OrdinalIgnoreCase);
        if (!said.Contains("MaxAutoPrepare"))
        {
            builder.MaxAutoPrepare = 64;
        }

        if (!said.Contains("AutoPrepareMinUsages"))
        {
            builder.AutoPrepareMinUsages = 2;
        }

        if (!said.Contains("NoResetOnClose"))
        {
            builder.NoResetOnClose = true;
        }

        return builder.ConnectionString;
    }

    /// <summary>The SQLite connection string for a database file.</summary>
    public static string SqliteConnectionString(string path) => $"Data Source={path};Pooling=True";
}
