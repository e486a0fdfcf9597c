using System.Security.Claims;

namespace SanteGateway.Web;

/// <summary>What the signed-in user may do, from the principal's roles (the same roles as the REST API's policies).</summary>
/// <param name="Principal">The principal.</param>
public sealed record StaffUser(ClaimsPrincipal Principal)
{
    /// <summary>User name.</summary>
    public string Name => Principal.Identity?.Name ?? Texts.StaffUserAnonyme;

    /// <summary>Signed in.</summary>
    public bool SignedIn => Principal.Identity?.IsAuthenticated == true;

    /// <summary>Identity vigilance.</summary>
    public bool IsVigilance => Principal.IsInRole(StaffRoles.IdentityVigilance);

    /// <summary>Reviews held inbound items (identity vigilance, or the dedicated inbound-reviewer role).</summary>
    public bool CanReviewInbound => IsVigilance || Principal.IsInRole(StaffRoles.InboundReviewer);

    /// <summary>Administrator.</summary>
    public bool IsAdmin => Principal.IsInRole(StaffRoles.Admin);

    /// <summary>May create and change identities.</summary>
    public bool CanWrite => IsVigilance || Principal.IsInRole(StaffRoles.FrontDesk);

    /// <summary>May read identities.</summary>
    public bool CanRead => CanWrite || IsAdmin || CanReviewInbound;

    /// <summary>Roles in French.</summary>
    public string RolesText => string.Join(", ", StaffRoles.All.Where(Principal.IsInRole).Select(r => Labels.Of(Labels.Roles, r)));

    /// <summary>The actor for the application layer.</summary>
    public Actor Actor => new(Name, "ui", IsVigilance) { Establishment = EstablishmentClaims.Of(Principal) };

    /// <summary>
    /// The actor of an inbound review decision: the application layer requires identity vigilance for it, and the
    /// inbound-reviewer role is admitted to exactly that decision (as the REST API's review endpoints do).
    /// </summary>
    public Actor InboundReviewActor => Actor with { IsVigilance = CanReviewInbound };
}
