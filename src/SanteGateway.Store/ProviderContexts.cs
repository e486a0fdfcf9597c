using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace SanteGateway.Store;

/// <summary>The SQLite flavour of the gateway database (migrations in <c>Migrations/Sqlite</c>).</summary>
public sealed class SqliteGatewayDbContext : GatewayDbContext
{
    /// <summary>Creates the context.</summary>
    public SqliteGatewayDbContext(DbContextOptions<SqliteGatewayDbContext> options)
        : base(options)
    {
    }

    /// <inheritdoc />
    protected override void OnConfiguring(DbContextOptionsBuilder optionsBuilder)
    {
        ArgumentNullException.ThrowIfNull(optionsBuilder);
        base.OnConfiguring(optionsBuilder);
        optionsBuilder.AddInterceptors(SqliteBusyTimeout.Instance);
    }

    /// <inheritdoc />
    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        ArgumentNullException.ThrowIfNull(configurationBuilder);
        // SQLite cannot order or compare DateTimeOffset stored as text; a sortable 64-bit form keeps queries portable.
        configurationBuilder.Properties<DateTimeOffset>().HaveConversion<DateTimeOffsetToBinaryConverter>();
        configurationBuilder.Properties<DateTimeOffset?>().HaveConversion<DateTimeOffsetToBinaryConverter>();
    }
}

/// <summary>The PostgreSQL flavour of the gateway database (migrations in <c>Migrations/Postgres</c>).</summary>
public sealed class PostgresGatewayDbContext : GatewayDbContext
{
    /// <summary>Creates the context.</summary>
    public PostgresGatewayDbContext(DbContextOptions<PostgresGatewayDbContext> options)
        : base(options)
    {
    }

    /// <inheritdoc />
    protected override void OnModelCreating(ModelBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        base.OnModelCreating(builder);
        // Search keys compare byte-wise ("C"): a prefix becomes an index range scan (key >= 'DUP' AND key < 'DUQ') and the
        // order does not depend on the server's locale (with en_US, B-tree order ignores spaces and a range misses keys).
        builder.Entity<Entities.IdentityRecord>(e =>
        {
            e.Property(x => x.BirthNameKey).UseCollation("C");
            e.Property(x => x.FirstNameKey).UseCollation("C");
            e.Property(x => x.UsedNameKey).UseCollation("C");
            e.Property(x => x.BirthNamePhonetic).UseCollation("C");
            // Identifiers, compared for equality only: byte order lets an initial load's rebuild of their unique indexes
            // sort with memcmp and abbreviated keys instead of strcoll (1 million INS: 2.1 s → 0.9–1.2 s, import11).
            e.Property(x => x.InsMatricule).UseCollation("C");
            e.Property(x => x.InsOid).UseCollation("C");
            // A prefix search's capped count ("MergedIntoId" IS NULL over up to 1 001 index entries; the used-name range also
            // leaves out rows whose birth name matches) is answered from these two indexes alone: an index-only scan instead
            // of 1 001 random heap reads (38 ms p95 at 10 million identities before; docs/performance.md).
            e.HasIndex(x => new { x.BirthNameKey, x.FirstNameKey, x.Id }).IncludeProperties(x => x.MergedIntoId);
            e.HasIndex(x => new { x.UsedNameKey, x.FirstNameKey, x.Id }).IncludeProperties(x => new { x.BirthNameKey, x.MergedIntoId });
        });
        builder.Entity<Entities.ExternalIdentifier>(e =>
        {
            e.Property(x => x.Authority).UseCollation("C");
            e.Property(x => x.Value).UseCollation("C");
        });
        builder.Entity<Entities.HomonymCount>(e =>
        {
            e.Property(x => x.NameKey).UseCollation("C");
            e.Property(x => x.OtherKey).UseCollation("C");
        });
        // A received message is stored as sent (2–3 kB for a usual ORU): above 2 kB PostgreSQL compressed it (pglz) and
        // still moved it out of line into the TOAST table — 13 % of the server's CPU per inbound message. Up to a page
        // (8 160 bytes) the row now stays whole and uncompressed in its page; larger documents are still compressed and
        // moved out of line as before (docs/performance.md).
        builder.Entity<Entities.InboundItem>().HasStorageParameter("toast_tuple_target", 8160);
    }
}

/// <summary>Design-time factory for <c>dotnet ef migrations add X --context SqliteGatewayDbContext</c>.</summary>
public sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<SqliteGatewayDbContext>
{
    /// <inheritdoc />
    public SqliteGatewayDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqliteGatewayDbContext>().UseSqlite("Data Source=design.db").Options);
}

/// <summary>Design-time factory for <c>dotnet ef migrations add X --context PostgresGatewayDbContext</c>.</summary>
public sealed class PostgresDesignTimeFactory : IDesignTimeDbContextFactory<PostgresGatewayDbContext>
{
    /// <inheritdoc />
    public PostgresGatewayDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgresGatewayDbContext>().UseNpgsql("Host=localhost;Database=santegw_design").Options);
}
