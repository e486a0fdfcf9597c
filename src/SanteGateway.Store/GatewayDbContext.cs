using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using SanteGateway.Store.Audit;
using SanteGateway.Store.Entities;

namespace SanteGateway.Store;

/// <summary>
/// The gateway's database: identities, INSi exchanges, the audit chain, batch jobs, API keys and the
/// ASP.NET Core Identity tables of the web UI accounts. Provider-specific subclasses
/// (<see cref="SqliteGatewayDbContext"/>, <see cref="PostgresGatewayDbContext"/>) carry their own migrations.
/// </summary>
public abstract partial class GatewayDbContext : IdentityDbContext<GatewayUser>, IDataProtectionKeyContext
{
    /// <summary>Creates the context with provider options built by a subclass.</summary>
    protected GatewayDbContext(DbContextOptions options)
        : base(options)
    {
    }

    /// <summary>Stored identities.</summary>
    public DbSet<IdentityRecord> Identities => Set<IdentityRecord>();

    /// <summary>Matricules carried by identities.</summary>
    public DbSet<InsHistoryEntry> InsHistory => Set<InsHistoryEntry>();

    /// <summary>Evidence (checked documents).</summary>
    public DbSet<EvidenceRecord> Evidence => Set<EvidenceRecord>();

    /// <summary>INSi exchanges.</summary>
    public DbSet<InsiExchange> InsiExchanges => Set<InsiExchange>();

    /// <summary>Audit events (append-only).</summary>
    public DbSet<AuditEvent> AuditEvents => Set<AuditEvent>();

    /// <summary>The single chain head row.</summary>
    public DbSet<AuditChainHead> AuditChainHeads => Set<AuditChainHead>();

    /// <summary>The transaction in which <see cref="Audit.AuditTrail"/> last locked the chain head (reused only inside it).</summary>
    internal object? AuditHeadLockedIn { get; set; }

    /// <summary>Batch jobs.</summary>
    public DbSet<BatchJob> BatchJobs => Set<BatchJob>();

    /// <summary>Items of batch jobs.</summary>
    public DbSet<BatchItem> BatchItems => Set<BatchItem>();

    /// <summary>API client keys.</summary>
    public DbSet<ApiKeyRecord> ApiKeys => Set<ApiKeyRecord>();

    /// <summary>Alerts for identity vigilance (collisions, verification alerts, INSi failures, forced duplicates).</summary>
    public DbSet<VigilanceAlert> VigilanceAlerts => Set<VigilanceAlert>();

    /// <summary>Identifiers of the person in other identification domains.</summary>
    public DbSet<ExternalIdentifier> ExternalIdentifiers => Set<ExternalIdentifier>();

    /// <summary>Messages waiting for delivery (HL7 subscribers, …).</summary>
    public DbSet<OutboxMessage> Outbox => Set<OutboxMessage>();

    /// <summary>Messages received from partners, stored before they are acknowledged.</summary>
    public DbSet<ReceivedMessage> ReceivedMessages => Set<ReceivedMessage>();

    /// <summary>Documents sent to the shared record (DMP), with their status.</summary>
    public DbSet<DocumentSubmission> DocumentSubmissions => Set<DocumentSubmission>();

    /// <summary>ASP.NET Core data-protection keys (cookie encryption), shared by every instance on one database.</summary>
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    /// <summary>Pre-aggregated homonym counts (search hints and totals), kept by every save of identities.</summary>
    public DbSet<HomonymCount> HomonymCounts => Set<HomonymCount>();

    /// <inheritdoc />
    public override int SaveChanges(bool acceptAllChangesOnSuccess)
    {
        PrepareSave();
        var deltas = Store.HomonymCounts.Collect(ChangeTracker);
        if (deltas.Count == 0)
        {
            return base.SaveChanges(acceptAllChangesOnSuccess);
        }

        // The counts change in the identity's transaction: a rollback leaves both as they were.
        var own = Database.CurrentTransaction is null ? Database.BeginTransaction() : null;
        try
        {
            var n = base.SaveChanges(acceptAllChangesOnSuccess: false);
            Store.HomonymCounts.Apply(this, deltas);
            own?.Commit();
            if (acceptAllChangesOnSuccess)
            {
                ChangeTracker.AcceptAllChanges();
            }

            return n;
        }
        finally
        {
            own?.Dispose();
        }
    }

    /// <inheritdoc />
    public override async Task<int> SaveChangesAsync(bool acceptAllChangesOnSuccess, CancellationToken cancellationToken = default)
    {
        PrepareSave();
        var deltas = Store.HomonymCounts.Collect(ChangeTracker);
        if (deltas.Count == 0)
        {
            return await base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken).ConfigureAwait(false);
        }

        var own = Database.CurrentTransaction is null ? await Database.BeginTransactionAsync(cancellationToken).ConfigureAwait(false) : null;
        try
        {
            var n = await base.SaveChangesAsync(acceptAllChangesOnSuccess: false, cancellationToken).ConfigureAwait(false);
            await Store.HomonymCounts.ApplyAsync(this, deltas, cancellationToken).ConfigureAwait(false);
            if (own is not null)
            {
                await own.CommitAsync(cancellationToken).ConfigureAwait(false);
            }

            if (acceptAllChangesOnSuccess)
            {
                ChangeTracker.AcceptAllChanges();
            }

            return n;
        }
        finally
        {
            if (own is not null)
            {
                await own.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <inheritdoc />
    protected override void OnModelCreating(ModelBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        base.OnModelCreating(builder);

        builder.Entity<IdentityRecord>(e =>
        {
            e.ToTable("identities");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).ValueGeneratedNever();
            e.Property(x => x.BirthName).HasMaxLength(100).IsRequired();
            e.Property(x => x.BirthFirstNames).HasMaxLength(100).IsRequired();
            e.Property(x => x.FirstFirstName).HasMaxLength(100).IsRequired();
            e.Property(x => x.Sex).HasMaxLength(1).IsRequired();
            e.Property(x => x.BirthPlaceCog).HasMaxLength(5);
            e.Property(x => x.UsedName).HasMaxLength(100);
            e.Property(x => x.UsedFirstName).HasMaxLength(100);
            e.Property(x => x.Status).HasMaxLength(5).IsRequired();
            e.Property(x => x.CollectionChannel).HasMaxLength(4).IsRequired();
            e.Property(x => x.InsMatricule).HasMaxLength(15);
            e.Property(x => x.InsOid).HasMaxLength(64);
            e.Property(x => x.BirthNameKey).HasMaxLength(100).IsRequired();
            e.Property(x => x.FirstNameKey).HasMaxLength(100).IsRequired();
            e.Property(x => x.Version).IsConcurrencyToken();
            // Identity search (docs/performance.md, 1 M identities): the two name indexes end with the page order
            // (first name, id), so a search by birth name (+ birth date) reads its page in order without a sort and the
            // homonym groupings (same name + date, same name + first name; thousands of rows for a common surname) are
            // read from an index alone. SQLite has no statistics by default: without the trailing columns it preferred
            // scanning every row of the surname to avoid the sort.
            e.HasIndex(x => new { x.BirthNameKey, x.BirthDate, x.FirstNameKey, x.Id });
            e.HasIndex(x => new { x.BirthDate, x.FirstNameKey });
            e.HasIndex(x => new { x.BirthNameKey, x.FirstNameKey, x.Id });
            // One active INS per person: the same matricule + OID can never be active on two identities (RNIV). Rows
            // without an INS are left out (import9): they never conflicted, no query looks them up through this index (an
            // INS lookup's "InsMatricule = @m" implies NOT NULL in both providers' planners), and an initial load no longer
            // sorts them into it.
            e.HasIndex(x => new { x.InsMatricule, x.InsOid }).IsUnique().HasFilter("\"InsMatricule\" IS NOT NULL");
            e.Property(x => x.BirthNamePhonetic).HasMaxLength(100).IsRequired();
            e.Property(x => x.MergeSnapshot);
            e.HasIndex(x => new { x.BirthNamePhonetic, x.BirthDate });
            // Tombstones only: over every live row ("IS NULL") it lured SQLite's planner (no statistics) away from the name
            // indexes for prefix ranges and INS lookups; "MergedIntoId = @survivor" still uses it.
            e.HasIndex(x => x.MergedIntoId).HasFilter("\"MergedIntoId\" IS NOT NULL");
            // Prefix search on the used name reads its page in order (key, first name, id) like the birth-name index.
            // Only rows that have a used name (a minority: the realistic generator gives 10 %) are indexed (import9): the
            // range "UsedNameKey >= @low AND UsedNameKey < @high" implies NOT NULL, so both planners still use it, and an
            // initial load builds a tenth of it.
            e.Property(x => x.UsedNameKey).HasMaxLength(100);
            e.HasIndex(x => new { x.UsedNameKey, x.FirstNameKey, x.Id }).HasFilter("\"UsedNameKey\" IS NOT NULL");
            // Rows whose derived keys are missing (stored before the key existed): the start-up backfill reads them through
            // this index, empty on a current base, instead of walking every identity (at 10 million rows that walk exceeded
            // the command timeout and the gateway could not start). Same expression as IdentityMaintenance's query.
            e.HasIndex(x => x.Id, "IX_identities_missing_keys")
                .HasFilter("(\"BirthNamePhonetic\" = '' AND \"BirthName\" <> '') OR (\"UsedName\" IS NOT NULL AND \"UsedNameKey\" IS NULL)");
            e.HasMany(x => x.InsHistory).WithOne().HasForeignKey(x => x.IdentityId).OnDelete(DeleteBehavior.Cascade);
            e.HasMany(x => x.Evidence).WithOne().HasForeignKey(x => x.IdentityId).OnDelete(DeleteBehavior.Cascade);
        });
        builder.Entity<HomonymCount>(e =>
        {
            e.ToTable("identity_homonym_counts");
            e.HasKey(x => new { x.Kind, x.NameKey, x.OtherKey });
            e.Property(x => x.Kind).HasMaxLength(1);
            e.Property(x => x.NameKey).HasMaxLength(100);
            e.Property(x => x.OtherKey).HasMaxLength(100);
        });
        builder.Entity<InsHistoryEntry>(e =>
        {
            e.ToTable("identity_ins_history");
            e.Property(x => x.Id).ValueGeneratedNever();
            e.Property(x => x.Matricule).HasMaxLength(15).IsRequired();
            e.Property(x => x.Oid).HasMaxLength(64).IsRequired();
            e.Property(x => x.Source).HasMaxLength(16).IsRequired();
        });
        builder.Entity<EvidenceRecord>(e =>
        {
            e.ToTable("identity_evidence");
            e.Property(x => x.Id).ValueGeneratedNever();
            e.Property(x => x.DocumentType).HasMaxLength(8).IsRequired();
            e.Property(x => x.CheckedBy).HasMaxLength(256).IsRequired();
        });
        builder.Entity<InsiExchange>(e =>
        {
            e.ToTable("insi_exchanges");
            e.Property(x => x.Id).ValueGeneratedNever();
            e.Property(x => x.Operation).HasMaxLength(16).IsRequired();
            e.Property(x => x.Outcome).HasMaxLength(32).IsRequired();
            e.Property(x => x.Detail).HasMaxLength(512);
            e.Property(x => x.CertificateCn).HasMaxLength(256);
            e.Property(x => x.Actor).HasMaxLength(256).IsRequired();
            e.HasIndex(x => x.IdentityId);
        });
        builder.Entity<VigilanceAlert>(e =>
        {
            e.ToTable("vigilance_alerts");
            e.Property(x => x.Id).ValueGeneratedNever();
            e.Property(x => x.Kind).HasMaxLength(32).IsRequired();
            e.Property(x => x.Detail).HasMaxLength(512);
            e.Property(x => x.CreatedBy).HasMaxLength(256).IsRequired();
            e.Property(x => x.ResolvedBy).HasMaxLength(256);
            e.Property(x => x.Resolution).HasMaxLength(1000);
            e.HasIndex(x => new { x.Kind, x.ResolvedAt });
            e.HasIndex(x => x.IdentityId);
        });
        builder.Entity<ExternalIdentifier>(e =>
        {
            e.ToTable("identity_external_ids");
            e.Property(x => x.Id).ValueGeneratedNever();
            e.Property(x => x.Authority).HasMaxLength(128).IsRequired();
            e.Property(x => x.Value).HasMaxLength(64).IsRequired();
            e.Property(x => x.Kind).HasMaxLength(16).IsRequired();
            e.HasIndex(x => new { x.Authority, x.Value }).IsUnique();
            e.HasIndex(x => x.IdentityId);
        });
        builder.Entity<AuditEvent>(e =>
        {
            e.ToTable("audit_events");
            e.HasKey(x => x.Sequence);
            e.Property(x => x.Sequence).ValueGeneratedNever();
            e.Property(x => x.Actor).HasMaxLength(256).IsRequired();
            e.Property(x => x.Source).HasMaxLength(32).IsRequired();
            e.Property(x => x.Action).HasMaxLength(64).IsRequired();
            e.Property(x => x.EntityType).HasMaxLength(64).IsRequired();
            e.Property(x => x.EntityId).HasMaxLength(64).IsRequired();
            e.Property(x => x.PreviousHash).HasMaxLength(64).IsRequired();
            e.Property(x => x.Hash).HasMaxLength(64).IsRequired();
            e.Property(x => x.AfterImageHash).HasMaxLength(64);
            e.HasIndex(x => new { x.EntityType, x.EntityId });
        });
        builder.Entity<AuditChainHead>(e =>
        {
            e.ToTable("audit_chain_head");
            e.Property(x => x.Id).ValueGeneratedNever();
            e.Property(x => x.LastHash).HasMaxLength(64).IsRequired();
            e.HasData(new AuditChainHead { Id = 1, LastSequence = 0, LastHash = AuditHasher.Genesis });
        });
        builder.Entity<BatchJob>(e =>
        {
            e.ToTable("batch_jobs");
            e.Property(x => x.Id).ValueGeneratedNever();
            e.Property(x => x.Kind).HasMaxLength(32).IsRequired();
            e.Property(x => x.Status).HasMaxLength(16).IsRequired();
            e.Property(x => x.CreatedBy).HasMaxLength(256).IsRequired();
            e.Property(x => x.Source).HasMaxLength(16).IsRequired();
            e.Property(x => x.Selection).HasMaxLength(2048);
        });
        builder.Entity<BatchItem>(e =>
        {
            e.ToTable("batch_items");
            e.Property(x => x.Id).ValueGeneratedOnAdd();
            e.Property(x => x.LocalId).HasMaxLength(128);
            e.Property(x => x.State).HasMaxLength(16).IsRequired();
            e.Property(x => x.LeaseOwner).HasMaxLength(128);
            e.Property(x => x.Outcome).HasMaxLength(32);
            e.Property(x => x.Rule).HasMaxLength(128);
            e.Property(x => x.Detail).HasMaxLength(512);
            e.Property(x => x.Ins).HasMaxLength(32);
            e.HasOne<BatchJob>().WithMany().HasForeignKey(x => x.JobId).OnDelete(DeleteBehavior.Cascade);
            e.HasIndex(x => new { x.JobId, x.State, x.Id });
            e.HasIndex(x => new { x.JobId, x.Outcome });
        });
        builder.Entity<ApiKeyRecord>(e =>
        {
            e.ToTable("api_keys");
            e.Property(x => x.Id).HasMaxLength(32);
            e.Property(x => x.Name).HasMaxLength(128).IsRequired();
            e.Property(x => x.SecretHash).HasMaxLength(64).IsRequired();
            e.Property(x => x.Roles).HasMaxLength(256).IsRequired();
            e.Property(x => x.CreatedBy).HasMaxLength(256).IsRequired();
            e.Property(x => x.RevokedBy).HasMaxLength(256);
        });
        builder.Entity<OutboxMessage>(e =>
        {
            e.ToTable("outbox_messages");
            e.HasKey(x => x.Id);
            e.Property(x => x.Channel).HasMaxLength(16).IsRequired();
            e.Property(x => x.Destination).HasMaxLength(128).IsRequired();
            e.Property(x => x.OrderingKey).HasMaxLength(64).IsRequired();
            e.Property(x => x.Kind).HasMaxLength(32);
            e.Property(x => x.MessageId).HasMaxLength(64);
            e.Property(x => x.Payload).IsRequired();
            e.Property(x => x.State).HasMaxLength(16).IsRequired();
            e.Property(x => x.LastError).HasMaxLength(1024);
            e.Property(x => x.LeaseOwner).HasMaxLength(64);
            // The worker picks due messages, then the head of each (destination, key) queue.
            e.HasIndex(x => new { x.State, x.NextAttemptAt });
            e.HasIndex(x => new { x.Destination, x.OrderingKey, x.State, x.Id });
        });
        builder.Entity<ReceivedMessage>(e =>
        {
            e.ToTable("received_messages");
            e.HasKey(x => x.Id);
            e.Property(x => x.Channel).HasMaxLength(16).IsRequired();
            e.Property(x => x.Partner).HasMaxLength(256).IsRequired();
            e.Property(x => x.Raw).IsRequired();
            e.Property(x => x.MessageId).HasMaxLength(64);
            e.Property(x => x.Kind).HasMaxLength(32);
            e.Property(x => x.Error).HasMaxLength(1024);
            e.Property(x => x.AckCode).HasMaxLength(2);
            e.HasIndex(x => x.ReceivedAt);
        });

        builder.Entity<DataProtectionKey>(e => e.ToTable("data_protection_keys"));
        ConfigureInbound(builder);
        DocumentModel.Configure(builder);
        RorModel.Configure(builder);
    }

    /// <summary>
    /// Enforces the append-only audit trail and stamps identity versions. Audit rows can only be added: any update
    /// or delete through the context is refused before anything reaches the database.
    /// </summary>
    private void PrepareSave()
    {
        foreach (var entry in ChangeTracker.Entries<AuditEvent>())
        {
            if (entry.State is EntityState.Modified or EntityState.Deleted)
            {
                throw new InvalidOperationException($"Audit event {entry.Entity.Sequence} cannot be {entry.State.ToString().ToUpperInvariant()}: the audit trail is append-only.");
            }
        }

        foreach (var entry in ChangeTracker.Entries<IdentityRecord>())
        {
            if (entry.State == EntityState.Modified)
            {
                // The original value stays in the WHERE clause: a concurrent writer makes this save affect no row.
                entry.Entity.Version = entry.Property(x => x.Version).OriginalValue + 1;
            }
            else if (entry.State == EntityState.Added && entry.Entity.Version == 0)
            {
                entry.Entity.Version = 1;
            }
        }

        // After the versions are stamped: the audit events commit to the identity rows exactly as saved.
        AuditTrail.SealPending(this);
    }
}
