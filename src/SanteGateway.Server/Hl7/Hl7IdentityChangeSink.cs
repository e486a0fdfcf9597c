using Microsoft.Extensions.Options;
using SanteGateway.Interop.Hl7v2.Pam;
using SanteGateway.Interop.Hl7v2.Segments;
using SanteGateway.Store;

namespace SanteGateway.Server.Hl7;

/// <summary>
/// The HL7 identity feed: every identity change of the application layer becomes an ADT A28 (created), A31 (updated),
/// A47 (INS withdrawn) or A40 (merge) in the outbox, in the same transaction as the change. The gateway's identity id is
/// the IPP of its own domain (<c>Hl7:LocalAuthority</c>, default <c>SANTEGW</c>). Nothing is queued without subscribers.
/// </summary>
internal sealed class Hl7IdentityChangeSink(IOptions<Hl7Options> options, TimeProvider clock) : IIdentityChangeSink
{
    public void OnChanging(GatewayDbContext db, IdentityChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        var o = options.Value;
        if (o.Subscribers.Count == 0)
        {
            return;
        }

        var kind = change.Kind switch
        {
            IdentityChangeKind.Created => Hl7ChangeKind.Created,
            IdentityChangeKind.InsWithdrawn => Hl7ChangeKind.InsWithdrawn,
            IdentityChangeKind.Merged => Hl7ChangeKind.Merged,
            _ => Hl7ChangeKind.Updated,
        };
        Hl7Notifications.Enqueue(
            db,
            o,
            change.IdentityId.ToString(),
            change.Identity,
            new PamPatientContext(Ipp(o, change.IdentityId)),
            kind,
            change.WithdrawnIns,
            change.MergedFrom is { } from ? Ipp(o, from) : null,
            clock);
    }

    private static Cx Ipp(Hl7Options o, Guid id) => new(id.ToString("N"), new Hd(o.LocalAuthority, null, null), "PI");
}
