namespace SanteGateway.Server.Security;

/// <summary>The roles of the gateway and the authorisation policies built on them.</summary>
public static class GatewayRoles
{
    /// <summary>Reception staff: create identities, add evidence, call INSi.</summary>
    public const string FrontDesk = StaffRoles.FrontDesk;

    /// <summary>Identity vigilance unit: everything front-desk does plus attributes, strict-trait unlock, QUAL revert.</summary>
    public const string IdentityVigilance = StaffRoles.IdentityVigilance;

    /// <summary>Administrators: accounts and API keys; read-only on identities.</summary>
    public const string Admin = StaffRoles.Admin;

    /// <summary>Inbound review: reads identities and decides held inbound items; nothing else.</summary>
    public const string InboundReviewer = StaffRoles.InboundReviewer;

    /// <summary>Every role.</summary>
    public static readonly IReadOnlyList<string> All = StaffRoles.All;

    /// <summary>Policy: read identities.</summary>
    public const string ReadPolicy = StaffRoles.ReadPolicy;

    /// <summary>Policy: create and edit identities.</summary>
    public const string WritePolicy = StaffRoles.WritePolicy;

    /// <summary>Policy: identity-vigilance only operations.</summary>
    public const string VigilancePolicy = StaffRoles.VigilancePolicy;

    /// <summary>Policy: administration.</summary>
    public const string AdminPolicy = StaffRoles.AdminPolicy;

    /// <summary>Policy: decide held inbound items (attach, create, reject).</summary>
    public const string InboundReviewPolicy = StaffRoles.InboundReviewPolicy;
}
