using Microsoft.AspNetCore.Identity;
using SanteGateway.Server.Identities;
using SanteGateway.Store;
using SanteGateway.Store.Audit;
using SanteGateway.Store.Entities;

namespace SanteGateway.Server.Security;

/// <summary><c>/api/auth</c> (cookie login for the web UI) and <c>/api/admin</c> (accounts and API keys).</summary>
internal static class AccountEndpoints
{
    public const string AuthRateLimit = "auth";

    public static void MapAccountEndpoints(this IEndpointRouteBuilder app)
    {
        var auth = app.MapGroup("/api/auth").WithTags("Authentication");
        auth.MapPost("/login", async (LoginRequest body, SignInManager<GatewayUser> signIn) =>
        {
            if (string.IsNullOrWhiteSpace(body.UserName) || string.IsNullOrEmpty(body.Password))
            {
                throw GatewayProblem.Field(400, "userName", "required", "User name and password are required.");
            }

            var result = await signIn.PasswordSignInAsync(body.UserName, body.Password, isPersistent: false, lockoutOnFailure: true).ConfigureAwait(false);
            return result.Succeeded
                ? Results.NoContent()
                : Results.Problem(statusCode: 401, title: result.IsLockedOut ? "Account locked; retry later." : "Wrong user name or password.");
        }).AllowAnonymous().RequireRateLimiting(AuthRateLimit).WithName("Login");

        auth.MapPost("/logout", async (SignInManager<GatewayUser> signIn) =>
        {
            await signIn.SignOutAsync().ConfigureAwait(false);
            return Results.NoContent();
        }).RequireAuthorization().WithName("Logout");

        auth.MapGet("/me", (HttpContext http) => Results.Ok(new
        {
            name = http.User.Identity?.Name,
            roles = GatewayRoles.All.Where(http.User.IsInRole).ToArray(),
        })).RequireAuthorization().WithName("Me");

        var admin = app.MapGroup("/api/admin").WithTags("Administration").RequireAuthorization(GatewayRoles.AdminPolicy);
        admin.MapPost("/api-keys", async (CreateApiKeyRequest body, GatewayDbContext db, TimeProvider clock, HttpContext http, CancellationToken ct) =>
        {
            var errors = new FieldErrors();
            if (string.IsNullOrWhiteSpace(body.Name) || body.Name.Length > 128)
            {
                errors.Add("name", "required", "A name of 1 to 128 characters is required.");
            }

            var roles = CheckRoles(errors, body.Roles);
            errors.ThrowIfAny();
            var actor = Actor.From(http.User);
            var (key, record) = ApiKeys.Create(body.Name!.Trim(), roles, actor.Name, AuditHasher.Truncate(clock.GetUtcNow()));
            await using var tx = await db.Database.BeginTransactionAsync(ct).ConfigureAwait(false);
            db.ApiKeys.Add(record);
            await AuditTrail.AppendAsync(db, new AuditEntry(actor.Name, actor.Source, "apikey.created", "apikey", record.Id, null,
                System.Text.Json.JsonSerializer.Serialize(new { record.Name, roles })), clock, ct).ConfigureAwait(false);
            await db.SaveChangesAsync(ct).ConfigureAwait(false);
            await tx.CommitAsync(ct).ConfigureAwait(false);
            return Results.Created($"/api/admin/api-keys/{record.Id}", new CreatedApiKey(record.Id, record.Name, roles, key));
        }).WithName("CreateApiKey").Produces<CreatedApiKey>(201);

        admin.MapPost("/users", async (CreateUserRequest body, UserManager<GatewayUser> users, GatewayDbContext db, TimeProvider clock, HttpContext http, CancellationToken ct) =>
        {
            var errors = new FieldErrors();
            if (string.IsNullOrWhiteSpace(body.UserName))
            {
                errors.Add("userName", "required", "A user name is required.");
            }

            if (string.IsNullOrEmpty(body.Password))
            {
                errors.Add("password", "required", "A password is required.");
            }

            var roles = CheckRoles(errors, body.Roles);
            errors.ThrowIfAny();
            var actor = Actor.From(http.User);
            var user = new GatewayUser { UserName = body.UserName!.Trim() };
            await using var tx = await db.Database.BeginTransactionAsync(ct).ConfigureAwait(false);
            var created = await users.CreateAsync(user, body.Password!).ConfigureAwait(false);
            if (!created.Succeeded)
            {
                throw GatewayProblem.Validation(created.Errors.GroupBy(e => e.Code.Contains("Password", StringComparison.Ordinal) ? "password" : "userName")
                    .ToDictionary(g => g.Key, g => g.Select(e => $"{e.Code}: {e.Description}").ToArray(), StringComparer.Ordinal));
            }

            var added = await users.AddToRolesAsync(user, roles).ConfigureAwait(false);
            if (!added.Succeeded)
            {
                throw GatewayProblem.Field(400, "roles", "role", string.Join("; ", added.Errors.Select(e => e.Description)));
            }

            await AuditTrail.AppendAsync(db, new AuditEntry(actor.Name, actor.Source, "user.created", "user", user.Id, null,
                System.Text.Json.JsonSerializer.Serialize(new { user.UserName, roles })), clock, ct).ConfigureAwait(false);
            await db.SaveChangesAsync(ct).ConfigureAwait(false);
            await tx.CommitAsync(ct).ConfigureAwait(false);
            return Results.Created($"/api/admin/users/{user.Id}", new { id = user.Id, userName = user.UserName, roles });
        }).WithName("CreateUser");

        admin.MapGet("/audit/verify", async (GatewayDbContext db, CancellationToken ct) =>
            Results.Ok(await AuditTrail.VerifyAsync(db, ct).ConfigureAwait(false))).WithName("VerifyAuditChain");
    }

    private static List<string> CheckRoles(FieldErrors errors, IReadOnlyList<string>? roles)
    {
        if (roles is null || roles.Count == 0)
        {
            errors.Add("roles", "required", $"At least one role: {string.Join(", ", GatewayRoles.All)}.");
            return [];
        }

        var list = roles.Select(r => r.Trim()).Distinct(StringComparer.Ordinal).ToList();
        foreach (var r in list.Where(r => !GatewayRoles.All.Contains(r)))
        {
            errors.Add("roles", "role", $"Unknown role '{r}' (expected {string.Join(", ", GatewayRoles.All)}).");
        }

        return list;
    }
}
