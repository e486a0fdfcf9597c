using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using SanteGateway.Store.Entities;

namespace SanteGateway.Server.Security;

/// <summary>
/// Server-side checks of a session cookie on every request: the account still exists and is enabled, its security
/// stamp is the one the cookie was issued with (logout, password change or reset, role change and disabling renew it,
/// which ends every session of that user at once, on every instance), and the absolute lifetime since sign-in has not
/// passed (the sliding expiry alone would let an active session live for ever).
/// </summary>
public static class Sessions
{
    /// <summary>Claim holding the sign-in time (Unix seconds), kept across sliding renewals.</summary>
    public const string AuthTimeClaim = "santegw:auth_time";

    /// <summary>Signs a user in with a fresh session (sign-in time now).</summary>
    public static Task SignInAsync(SignInManager<GatewayUser> signIn, GatewayUser user, TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(signIn);
        ArgumentNullException.ThrowIfNull(clock);
        return signIn.SignInWithClaimsAsync(user, isPersistent: false,
            [new Claim(AuthTimeClaim, clock.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture))]);
    }

    /// <summary>The cookie handler's <c>OnValidatePrincipal</c>.</summary>
    public static async Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var services = context.HttpContext.RequestServices;
        var options = services.GetRequiredService<IOptions<GatewayOptions>>().Value;
        var clock = services.GetRequiredService<TimeProvider>();
        var principal = context.Principal;
        var authTime = principal?.FindFirstValue(AuthTimeClaim);
        if (principal is null || authTime is null || !long.TryParse(authTime, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            || clock.GetUtcNow() - DateTimeOffset.FromUnixTimeSeconds(seconds) > options.SessionAbsoluteLifetime)
        {
            await RejectAsync(context).ConfigureAwait(false);
            return;
        }

        var users = services.GetRequiredService<UserManager<GatewayUser>>();
        var identityOptions = services.GetRequiredService<IOptions<IdentityOptions>>().Value;
        var user = await users.GetUserAsync(principal).ConfigureAwait(false);
        var stamp = principal.FindFirstValue(identityOptions.ClaimsIdentity.SecurityStampClaimType);
        if (user is null || user.IsDisabled || stamp is null || !string.Equals(stamp, user.SecurityStamp, StringComparison.Ordinal))
        {
            await RejectAsync(context).ConfigureAwait(false);
        }
    }

    private static async Task RejectAsync(CookieValidatePrincipalContext context)
    {
        context.RejectPrincipal();
        await context.HttpContext.SignOutAsync(IdentityConstants.ApplicationScheme).ConfigureAwait(false);
    }
}
