namespace SanteGateway.Store.Entities;

/// <summary>
/// How many live (not merged) identities share a birth name key and a second trait: the pre-aggregated homonym
/// counts behind the search hints and exact totals, so that a search never groups every identity of a common
/// surname. Kept up to date by <see cref="GatewayDbContext"/> in the transaction that saves the identity
/// (see <see cref="HomonymCounts"/>); bulk writers (import, benchmarks) apply the same deltas set-wise.
/// </summary>
public sealed class HomonymCount
{
    /// <summary>Kind of group: <see cref="HomonymCounts.NameAndDate"/>, <see cref="HomonymCounts.NameAndFirstName"/> or <see cref="HomonymCounts.NameOnly"/>.</summary>
    public string Kind { get; set; } = "";

    /// <summary>Normalised birth name (<see cref="IdentityRecord.BirthNameKey"/>).</summary>
    public string NameKey { get; set; } = "";

    /// <summary>The second trait: birth date as <c>yyyy-MM-dd</c>, the normalised first first-name, or empty.</summary>
    public string OtherKey { get; set; } = "";

    /// <summary>Live identities in the group (rows may stay at 0).</summary>
    public int Count { get; set; }
}
