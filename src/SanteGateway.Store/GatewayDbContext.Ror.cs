using Microsoft.EntityFrameworkCore;
using SanteGateway.Store.Entities;

namespace SanteGateway.Store;

/// <summary>The ROR mirror's tables.</summary>
public abstract partial class GatewayDbContext
{
    /// <summary>Resources of the national ROR mirrored locally.</summary>
    public DbSet<RorResource> RorResources => Set<RorResource>();

    /// <summary>Search keys of the mirrored offers and organisations (codes, words of names).</summary>
    public DbSet<RorSearchKey> RorSearchKeys => Set<RorSearchKey>();

    /// <summary>Distinct words of the search keys (searched for part of a word).</summary>
    public DbSet<RorSearchWord> RorSearchWords => Set<RorSearchWord>();

    /// <summary>State of the ROR synchronisation (one row).</summary>
    public DbSet<RorSyncState> RorSyncStates => Set<RorSyncState>();
}
