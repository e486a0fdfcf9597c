using Microsoft.AspNetCore.Identity;
using SanteGateway.Store;
using SanteGateway.Store.Entities;

namespace SanteGateway.Server.Security;

/// <summary>
/// <see cref="IStaffAccounts"/> for the web UI over the same pieces as <c>/api/auth</c> and <c>/api/admin</c>:
/// <see cref="AccountAdmin"/> (audited changes), <see cref="Sessions"/> (cookie with sign-in time), <see cref="LoginThrottle"/>
/// (delays by account and source) and the constant-work check of unknown names.
/// </summary>
internal sealed class StaffAccounts(
    IHttpContextAccessor http,
    UserManager<GatewayUser> users,
    SignInManager<GatewayUser> signIn,
    IPasswordHasher<GatewayUser> hasher,
    LoginThrottle throttle,
    AccountAdmin admin,
    GatewayDbContext db,
    TimeProvider clock) : IStaffAccounts
{
    private static readonly Lazy<string> DummyHash = new(() => new PasswordHasher<GatewayUser>().HashPassword(new GatewayUser(), GatewayApp.GeneratePassword()));

    private HttpContext Context => http.HttpContext ?? throw new InvalidOperationException("No current request.");

    public async Task<Result<bool>> SignInAsync(string? userName, string? password, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(userName) || string.IsNullOrEmpty(password))
        {
            return Result<bool>.Fail(AppError.Field(ErrorKind.Invalid, string.IsNullOrWhiteSpace(userName) ? "userName" : "password", "required", "User name and password are required."));
        }

        var source = Context.Connection.RemoteIpAddress?.ToString() ?? "local";
        if (throttle.IsBlocked(userName, source))
        {
            return Refused();
        }

        var user = await users.FindByNameAsync(userName.Trim()).ConfigureAwait(false);
        bool ok;
        if (user is null)
        {
            hasher.VerifyHashedPassword(new GatewayUser(), DummyHash.Value, password);
            ok = false;
        }
        else
        {
            ok = await users.CheckPasswordAsync(user, password).ConfigureAwait(false) && !user.IsDisabled;
        }

        if (!ok)
        {
            throttle.Failed(userName, source);
            return Refused();
        }

        throttle.Succeeded(userName, source);
        await Sessions.SignInAsync(signIn, user!, clock).ConfigureAwait(false);
        return Result<bool>.Ok(true);
    }

    public async Task SignOutAsync(CancellationToken ct)
    {
        if (await users.GetUserAsync(Context.User).ConfigureAwait(false) is { } user)
        {
            await admin.EndSessionsAsync(user, user.UserName ?? user.Id, "ui", ct).ConfigureAwait(false);
        }

        await signIn.SignOutAsync().ConfigureAwait(false);
    }

    public async Task<Result<bool>> ChangeOwnPasswordAsync(string? currentPassword, string? newPassword, CancellationToken ct)
    {
        var user = await users.GetUserAsync(Context.User).ConfigureAwait(false);
        if (user is null)
        {
            return Result<bool>.Fail(AppError.Field(ErrorKind.Forbidden, "user", "account-only", "Only a signed-in account changes its own password."));
        }

        return await Run(async () =>
        {
            await admin.ChangeOwnPasswordAsync(user, currentPassword, newPassword, "ui", ct).ConfigureAwait(false);
            await Sessions.SignInAsync(signIn, user, clock).ConfigureAwait(false);
            return true;
        }).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<StaffUserView>> ListUsersAsync(CancellationToken ct) =>
        (await admin.ListUsersAsync(ct).ConfigureAwait(false)).Select(ToView).ToList();

    public Task<Result<StaffUserView>> CreateUserAsync(string? userName, string? password, IReadOnlyList<string> roles, string actor, CancellationToken ct) =>
        Run(async () => ToView(await admin.CreateUserAsync(userName, password, roles, actor, "ui", ct).ConfigureAwait(false)));

    public Task<Result<StaffUserView>> UpdateUserAsync(string id, IReadOnlyList<string>? roles, bool? disabled, string actor, CancellationToken ct) =>
        Run(async () => ToView(await admin.UpdateUserAsync(id, roles, disabled, actor, "ui", ct).ConfigureAwait(false)));

    public Task<Result<string>> ResetPasswordAsync(string id, string actor, CancellationToken ct) =>
        Run(() => admin.ResetPasswordAsync(id, null, actor, "ui", ct));

    public async Task<IReadOnlyList<StaffApiKeyView>> ListKeysAsync(CancellationToken ct) =>
        (await admin.ListKeysAsync(ct).ConfigureAwait(false)).Select(ToView).ToList();

    public Task<Result<(string Key, StaffApiKeyView View)>> CreateKeyAsync(string? name, IReadOnlyList<string> roles, DateTimeOffset? expiresAt, string actor, CancellationToken ct) =>
        Run(async () =>
        {
            var (key, view) = await admin.CreateKeyAsync(name, roles, expiresAt, actor, "ui", ct).ConfigureAwait(false);
            return (key, ToView(view));
        });

    public Task<Result<StaffApiKeyView>> RevokeKeyAsync(string id, string actor, CancellationToken ct) =>
        Run(async () => ToView(await admin.RevokeKeyAsync(id, actor, "ui", ct).ConfigureAwait(false)));

    public async Task<AuditChainStatus> VerifyAuditChainAsync(CancellationToken ct)
    {
        var v = await SanteGateway.Store.Audit.AuditTrail.VerifyAsync(db, ct).ConfigureAwait(false);
        return new AuditChainStatus(v.IsIntact, v.EventCount, v.FirstBrokenSequence, v.Reason);
    }

    private static Result<bool> Refused() => Result<bool>.Fail(new AppError(ErrorKind.Forbidden, "auth.refused", AccountEndpoints.SignInRefused));

    private static StaffUserView ToView(UserView u) => new(u.Id, u.UserName, u.Roles, u.Disabled, u.CreatedAt);

    private static StaffApiKeyView ToView(ApiKeyView k) => new(k.Id, k.Prefix, k.Name, k.Roles, k.CreatedAt, k.CreatedBy, k.ExpiresAt, k.LastUsedAt, k.RevokedAt, k.Status);

    private static async Task<Result<T>> Run<T>(Func<Task<T>> step)
    {
        try
        {
            return Result<T>.Ok(await step().ConfigureAwait(false));
        }
        catch (AccountProblem p)
        {
            var kind = p.Status switch
            {
                404 => ErrorKind.NotFound,
                409 => ErrorKind.Conflict,
                403 => ErrorKind.Forbidden,
                _ => ErrorKind.Invalid,
            };
            return Result<T>.Fail(AppError.Field(kind, p.Field, p.Rule, p.Message));
        }
    }
}
