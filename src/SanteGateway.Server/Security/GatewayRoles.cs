namespace SanteGateway.Server.Security;

/// <summary>The roles of the gateway and the authorisation policies built on them.</summary>
public static class GatewayRoles
{
    /// <summary>Reception staff: create identities, add evidence, call INSi.</summary>
    public const string FrontDesk = "front-desk";

    /// <summary>Identity vigilance unit: everything front-desk does plus attributes, strict-trait unlock, QUAL revert.</summary>
    public const string IdentityVigilance = "identity-vigilance";

    /// <summary>Administrators: accounts and API keys; read-only on identities.</summary>
    public const string Admin = "admin";

    /// <summary>Every role.</summary>
    public static readonly IReadOnlyList<string> All = [FrontDesk, IdentityVigilance, Admin];

    /// <summary>Policy: read identities.</summary>
    public const string ReadPolicy = "identities.read";

    /// <summary>Policy: create and edit identities.</summary>
    public const string WritePolicy = "identities.write";

    /// <summary>Policy: identity-vigilance only operations.</summary>
    public const string VigilancePolicy = "identities.vigilance";

    /// <summary>Policy: administration.</summary>
    public const string AdminPolicy = "admin";
}
