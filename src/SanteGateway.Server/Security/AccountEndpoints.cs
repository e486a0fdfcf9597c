using System.Security.Claims;
using Microsoft.AspNetCore.Identity;
using SanteGateway.Server.Identities;
using SanteGateway.Store.Entities;

namespace SanteGateway.Server.Security;

/// <summary>Sign-in request.</summary>
internal sealed record SignInRequest(string? UserName, string? Password);

/// <summary>New account.</summary>
internal sealed record NewUserRequest(string? UserName, string? Password, IReadOnlyList<string>? Roles);

/// <summary>Account change: roles and/or disabled flag (absent fields unchanged).</summary>
internal sealed record UserUpdateRequest(IReadOnlyList<string>? Roles, bool? Disabled);

/// <summary>Password reset by an administrator; no password: one is generated and returned once.</summary>
internal sealed record PasswordResetRequest(string? Password);

/// <summary>A user's change of their own password.</summary>
internal sealed record PasswordChangeRequest(string? CurrentPassword, string? NewPassword);

/// <summary>New API key.</summary>
internal sealed record NewApiKeyRequest(string? Name, IReadOnlyList<string>? Roles, DateTimeOffset? ExpiresAt);

/// <summary>A created key: the secret is shown here once.</summary>
internal sealed record CreatedApiKeyView(string Id, string Name, IReadOnlyList<string> Roles, DateTimeOffset? ExpiresAt, string Key);

/// <summary><c>/api/auth</c> (cookie sessions of the web UI, own password) and <c>/api/admin</c> (accounts, API keys, audit).</summary>
internal static class AccountEndpoints
{
    public const string AuthRateLimit = "auth";

    /// <summary>The one answer to every failed sign-in: unknown account, wrong password, disabled or throttled alike.</summary>
    public const string SignInRefused = "Wrong user name or password, or too many attempts; retry later.";

    private static readonly Lazy<string> DummyHash = new(() => new PasswordHasher<GatewayUser>().HashPassword(new GatewayUser(), GatewayApp.GeneratePassword()));

    public static void MapAccountEndpoints(this IEndpointRouteBuilder app)
    {
        var auth = app.MapGroup("/api/auth").WithTags("Authentication").AddEndpointFilter(MapAccountProblems);
        auth.MapPost("/login", async (SignInRequest body, HttpContext http, UserManager<GatewayUser> users, SignInManager<GatewayUser> signIn,
            IPasswordHasher<GatewayUser> hasher, LoginThrottle throttle, TimeProvider clock) =>
        {
            if (string.IsNullOrWhiteSpace(body.UserName) || string.IsNullOrEmpty(body.Password))
            {
                throw GatewayProblem.Field(400, "userName", "required", "User name and password are required.");
            }

            var source = http.Connection.RemoteIpAddress?.ToString() ?? "local";
            if (throttle.IsBlocked(body.UserName, source))
            {
                return Refused();
            }

            var user = await users.FindByNameAsync(body.UserName.Trim()).ConfigureAwait(false);
            bool ok;
            if (user is null)
            {
                // Same work as for a real account, so that timing does not tell which names exist.
                hasher.VerifyHashedPassword(new GatewayUser(), DummyHash.Value, body.Password);
                ok = false;
            }
            else
            {
                ok = await users.CheckPasswordAsync(user, body.Password).ConfigureAwait(false) && !user.IsDisabled;
            }

            if (!ok)
            {
                throttle.Failed(body.UserName, source);
                return Refused();
            }

            throttle.Succeeded(body.UserName, source);
            await Sessions.SignInAsync(signIn, user!, clock).ConfigureAwait(false);
            return Results.NoContent();
        }).AllowAnonymous().RequireRateLimiting(AuthRateLimit).WithName("Login");

        auth.MapPost("/logout", async (HttpContext http, UserManager<GatewayUser> users, SignInManager<GatewayUser> signIn, AccountAdmin admin, CancellationToken ct) =>
        {
            // Logout ends every session of the account (copies of the cookie included), not only this browser's.
            if (await users.GetUserAsync(http.User).ConfigureAwait(false) is { } user)
            {
                await admin.EndSessionsAsync(user, user.UserName ?? user.Id, "ui", ct).ConfigureAwait(false);
            }

            await signIn.SignOutAsync().ConfigureAwait(false);
            return Results.NoContent();
        }).RequireAuthorization().WithName("Logout");

        auth.MapPost("/password", async (PasswordChangeRequest body, HttpContext http, UserManager<GatewayUser> users, SignInManager<GatewayUser> signIn,
            AccountAdmin admin, TimeProvider clock, CancellationToken ct) =>
        {
            var user = await users.GetUserAsync(http.User).ConfigureAwait(false)
                ?? throw GatewayProblem.Field(403, "user", "account-only", "Only a signed-in account changes its own password (API keys have none).");
            await admin.ChangeOwnPasswordAsync(user, body.CurrentPassword, body.NewPassword, "ui", ct).ConfigureAwait(false);
            // The stamp changed: every other session ended; this one continues with a fresh cookie.
            await Sessions.SignInAsync(signIn, user, clock).ConfigureAwait(false);
            return Results.NoContent();
        }).RequireAuthorization().RequireRateLimiting(AuthRateLimit).WithName("ChangeOwnPassword");

        auth.MapGet("/me", (HttpContext http) => Results.Ok(new
        {
            name = http.User.Identity?.Name,
            roles = GatewayRoles.All.Where(http.User.IsInRole).ToArray(),
        })).RequireAuthorization().WithName("Me");

        var admin = app.MapGroup("/api/admin").WithTags("Administration").RequireAuthorization(GatewayRoles.AdminPolicy).AddEndpointFilter(MapAccountProblems);
        admin.MapGet("/users", (AccountAdmin accounts, CancellationToken ct) => accounts.ListUsersAsync(ct)).WithName("ListUsers");
        admin.MapPost("/users", async (NewUserRequest body, AccountAdmin accounts, HttpContext http, CancellationToken ct) =>
        {
            var (actor, source) = ActorOf(http.User);
            var user = await accounts.CreateUserAsync(body.UserName, body.Password, body.Roles, actor, source, ct).ConfigureAwait(false);
            return Results.Created($"/api/admin/users/{user.Id}", user);
        }).WithName("CreateUser").Produces<UserView>(201);
        admin.MapPatch("/users/{id}", async (string id, UserUpdateRequest body, AccountAdmin accounts, HttpContext http, CancellationToken ct) =>
        {
            var (actor, source) = ActorOf(http.User);
            return Results.Ok(await accounts.UpdateUserAsync(id, body.Roles, body.Disabled, actor, source, ct).ConfigureAwait(false));
        }).WithName("UpdateUser");
        admin.MapPost("/users/{id}/reset-password", async (string id, PasswordResetRequest? body, AccountAdmin accounts, HttpContext http, CancellationToken ct) =>
        {
            var (actor, source) = ActorOf(http.User);
            var password = await accounts.ResetPasswordAsync(id, body?.Password, actor, source, ct).ConfigureAwait(false);
            return string.IsNullOrEmpty(body?.Password) ? Results.Ok(new { password }) : Results.NoContent();
        }).WithName("ResetPassword");

        admin.MapGet("/api-keys", (AccountAdmin accounts, CancellationToken ct) => accounts.ListKeysAsync(ct)).WithName("ListApiKeys");
        admin.MapPost("/api-keys", async (NewApiKeyRequest body, AccountAdmin accounts, HttpContext http, CancellationToken ct) =>
        {
            var (actor, source) = ActorOf(http.User);
            var (key, view) = await accounts.CreateKeyAsync(body.Name, body.Roles, body.ExpiresAt, actor, source, ct).ConfigureAwait(false);
            return Results.Created($"/api/admin/api-keys/{view.Id}", new CreatedApiKeyView(view.Id, view.Name, view.Roles, view.ExpiresAt, key));
        }).WithName("CreateApiKey").Produces<CreatedApiKeyView>(201);
        admin.MapDelete("/api-keys/{id}", async (string id, AccountAdmin accounts, HttpContext http, CancellationToken ct) =>
        {
            var (actor, source) = ActorOf(http.User);
            await accounts.RevokeKeyAsync(id, actor, source, ct).ConfigureAwait(false);
            return Results.NoContent();
        }).WithName("RevokeApiKey");

        admin.MapGet("/audit/verify", async (SanteGateway.Store.GatewayDbContext db, CancellationToken ct) =>
            Results.Ok(await SanteGateway.Store.Audit.AuditTrail.VerifyAsync(db, ct).ConfigureAwait(false))).WithName("VerifyAuditChain");
    }

    private static IResult Refused() => Results.Problem(statusCode: 401, title: SignInRefused);

    private static (string Actor, string Source) ActorOf(ClaimsPrincipal user) => (
        user.Identity?.Name ?? "anonymous",
        string.Equals(user.Identity?.AuthenticationType, ApiKeys.Scheme, StringComparison.Ordinal) ? "api" : "ui");

    private static async ValueTask<object?> MapAccountProblems(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context).ConfigureAwait(false);
        }
        catch (AccountProblem p)
        {
            throw GatewayProblem.Field(p.Status, p.Field, p.Rule, p.Message);
        }
    }
}
