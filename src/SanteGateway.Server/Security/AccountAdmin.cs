using System.Text.Json;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using SanteGateway.Store;
using SanteGateway.Store.Audit;
using SanteGateway.Store.Entities;

namespace SanteGateway.Server.Security;

/// <summary>Registration of the account services shared by the server and the <c>santegw admin</c> CLI.</summary>
public static class AccountServices
{
    /// <summary>ASP.NET Core Identity on the gateway database with the gateway's password rules, plus <see cref="AccountAdmin"/>.</summary>
    public static IdentityBuilder AddGatewayAccounts(this IServiceCollection services)
    {
        services.AddScoped<AccountAdmin>();
        return services.AddIdentityCore<GatewayUser>(o =>
            {
                o.Password.RequiredLength = 12;
                // No account-wide lockout (anyone could lock an administrator out): LoginThrottle delays by account and source.
                o.Lockout.AllowedForNewUsers = false;
                o.User.RequireUniqueEmail = false;
            })
            .AddRoles<IdentityRole>()
            .AddEntityFrameworkStores<GatewayDbContext>();
    }
}

/// <summary>A refused account or key operation: HTTP status, the field concerned and the rule broken.</summary>
public sealed class AccountProblem : Exception
{
    /// <summary>Creates the problem.</summary>
    public AccountProblem(int status, string field, string rule, string message)
        : base(message)
    {
        Status = status;
        Field = field;
        Rule = rule;
    }

    /// <summary>Creates a generic problem.</summary>
    public AccountProblem()
        : this(400, "request", "invalid", "Invalid request.")
    {
    }

    /// <summary>Creates a generic problem with a message.</summary>
    public AccountProblem(string message)
        : this(400, "request", "invalid", message)
    {
    }

    /// <summary>Creates a generic problem with a message and a cause.</summary>
    public AccountProblem(string message, Exception innerException)
        : base(message, innerException)
    {
        Status = 400;
        Field = "request";
        Rule = "invalid";
    }

    /// <summary>HTTP status (400, 404, 409).</summary>
    public int Status { get; }

    /// <summary>The request field concerned.</summary>
    public string Field { get; }

    /// <summary>The rule broken.</summary>
    public string Rule { get; }
}

/// <summary>A user as the administration API and CLI list it.</summary>
/// <param name="Id">Account id.</param>
/// <param name="UserName">Sign-in name.</param>
/// <param name="Roles">Roles held.</param>
/// <param name="Disabled">True when the account cannot sign in.</param>
/// <param name="CreatedAt">Creation time, when known.</param>
public sealed record UserView(string Id, string UserName, IReadOnlyList<string> Roles, bool Disabled, DateTimeOffset? CreatedAt);

/// <summary>An API key as listed (never its secret).</summary>
/// <param name="Id">Public id.</param>
/// <param name="Prefix">The visible start of the key (<c>sgw_ID</c>).</param>
/// <param name="Name">Label.</param>
/// <param name="Roles">Roles granted.</param>
/// <param name="CreatedAt">Creation time.</param>
/// <param name="CreatedBy">Creator.</param>
/// <param name="ExpiresAt">End of validity, when set.</param>
/// <param name="LastUsedAt">Last use (minute precision).</param>
/// <param name="RevokedAt">Revocation time, when revoked.</param>
/// <param name="Status"><c>active</c>, <c>expired</c> or <c>revoked</c>.</param>
public sealed record ApiKeyView(string Id, string Prefix, string Name, IReadOnlyList<string> Roles, DateTimeOffset CreatedAt, string CreatedBy,
    DateTimeOffset? ExpiresAt, DateTimeOffset? LastUsedAt, DateTimeOffset? RevokedAt, string Status);

/// <summary>
/// Accounts and API keys, shared by the administration API and the <c>santegw admin</c> CLI. Every change is audited in
/// the same transaction, and every change that affects what a user may do (password, roles, disabling) renews the
/// user's security stamp, which ends all of that user's sessions at their next request.
/// </summary>
public sealed class AccountAdmin(UserManager<GatewayUser> users, RoleManager<IdentityRole> roleManager, GatewayDbContext db, TimeProvider clock)
{
    /// <summary>Creates the gateway roles that do not exist yet.</summary>
    public async Task EnsureRolesAsync()
    {
        foreach (var role in GatewayRoles.All)
        {
            if (!await roleManager.RoleExistsAsync(role).ConfigureAwait(false))
            {
                await roleManager.CreateAsync(new IdentityRole(role)).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Lists every account.</summary>
    public async Task<IReadOnlyList<UserView>> ListUsersAsync(CancellationToken ct)
    {
        var all = await db.Users.AsNoTracking().OrderBy(u => u.UserName).ToListAsync(ct).ConfigureAwait(false);
        var roles = await (from ur in db.UserRoles join r in db.Roles on ur.RoleId equals r.Id select new { ur.UserId, r.Name })
            .ToListAsync(ct).ConfigureAwait(false);
        var byUser = roles.ToLookup(x => x.UserId, x => x.Name!, StringComparer.Ordinal);
        return all.Select(u => new UserView(u.Id, u.UserName ?? "", byUser[u.Id].Order(StringComparer.Ordinal).ToList(), u.IsDisabled, u.CreatedAt)).ToList();
    }

    /// <summary>Finds an account by id or, failing that, by user name.</summary>
    public async Task<GatewayUser> FindAsync(string idOrName)
    {
        ArgumentNullException.ThrowIfNull(idOrName);
        return await users.FindByIdAsync(idOrName).ConfigureAwait(false)
            ?? await users.FindByNameAsync(idOrName).ConfigureAwait(false)
            ?? throw new AccountProblem(404, "id", "not-found", $"No account '{idOrName}'.");
    }

    /// <summary>Creates an account with roles.</summary>
    public async Task<UserView> CreateUserAsync(string? userName, string? password, IReadOnlyList<string>? roles, string actor, string source, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(userName) || userName.Trim().Length > 64)
        {
            throw new AccountProblem(400, "userName", "required", "A user name of 1 to 64 characters is required.");
        }

        if (string.IsNullOrEmpty(password))
        {
            throw new AccountProblem(400, "password", "required", "A password is required.");
        }

        var checkedRoles = CheckRoles(roles);
        var user = new GatewayUser { UserName = userName.Trim(), CreatedAt = AuditHasher.Truncate(clock.GetUtcNow()) };
        await using var tx = await db.Database.BeginTransactionAsync(ct).ConfigureAwait(false);
        Check(await users.CreateAsync(user, password).ConfigureAwait(false), "userName");
        Check(await users.AddToRolesAsync(user, checkedRoles).ConfigureAwait(false), "roles");
        await AuditAsync(actor, source, "user.created", user.Id, null, new { user.UserName, roles = checkedRoles }, ct).ConfigureAwait(false);
        await db.SaveChangesAsync(ct).ConfigureAwait(false);
        await tx.CommitAsync(ct).ConfigureAwait(false);
        return new UserView(user.Id, user.UserName!, checkedRoles, false, user.CreatedAt);
    }

    /// <summary>Changes roles and/or the disabled flag; ends the user's sessions.</summary>
    public async Task<UserView> UpdateUserAsync(string id, IReadOnlyList<string>? roles, bool? disabled, string actor, string source, CancellationToken ct)
    {
        var user = await FindAsync(id).ConfigureAwait(false);
        var current = (await users.GetRolesAsync(user).ConfigureAwait(false)).Order(StringComparer.Ordinal).ToList();
        var wanted = roles is null ? current : CheckRoles(roles);
        var disable = disabled ?? user.IsDisabled;
        var wasAdmin = current.Contains(GatewayRoles.Admin) && !user.IsDisabled;
        var staysAdmin = wanted.Contains(GatewayRoles.Admin) && !disable;
        if (wasAdmin && !staysAdmin && await CountActiveAdminsAsync(ct).ConfigureAwait(false) <= 1)
        {
            throw new AccountProblem(409, disabled is true ? "disabled" : "roles", "last-admin", "This is the last enabled administrator; create or enable another one first.");
        }

        await using var tx = await db.Database.BeginTransactionAsync(ct).ConfigureAwait(false);
        if (roles is not null && !wanted.SequenceEqual(current, StringComparer.Ordinal))
        {
            Check(await users.RemoveFromRolesAsync(user, current.Except(wanted, StringComparer.Ordinal)).ConfigureAwait(false), "roles");
            Check(await users.AddToRolesAsync(user, wanted.Except(current, StringComparer.Ordinal)).ConfigureAwait(false), "roles");
            await AuditAsync(actor, source, "user.roles-changed", user.Id, new { roles = current }, new { roles = wanted }, ct).ConfigureAwait(false);
        }

        if (disabled is { } d && d != user.IsDisabled)
        {
            user.IsDisabled = d;
            await AuditAsync(actor, source, d ? "user.disabled" : "user.enabled", user.Id, new { disabled = !d }, new { disabled = d }, ct).ConfigureAwait(false);
        }

        Check(await users.UpdateSecurityStampAsync(user).ConfigureAwait(false), "id");
        await db.SaveChangesAsync(ct).ConfigureAwait(false);
        await tx.CommitAsync(ct).ConfigureAwait(false);
        return new UserView(user.Id, user.UserName!, wanted, user.IsDisabled, user.CreatedAt);
    }

    /// <summary>Sets a new password chosen by an administrator or generated (returned once); ends the user's sessions.</summary>
    public async Task<string> ResetPasswordAsync(string id, string? newPassword, string actor, string source, CancellationToken ct)
    {
        var user = await FindAsync(id).ConfigureAwait(false);
        var password = string.IsNullOrEmpty(newPassword) ? GatewayApp.GeneratePassword() : newPassword;
        await using var tx = await db.Database.BeginTransactionAsync(ct).ConfigureAwait(false);
        // Remove + add in one transaction: a password the validators refuse rolls the removal back.
        Check(await users.RemovePasswordAsync(user).ConfigureAwait(false), "password");
        Check(await users.AddPasswordAsync(user, password).ConfigureAwait(false), "password");
        Check(await users.UpdateSecurityStampAsync(user).ConfigureAwait(false), "password");
        // A reset also clears a lockout: it is the recovery path.
        await users.SetLockoutEndDateAsync(user, null).ConfigureAwait(false);
        await users.ResetAccessFailedCountAsync(user).ConfigureAwait(false);
        await AuditAsync(actor, source, "user.password-reset", user.Id, null, null, ct).ConfigureAwait(false);
        await db.SaveChangesAsync(ct).ConfigureAwait(false);
        await tx.CommitAsync(ct).ConfigureAwait(false);
        return password;
    }

    /// <summary>A user changes their own password (the current one is required); ends the user's other sessions.</summary>
    public async Task ChangeOwnPasswordAsync(GatewayUser user, string? currentPassword, string? newPassword, string source, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(user);
        if (string.IsNullOrEmpty(currentPassword))
        {
            throw new AccountProblem(400, "currentPassword", "required", "The current password is required.");
        }

        if (string.IsNullOrEmpty(newPassword))
        {
            throw new AccountProblem(400, "newPassword", "required", "A new password is required.");
        }

        await using var tx = await db.Database.BeginTransactionAsync(ct).ConfigureAwait(false);
        var result = await users.ChangePasswordAsync(user, currentPassword, newPassword).ConfigureAwait(false);
        if (!result.Succeeded && result.Errors.Any(e => e.Code == nameof(IdentityErrorDescriber.PasswordMismatch)))
        {
            throw new AccountProblem(400, "currentPassword", "mismatch", "The current password is wrong.");
        }

        Check(result, "newPassword");
        await AuditAsync(user.UserName ?? user.Id, source, "user.password-changed", user.Id, null, null, ct).ConfigureAwait(false);
        await db.SaveChangesAsync(ct).ConfigureAwait(false);
        await tx.CommitAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Ends every session of a user (sign-out everywhere), audited.</summary>
    public async Task EndSessionsAsync(GatewayUser user, string actor, string source, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(user);
        await using var tx = await db.Database.BeginTransactionAsync(ct).ConfigureAwait(false);
        Check(await users.UpdateSecurityStampAsync(user).ConfigureAwait(false), "id");
        await AuditAsync(actor, source, "user.signed-out", user.Id, null, null, ct).ConfigureAwait(false);
        await db.SaveChangesAsync(ct).ConfigureAwait(false);
        await tx.CommitAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Lists API keys, newest first.</summary>
    public async Task<IReadOnlyList<ApiKeyView>> ListKeysAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var keys = await db.ApiKeys.AsNoTracking().ToListAsync(ct).ConfigureAwait(false);
        return keys.OrderByDescending(k => k.CreatedAt).Select(k => View(k, now)).ToList();
    }

    /// <summary>Creates a key; the plain key is returned once.</summary>
    public async Task<(string Key, ApiKeyView View)> CreateKeyAsync(string? name, IReadOnlyList<string>? roles, DateTimeOffset? expiresAt, string actor, string source, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Trim().Length > 128)
        {
            throw new AccountProblem(400, "name", "required", "A name of 1 to 128 characters is required.");
        }

        var checkedRoles = CheckRoles(roles);
        var now = AuditHasher.Truncate(clock.GetUtcNow());
        if (expiresAt is { } e && e <= now)
        {
            throw new AccountProblem(400, "expiresAt", "past", "The expiry must be in the future.");
        }

        var (key, record) = ApiKeys.Create(name.Trim(), checkedRoles, actor, now);
        record.ExpiresAt = expiresAt is { } x ? AuditHasher.Truncate(x) : null;
        await using var tx = await db.Database.BeginTransactionAsync(ct).ConfigureAwait(false);
        db.ApiKeys.Add(record);
        await AuditAsync(actor, source, "apikey.created", record.Id, null, new { record.Name, roles = checkedRoles, record.ExpiresAt }, ct, "apikey").ConfigureAwait(false);
        await db.SaveChangesAsync(ct).ConfigureAwait(false);
        await tx.CommitAsync(ct).ConfigureAwait(false);
        return (key, View(record, now));
    }

    /// <summary>Revokes a key (idempotent); it stops authenticating at once.</summary>
    public async Task<ApiKeyView> RevokeKeyAsync(string id, string actor, string source, CancellationToken ct)
    {
        var record = await db.ApiKeys.FirstOrDefaultAsync(k => k.Id == id, ct).ConfigureAwait(false)
            ?? throw new AccountProblem(404, "id", "not-found", $"No API key '{id}'.");
        var now = AuditHasher.Truncate(clock.GetUtcNow());
        if (record.RevokedAt is null)
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct).ConfigureAwait(false);
            record.RevokedAt = now;
            record.RevokedBy = actor;
            await AuditAsync(actor, source, "apikey.revoked", record.Id, null, new { record.Name }, ct, "apikey").ConfigureAwait(false);
            await db.SaveChangesAsync(ct).ConfigureAwait(false);
            await tx.CommitAsync(ct).ConfigureAwait(false);
        }

        return View(record, now);
    }

    /// <summary>Checks role names against <see cref="GatewayRoles.All"/>.</summary>
    public static List<string> CheckRoles(IReadOnlyList<string>? roles)
    {
        if (roles is null || roles.Count == 0)
        {
            throw new AccountProblem(400, "roles", "required", $"At least one role: {string.Join(", ", GatewayRoles.All)}.");
        }

        var list = roles.Select(r => r.Trim()).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var unknown = list.FirstOrDefault(r => !GatewayRoles.All.Contains(r));
        if (unknown is not null)
        {
            throw new AccountProblem(400, "roles", "role", $"Unknown role '{unknown}' (expected {string.Join(", ", GatewayRoles.All)}).");
        }

        return list;
    }

    private static ApiKeyView View(ApiKeyRecord k, DateTimeOffset now) => new(
        k.Id, $"sgw_{k.Id}", k.Name, k.Roles.Split(',', StringSplitOptions.RemoveEmptyEntries), k.CreatedAt, k.CreatedBy, k.ExpiresAt, k.LastUsedAt, k.RevokedAt,
        k.RevokedAt is not null ? "revoked" : k.ExpiresAt is { } e && e <= now ? "expired" : "active");

    private async Task<int> CountActiveAdminsAsync(CancellationToken ct) =>
        await (from ur in db.UserRoles
               join r in db.Roles on ur.RoleId equals r.Id
               join u in db.Users on ur.UserId equals u.Id
               where r.Name == GatewayRoles.Admin && !u.IsDisabled
               select u.Id).CountAsync(ct).ConfigureAwait(false);

    private Task AuditAsync(string actor, string source, string action, string id, object? before, object? after, CancellationToken ct, string entityType = "user") =>
        AuditTrail.AppendAsync(db, new AuditEntry(actor, source, action, entityType, id,
            before is null ? null : JsonSerializer.Serialize(before), after is null ? null : JsonSerializer.Serialize(after)), clock, ct);

    private static void Check(IdentityResult result, string field)
    {
        if (!result.Succeeded)
        {
            var text = string.Join("; ", result.Errors.Select(e => $"{e.Code}: {e.Description}"));
            var f = result.Errors.Any(e => e.Code.Contains("Password", StringComparison.Ordinal)) ? (field == "userName" ? "password" : field) : field;
            var status = result.Errors.Any(e => e.Code == nameof(IdentityErrorDescriber.DuplicateUserName)) ? 409 : 400;
            throw new AccountProblem(status, f, result.Errors.First().Code, text);
        }
    }
}
