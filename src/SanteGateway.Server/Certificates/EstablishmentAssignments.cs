using SanteGateway.Application;
using SanteGateway.Server.Identities;
using SanteGateway.Server.Security;

namespace SanteGateway.Server.Certificates;

/// <summary>Body of <c>PUT /api/admin/users/{id}/establishment</c>, <c>…/api-keys/{id}/establishment</c> and <c>…/inbound-partners/{id}/establishment</c>.</summary>
/// <param name="Establishment">FINESS of a configured establishment, or null to act for the default one.</param>
public sealed record EstablishmentAssignment(string? Establishment);

/// <summary>The establishment an account, API key or inbound partner now acts for.</summary>
/// <param name="Id">Account id, API key id or partner code.</param>
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

    /// <summary>
    /// Maps the assignment endpoints (administrators): thin adapters to <see cref="EstablishmentAssignmentService"/>,
    /// which checks the establishment, writes and audits.
    /// </summary>
    /// <param name="app">Routes.</param>
    /// <returns>The same routes.</returns>
    public static IEndpointRouteBuilder MapEstablishmentAssignments(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/api/admin").WithTags("Administration").RequireAuthorization(GatewayRoles.AdminPolicy);
        admin.MapPut("/users/{id}/establishment", async (string id, EstablishmentAssignment body, EstablishmentAssignmentService svc, HttpContext http, CancellationToken ct) =>
            Http.Map(await svc.AssignAccountAsync(id, body?.Establishment, Actors.From(http.User), ct).ConfigureAwait(false), http, View))
            .WithName("SetUserEstablishment")
            .WithDescription("Binds an account to the establishment it acts for (FINESS of Gateway:Establishments; null = the default one). Its sessions end.")
            .Produces<EstablishmentAssignmentView>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound);

        admin.MapPut("/api-keys/{id}/establishment", async (string id, EstablishmentAssignment body, EstablishmentAssignmentService svc, HttpContext http, CancellationToken ct) =>
            Http.Map(await svc.AssignApiKeyAsync(id, body?.Establishment, Actors.From(http.User), ct).ConfigureAwait(false), http, View))
            .WithName("SetApiKeyEstablishment")
            .WithDescription("Binds an API key to the establishment it acts for (FINESS of Gateway:Establishments; null = the default one).")
            .Produces<EstablishmentAssignmentView>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound);

        admin.MapPut("/inbound-partners/{id}/establishment", async (string id, EstablishmentAssignment body, EstablishmentAssignmentService svc, HttpContext http, CancellationToken ct) =>
            Http.Map(await svc.AssignPartnerAsync(id, body?.Establishment, Actors.From(http.User), ct).ConfigureAwait(false), http, View))
            .WithName("SetInboundPartnerEstablishment")
            .WithDescription("Binds a stored inbound partner to the establishment its data is received for (FINESS of Gateway:Establishments; null = the default one). " +
                "A partner declared in configuration (Inbound:Partners) is refused with 409 establishment.partner-configured: set it there.")
            .Produces<EstablishmentAssignmentView>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        return app;
    }

    private static IResult View(EstablishmentAssignmentOutcome outcome) => Results.Ok(new EstablishmentAssignmentView(outcome.Id, outcome.Establishment));
}
