using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using SanteGateway.Application;
using SanteGateway.Server.Identities;
using SanteGateway.Server.Security;
using SanteGateway.Store;
using SanteGateway.Store.Audit;
using SanteGateway.Store.Entities;

namespace SanteGateway.Server.Certificates;

/// <summary>Body of <c>PUT /api/admin/users/{id}/establishment</c> and <c>PUT /api/admin/api-keys/{id}/establishment</c>.</summary>
/// <param name="Establishment">FINESS of a configured establishment, or null to act for the default one.</param>
public sealed record EstablishmentAssignment(string? Establishment);

/// <summary>The establishment an account or API key now acts for.</summary>
/// <param name="Id">Account id or API key id.</param>
/// <param name="Establishment">FINESS, or null (the default establishment).</param>
public sealed record EstablishmentAssignmentView(string Id, string? Establishment);

/// <summary>
/// Which establishment users and API keys act for. An account holds it as the user claim <c>santegw:establishment</c>
/// (read into its session at sign-in; changing it ends the account's sessions, as a role change does), an API key in its
/// stored record (read on every request). Every request then runs inside <see cref="EstablishmentContext"/> for that
/// establishment, and its <see cref="Actor"/> carries it: INSi, ROR and document-sharing calls present that
/// establishment's certificates.
/// </summary>
public static class EstablishmentAssignments
{
    /// <summary>Enters the signed-in principal's establishment for the rest of the request (after authentication).</summary>
    /// <param name="app">Pipeline.</param>
    /// <returns>The same pipeline.</returns>
    public static IApplicationBuilder UseEstablishmentContext(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            using var scope = EstablishmentContext.Enter(EstablishmentClaims.Of(context.User));
            await next(context).ConfigureAwait(false);
        });

    /// <summary>Maps the two assignment endpoints (administrators).</summary>
    /// <param name="app">Routes.</param>
    /// <returns>The same routes.</returns>
    public static IEndpointRouteBuilder MapEstablishmentAssignments(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/api/admin").WithTags("Administration").RequireAuthorization(GatewayRoles.AdminPolicy);
        admin.MapPut("/users/{id}/establishment", async (string id, EstablishmentAssignment body, UserManager<GatewayUser> users, GatewayDbContext db,
            EstablishmentDirectory establishments, TimeProvider clock, HttpContext http, CancellationToken ct) =>
        {
            var user = await users.FindByIdAsync(id).ConfigureAwait(false) ?? await users.FindByNameAsync(id).ConfigureAwait(false);
            if (user is null)
            {
                return Http.Problem(AppError.Field(ErrorKind.NotFound, "id", "not-found", $"No account {Clip(id)}."));
            }

            if (!Check(body, establishments, out var finess, out var problem))
            {
                return problem!;
            }

            var claims = await users.GetClaimsAsync(user).ConfigureAwait(false);
            var before = claims.FirstOrDefault(c => c.Type == EstablishmentClaims.Type)?.Value;
            if (!string.Equals(before, finess, StringComparison.Ordinal))
            {
                await using var tx = await db.Database.BeginTransactionAsync(ct).ConfigureAwait(false);
                var old = claims.Where(c => c.Type == EstablishmentClaims.Type).ToList();
                if (old.Count > 0)
                {
                    Ensure(await users.RemoveClaimsAsync(user, old).ConfigureAwait(false));
                }

                if (finess is not null)
                {
                    Ensure(await users.AddClaimAsync(user, new Claim(EstablishmentClaims.Type, finess)).ConfigureAwait(false));
                }

                // A session carries the claims it was signed in with: a new stamp ends them, the next sign-in carries the new one.
                Ensure(await users.UpdateSecurityStampAsync(user).ConfigureAwait(false));
                await AuditAsync(db, clock, http.User, "user.establishment", "user", user.Id, before, finess, ct).ConfigureAwait(false);
                await tx.CommitAsync(ct).ConfigureAwait(false);
            }

            return Results.Ok(new EstablishmentAssignmentView(user.Id, finess));
        }).WithName("SetUserEstablishment")
            .WithDescription("Binds an account to the establishment it acts for (FINESS of Gateway:Establishments; null = the default one). Its sessions end.")
            .Produces<EstablishmentAssignmentView>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound);

        admin.MapPut("/api-keys/{id}/establishment", async (string id, EstablishmentAssignment body, GatewayDbContext db, EstablishmentDirectory establishments,
            TimeProvider clock, HttpContext http, CancellationToken ct) =>
        {
            var key = await db.ApiKeys.FirstOrDefaultAsync(k => k.Id == id, ct).ConfigureAwait(false);
            if (key is null)
            {
                return Http.Problem(AppError.Field(ErrorKind.NotFound, "id", "not-found", $"No API key {Clip(id)}."));
            }

            if (!Check(body, establishments, out var finess, out var problem))
            {
                return problem!;
            }

            var before = key.Establishment;
            if (!string.Equals(before, finess, StringComparison.Ordinal))
            {
                await using var tx = await db.Database.BeginTransactionAsync(ct).ConfigureAwait(false);
                key.Establishment = finess;
                await AuditAsync(db, clock, http.User, "apikey.establishment", "apikey", key.Id, before, finess, ct).ConfigureAwait(false);
                await tx.CommitAsync(ct).ConfigureAwait(false);
            }

            return Results.Ok(new EstablishmentAssignmentView(key.Id, finess));
        }).WithName("SetApiKeyEstablishment")
            .WithDescription("Binds an API key to the establishment it acts for (FINESS of Gateway:Establishments; null = the default one).")
            .Produces<EstablishmentAssignmentView>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    private static bool Check(EstablishmentAssignment body, EstablishmentDirectory establishments, out string? finess, out IResult? problem)
    {
        finess = null;
        problem = null;
        if (string.IsNullOrWhiteSpace(body?.Establishment))
        {
            return true;
        }

        if (establishments.Find(body.Establishment) is not { } known)
        {
            problem = Http.Problem(AppError.Field(ErrorKind.Invalid, "establishment", "establishment.unknown",
                $"Establishment {Clip(body.Establishment.Trim())} is not configured (Gateway:Establishments)."));
            return false;
        }

        finess = known.Finess;
        return true;
    }

    private static async Task AuditAsync(GatewayDbContext db, TimeProvider clock, ClaimsPrincipal who, string action, string type, string id, string? before, string? after, CancellationToken ct)
    {
        var source = string.Equals(who.Identity?.AuthenticationType, ApiKeys.Scheme, StringComparison.Ordinal) ? "api" : "ui";
        await AuditTrail.AppendAsync(db, new AuditEntry(who.Identity?.Name ?? "anonymous", source, action, type, id,
            JsonSerializer.Serialize(new { establishment = before }), JsonSerializer.Serialize(new { establishment = after })), clock, ct).ConfigureAwait(false);
        await db.SaveChangesAsync(ct).ConfigureAwait(false);
    }

    private static void Ensure(IdentityResult result)
    {
        if (!result.Succeeded)
        {
            throw new InvalidOperationException(string.Join("; ", result.Errors.Select(e => e.Code)));
        }
    }

    private static string Clip(string s) => s.Length > 64 ? s[..64] : s;
}
