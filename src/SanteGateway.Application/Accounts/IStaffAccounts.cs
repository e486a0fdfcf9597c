namespace SanteGateway.Application;

/// <summary>The role and policy names of the gateway (the host registers the policies; the UI and the API use them).</summary>
public static class StaffRoles
{
    /// <summary>Front desk: searches, creates and completes identities.</summary>
    public const string FrontDesk = "front-desk";

    /// <summary>Identity vigilance: everything the front desk does, plus attributes, revert, merge, alerts.</summary>
    public const string IdentityVigilance = "identity-vigilance";

    /// <summary>Administration: accounts, API keys, audit; reads identities.</summary>
    public const string Admin = "admin";

    /// <summary>Inbound review: reads identities and decides the inbound gate's held items (attach, create, reject); nothing else.</summary>
    public const string InboundReviewer = "inbound-reviewer";

    /// <summary>Every role.</summary>
    public static readonly IReadOnlyList<string> All = [FrontDesk, IdentityVigilance, Admin, InboundReviewer];

    /// <summary>Policy: read identities (every role).</summary>
    public const string ReadPolicy = "identities.read";

    /// <summary>Policy: change identities (front desk, identity vigilance).</summary>
    public const string WritePolicy = "identities.write";

    /// <summary>Policy: identity-vigilance actions.</summary>
    public const string VigilancePolicy = "identities.vigilance";

    /// <summary>Policy: administration.</summary>
    public const string AdminPolicy = "admin";

    /// <summary>Policy: decide held inbound items (identity vigilance, inbound reviewers).</summary>
    public const string InboundReviewPolicy = "inbound.review";
}

/// <summary>An account as listed to an administrator.</summary>
/// <param name="Id">Account id.</param>
/// <param name="UserName">User name.</param>
/// <param name="Roles">Roles.</param>
/// <param name="Disabled">True when the account cannot sign in.</param>
/// <param name="CreatedAt">Creation time, when known.</param>
public sealed record StaffUserView(string Id, string UserName, IReadOnlyList<string> Roles, bool Disabled, DateTimeOffset? CreatedAt);

/// <summary>An API key as listed (never its secret).</summary>
/// <param name="Id">Public id.</param>
/// <param name="Prefix">Visible start of the key.</param>
/// <param name="Name">Label.</param>
/// <param name="Roles">Roles granted.</param>
/// <param name="CreatedAt">Creation time.</param>
/// <param name="CreatedBy">Creator.</param>
/// <param name="ExpiresAt">End of validity.</param>
/// <param name="LastUsedAt">Last use.</param>
/// <param name="RevokedAt">Revocation time.</param>
/// <param name="Status"><c>active</c>, <c>expired</c> or <c>revoked</c>.</param>
public sealed record StaffApiKeyView(string Id, string Prefix, string Name, IReadOnlyList<string> Roles, DateTimeOffset CreatedAt, string CreatedBy,
    DateTimeOffset? ExpiresAt, DateTimeOffset? LastUsedAt, DateTimeOffset? RevokedAt, string Status);

/// <summary>State of the audit chain.</summary>
/// <param name="Intact">True when every link checks.</param>
/// <param name="Events">Number of events checked.</param>
/// <param name="FirstBrokenSequence">First broken link, if any.</param>
/// <param name="Detail">What was found (codes, never identity data).</param>
public sealed record AuditChainStatus(bool Intact, long Events, long? FirstBrokenSequence, string? Detail);

/// <summary>
/// Staff accounts, sessions and API keys as the web UI needs them. The host implements it over its account store and
/// session cookies (the same rules, throttling and audit as its REST API); errors come back as <see cref="AppError"/>
/// with the rule and field.
/// </summary>
public interface IStaffAccounts
{
    /// <summary>Signs a user in on the current request (session cookie); one refusal for every failure.</summary>
    /// <param name="userName">User name.</param>
    /// <param name="password">Password.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>True, or the refusal <c>auth.refused</c>.</returns>
    Task<Result<bool>> SignInAsync(string? userName, string? password, CancellationToken ct);

    /// <summary>Ends every session of the signed-in account.</summary>
    /// <param name="ct">Cancellation.</param>
    /// <returns>A task.</returns>
    Task SignOutAsync(CancellationToken ct);

    /// <summary>The signed-in user changes their own password (this session continues; others end).</summary>
    /// <param name="currentPassword">Current password.</param>
    /// <param name="newPassword">New password.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>True, or the refusal naming the field.</returns>
    Task<Result<bool>> ChangeOwnPasswordAsync(string? currentPassword, string? newPassword, CancellationToken ct);

    /// <summary>Every account.</summary>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The accounts.</returns>
    Task<IReadOnlyList<StaffUserView>> ListUsersAsync(CancellationToken ct);

    /// <summary>Creates an account.</summary>
    /// <param name="userName">User name.</param>
    /// <param name="password">Initial password.</param>
    /// <param name="roles">Roles.</param>
    /// <param name="actor">Administrator.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The account.</returns>
    Task<Result<StaffUserView>> CreateUserAsync(string? userName, string? password, IReadOnlyList<string> roles, string actor, CancellationToken ct);

    /// <summary>Changes roles and/or the disabled flag (ends the user's sessions).</summary>
    /// <param name="id">Account id.</param>
    /// <param name="roles">New roles, or null to keep them.</param>
    /// <param name="disabled">New flag, or null to keep it.</param>
    /// <param name="actor">Administrator.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The account.</returns>
    Task<Result<StaffUserView>> UpdateUserAsync(string id, IReadOnlyList<string>? roles, bool? disabled, string actor, CancellationToken ct);

    /// <summary>Resets a password to a generated one, returned once.</summary>
    /// <param name="id">Account id.</param>
    /// <param name="actor">Administrator.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The new password.</returns>
    Task<Result<string>> ResetPasswordAsync(string id, string actor, CancellationToken ct);

    /// <summary>Every API key.</summary>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The keys.</returns>
    Task<IReadOnlyList<StaffApiKeyView>> ListKeysAsync(CancellationToken ct);

    /// <summary>Creates an API key; its secret is returned once.</summary>
    /// <param name="name">Label.</param>
    /// <param name="roles">Roles.</param>
    /// <param name="expiresAt">End of validity.</param>
    /// <param name="actor">Administrator.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The secret and the key.</returns>
    Task<Result<(string Key, StaffApiKeyView View)>> CreateKeyAsync(string? name, IReadOnlyList<string> roles, DateTimeOffset? expiresAt, string actor, CancellationToken ct);

    /// <summary>Revokes an API key.</summary>
    /// <param name="id">Key id.</param>
    /// <param name="actor">Administrator.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The key.</returns>
    Task<Result<StaffApiKeyView>> RevokeKeyAsync(string id, string actor, CancellationToken ct);

    /// <summary>Checks the audit chain.</summary>
    /// <param name="ct">Cancellation.</param>
    /// <returns>Its state.</returns>
    Task<AuditChainStatus> VerifyAuditChainAsync(CancellationToken ct);
}
