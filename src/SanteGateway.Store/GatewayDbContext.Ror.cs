using Microsoft.EntityFrameworkCore;
using SanteGateway.Store.Entities;

namespace SanteGateway.Store;

/// <summary>The ROR mirror's tables.</summary>
public abstract partial class GatewayDbContext
{
    /// <summary>Resources of the national ROR mirrored locally.</summary>
    public DbSet<RorResource> RorResources => Set<RorResource>();

    /// <summary>State of the ROR synchronisation (one row).</summary>
    public DbSet<RorSyncState> RorSyncStates => Set<RorSyncState>();
}
