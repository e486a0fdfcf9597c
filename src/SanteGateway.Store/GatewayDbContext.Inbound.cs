using Microsoft.EntityFrameworkCore;
using SanteGateway.Store.Entities;

namespace SanteGateway.Store;

/// <summary>The inbound gate's tables (partners, received items and their actions).</summary>
public abstract partial class GatewayDbContext
{
    /// <summary>Identification domains health data is received from.</summary>
    public DbSet<InboundPartner> InboundPartners => Set<InboundPartner>();

    /// <summary>Messages and documents received by the inbound gate, with their decisions.</summary>
    public DbSet<InboundItem> InboundItems => Set<InboundItem>();

    /// <summary>Every action on an inbound item.</summary>
    public DbSet<InboundAction> InboundActions => Set<InboundAction>();

    private static void ConfigureInbound(ModelBuilder builder)
    {
        builder.Entity<InboundPartner>(e =>
        {
            e.ToTable("inbound_partners");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).HasMaxLength(64);
            e.Property(x => x.Name).HasMaxLength(256).IsRequired();
            e.Property(x => x.AssigningAuthority).HasMaxLength(128).IsRequired();
            e.Property(x => x.AuthorityAliases).HasMaxLength(512);
            e.Property(x => x.Transport).HasMaxLength(16).IsRequired();
            e.Property(x => x.QualifiedCode).HasMaxLength(8).IsRequired();
            e.Property(x => x.UpdatedBy).HasMaxLength(256).IsRequired();
        });
        builder.Entity<InboundItem>(e =>
        {
            e.ToTable("inbound_items");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).ValueGeneratedNever();
            e.Property(x => x.PartnerId).HasMaxLength(64).IsRequired();
            e.Property(x => x.Channel).HasMaxLength(16).IsRequired();
            e.Property(x => x.ContentType).HasMaxLength(128).IsRequired();
            e.Property(x => x.Raw).IsRequired();
            e.Property(x => x.Format).HasMaxLength(16);
            e.Property(x => x.Kind).HasMaxLength(64);
            e.Property(x => x.MessageId).HasMaxLength(128);
            e.Property(x => x.PartnerPatientId).HasMaxLength(64);
            e.Property(x => x.State).HasMaxLength(16).IsRequired();
            e.Property(x => x.Decision).HasMaxLength(8);
            e.Property(x => x.Rule).HasMaxLength(64);
            e.Property(x => x.Reason).HasMaxLength(1024);
            e.Property(x => x.Version).IsConcurrencyToken();
            // Review queue (held, oldest first), restart recovery (received) and the per-partner summary.
            e.HasIndex(x => new { x.State, x.ReceivedAt });
            e.HasIndex(x => new { x.PartnerId, x.Decision });
            e.HasIndex(x => x.IdentityId);
        });
        builder.Entity<InboundAction>(e =>
        {
            e.ToTable("inbound_actions");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).ValueGeneratedNever();
            e.Property(x => x.Actor).HasMaxLength(256).IsRequired();
            e.Property(x => x.Action).HasMaxLength(32).IsRequired();
            e.Property(x => x.Decision).HasMaxLength(8);
            e.Property(x => x.Rule).HasMaxLength(64);
            e.Property(x => x.Detail).HasMaxLength(1024);
            e.HasOne<InboundItem>().WithMany().HasForeignKey(x => x.ItemId).OnDelete(DeleteBehavior.Cascade);
            e.HasIndex(x => new { x.ItemId, x.At });
        });
    }
}
