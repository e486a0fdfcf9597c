using SanteGateway.Identity;
using SanteGateway.Store;

namespace SanteGateway.Application;

/// <summary>What happened to an identity, for the parties that must be told (HL7 subscribers, later document sharing).</summary>
public enum IdentityChangeKind
{
    /// <summary>A new identity.</summary>
    Created,

    /// <summary>Traits, status or INS changed.</summary>
    Updated,

    /// <summary>The INS partners may hold must be withdrawn (no longer transmittable after a downgrade or a wrong INS).</summary>
    InsWithdrawn,

    /// <summary>Another identity was merged into this one.</summary>
    Merged,
}

/// <summary>One identity change, as committed.</summary>
/// <param name="IdentityId">The identity (the survivor for a merge).</param>
/// <param name="Identity">The RNIV aggregate after the change (its INS leaves only through <see cref="RnivIdentity.TransmittableIns"/>).</param>
/// <param name="Kind">What happened.</param>
/// <param name="WithdrawnIns">For <see cref="IdentityChangeKind.InsWithdrawn"/>: the INS that was transmittable before.</param>
/// <param name="MergedFrom">For <see cref="IdentityChangeKind.Merged"/>: the identity that became a tombstone.</param>
public sealed record IdentityChange(Guid IdentityId, RnivIdentity Identity, IdentityChangeKind Kind, InsIdentifier? WithdrawnIns = null, Guid? MergedFrom = null);

/// <summary>
/// Told of every identity change inside its transaction: an implementation adds rows (an outbox message) to the context,
/// which are saved with the change or not at all — nothing is lost, nothing is sent for a change that rolled back.
/// </summary>
public interface IIdentityChangeSink
{
    /// <summary>Adds what must follow the change to the context (do not save).</summary>
    /// <param name="db">The context of the change.</param>
    /// <param name="change">The change.</param>
    void OnChanging(GatewayDbContext db, IdentityChange change);
}
