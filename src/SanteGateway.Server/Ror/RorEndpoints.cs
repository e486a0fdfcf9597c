using System.Security.Claims;
using SanteGateway.Server.Identities;
using SanteGateway.Server.Security;

namespace SanteGateway.Server.Ror;

/// <summary>A capacity figure as the API receives it (every field checked by the use case, with the field named).</summary>
/// <param name="EgIdentifier">IdNatStruct of the EG.</param>
/// <param name="ExternalId">External sync id of the Location.</param>
/// <param name="CapacityType">J187 code.</param>
/// <param name="CapacityStatus">J188 code.</param>
/// <param name="Temporality">J189 code (default <c>01</c>).</param>
/// <param name="TemporaryAssignment">J195 code (default <c>01</c>).</param>
/// <param name="Gender">J190 code, optional.</param>
/// <param name="Count">Beds or places.</param>
/// <param name="UpdatedAt">When measured (default now).</param>
public sealed record RorCapacityRequest(string? EgIdentifier, string? ExternalId, string? CapacityType, string? CapacityStatus, string? Temporality,
    string? TemporaryAssignment, string? Gender, int? Count, DateTimeOffset? UpdatedAt);

/// <summary>Answer of a capacity update the ROR accepted.</summary>
/// <param name="Outcome"><c>Replaced</c> or <c>Added</c>.</param>
public sealed record RorCapacityResponse(string Outcome);

/// <summary>Answer of a synchronisation request.</summary>
/// <param name="Mode">Mode started.</param>
/// <param name="Status">The state when it started.</param>
public sealed record RorSyncStarted(string Mode, RorSyncStatusView Status);

/// <summary>
/// The ROR API: search of the synchronised offer (<c>GET /api/ror/offers</c>, <c>/api/ror/offers/{id}</c>,
/// <c>/api/ror/organizations/{id}</c>), synchronisation state and trigger (<c>GET/POST /api/ror/sync</c>), and the capacity
/// feed (<c>POST /api/ror/capacity</c>).
/// </summary>
internal static class RorEndpoints
{
    public static void MapRorEndpoints(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/api/ror").WithTags("ROR");
        g.MapGet("/offers", async (string? name, string? activity, string? specialty, string? commune, int? page, int? pageSize, RorDirectory directory, CancellationToken ct) =>
        {
            var query = new RorOfferQuery { Name = name, Activity = activity, Specialty = specialty, Commune = commune, Page = page ?? 1, PageSize = pageSize ?? 20 };
            if (query.Validate() is { } error)
            {
                return Invalid(error, "ror.search");
            }

            return Results.Ok(await directory.SearchOffersAsync(query, ct).ConfigureAwait(false));
        }).RequireAuthorization(GatewayRoles.ReadPolicy).WithName("SearchRorOffers").WithSummary("Search the synchronised ROR offer (local: no call to the ROR).")
            .Produces<RorOfferPage>().ProducesValidationProblem();

        g.MapGet("/offers/{id}", async (string id, RorDirectory directory, CancellationToken ct) =>
                await directory.GetOfferAsync(id, ct).ConfigureAwait(false) is { } offer
                    ? Results.Ok(offer)
                    : Results.Problem(Http.Details(404, "ror.not-found", $"The mirror holds no offer {Short(id)}.")))
            .RequireAuthorization(GatewayRoles.ReadPolicy).WithName("GetRorOffer").WithSummary("An offer with its organisations, locations (capacities) and professionals.")
            .Produces<RorOfferDetail>().ProducesProblem(404);

        g.MapGet("/organizations/{id}", async (string id, RorDirectory directory, CancellationToken ct) =>
                await directory.GetOrganizationAsync(id, ct).ConfigureAwait(false) is { } org
                    ? Results.Ok(org)
                    : Results.Problem(Http.Details(404, "ror.not-found", $"The mirror holds no organisation {Short(id)}.")))
            .RequireAuthorization(GatewayRoles.ReadPolicy).WithName("GetRorOrganization").WithSummary("An organisation (EJ, EG, OI) with its parents, children and offers.")
            .Produces<RorOrganizationDetail>().ProducesProblem(404);

        g.MapGet("/sync", async (RorDirectory directory, CancellationToken ct) => Results.Ok(await directory.GetStatusAsync(ct).ConfigureAwait(false)))
            .RequireAuthorization(GatewayRoles.ReadPolicy).WithName("GetRorSyncStatus").WithSummary("State of the ROR synchronisation and what the mirror holds.")
            .Produces<RorSyncStatusView>();

        g.MapGet("/invalid", async (int? max, RorDirectory directory, CancellationToken ct) => Results.Ok(await directory.ListInvalidAsync(max ?? 100, ct).ConfigureAwait(false)))
            .RequireAuthorization(GatewayRoles.ReadPolicy).WithName("ListRorInvalidResources")
            .WithSummary("Mirrored resources flagged invalid against their ROR profile (kept and searchable), with their first errors; max 1-1000, default 100.")
            .Produces<IReadOnlyList<RorInvalidResource>>();

        g.MapPost("/sync", async (string? mode, RorSyncRunner runner, IRorPort port, RorDirectory directory, IHostApplicationLifetime lifetime, CancellationToken ct) =>
        {
            RorSyncMode parsed;
            switch ((mode ?? "auto").Trim().ToLowerInvariant())
            {
                case "auto": parsed = RorSyncMode.Auto; break;
                case "full": parsed = RorSyncMode.Full; break;
                case "delta": parsed = RorSyncMode.Delta; break;
                default: return Invalid("mode: auto, full or delta", "ror.sync.mode");
            }

            if (port is UnconfiguredRorPort)
            {
                return Results.Problem(Http.Details(503, "ror.unconfigured", "No ROR is configured (Ror:Mode none)."));
            }

            var status = await directory.GetStatusAsync(ct).ConfigureAwait(false);
            if (status.Running || !runner.TryStart(parsed, lifetime.ApplicationStopping))
            {
                return Results.Problem(Http.Details(409, "ror.sync.running", "A ROR synchronisation is already running" + (status.LeaseOwner is { } o ? " on " + o : "") + "."));
            }

            return Results.Accepted("/api/ror/sync", new RorSyncStarted(parsed.ToString().ToLowerInvariant(), status));
        }).RequireAuthorization(GatewayRoles.AdminPolicy).WithName("StartRorSync").WithSummary("Start a synchronisation (auto, full or delta) in the background; follow it with GET /api/ror/sync.")
            .Produces<RorSyncStarted>(StatusCodes.Status202Accepted).ProducesValidationProblem().ProducesProblem(409).ProducesProblem(503);

        g.MapPost("/capacity", async (RorCapacityRequest? body, ClaimsPrincipal user, RorCapacityService service, IRorPort port, TimeProvider time, CancellationToken ct) =>
        {
            if (body is null)
            {
                return Invalid("body: a JSON capacity figure is required", "ror.capacity");
            }

            if (body.Count is null)
            {
                return Invalid("count: required", "ror.capacity");
            }

            if (port is UnconfiguredRorPort)
            {
                return Results.Problem(Http.Details(503, "ror.unconfigured", "No ROR is configured (Ror:Mode none)."));
            }

            var change = new RorCapacityChange
            {
                EgIdentifier = body.EgIdentifier?.Trim() ?? "",
                ExternalId = body.ExternalId?.Trim() ?? "",
                CapacityType = body.CapacityType?.Trim() ?? "",
                CapacityStatus = body.CapacityStatus?.Trim() ?? "",
                Temporality = body.Temporality?.Trim() ?? "01",
                TemporaryAssignment = body.TemporaryAssignment?.Trim() ?? "01",
                Gender = string.IsNullOrWhiteSpace(body.Gender) ? null : body.Gender.Trim(),
                Count = body.Count.Value,
                UpdatedAt = body.UpdatedAt ?? time.GetUtcNow(),
            };
            RorCapacitySetResult result;
            try
            {
                result = await service.SetAsync(change, Actors.From(user), ct).ConfigureAwait(false);
            }
            catch (RorPortException ex)
            {
                var p = Http.Details(502, "ror.unavailable", "The ROR did not accept the call: " + ex.Message);
                p.Extensions["kind"] = ex.Kind.ToString();
                return Results.Problem(p);
            }

            if (result.Error is { } error)
            {
                return Invalid(error, "ror.capacity");
            }

            var outcome = result.Result!;
            if (outcome.Succeeded)
            {
                return Results.Ok(new RorCapacityResponse(outcome.Outcome.ToString()));
            }

            var (rule, title) = outcome.Outcome switch
            {
                RorCapacityChangeOutcome.LocationNotFound => ("ror.capacity.location-not-found", "No ROR Location has this EG and external id: the GRADeS must map the service."),
                RorCapacityChangeOutcome.MultipleMatches => ("ror.capacity.multiple-matches", "Several ROR Locations share this external id: alert the GRADeS and the establishment."),
                _ => ("ror.capacity.rejected", "The ROR refused the figure (business rule): alert the GRADeS and the establishment."),
            };
            var problem = Http.Details(422, rule, title);
            problem.Detail = outcome.Diagnostics;
            problem.Extensions["outcome"] = outcome.Outcome.ToString();
            problem.Extensions["alert"] = outcome.AlertRecipients;
            return Results.Problem(problem);
        }).RequireAuthorization(p => p.RequireRole(GatewayRoles.FrontDesk, GatewayRoles.IdentityVigilance, GatewayRoles.Admin))
            .WithName("SetRorCapacity").WithSummary("Feed one capacity figure to the ROR (replace, or add when missing); 422 names the alert to raise.")
            .Accepts<RorCapacityRequest>("application/json")
            .Produces<RorCapacityResponse>().ProducesValidationProblem().ProducesProblem(422).ProducesProblem(502).ProducesProblem(503);
    }

    private static IResult Invalid(string error, string rule)
    {
        var colon = error.IndexOf(':', StringComparison.Ordinal);
        var field = colon > 0 ? error[..colon] : "query";
        return Results.Problem(Http.Details(400, rule, error, new Dictionary<string, string[]>(StringComparer.Ordinal) { [field] = [error] }));
    }

    private static string Short(string id) => id.Length > 64 ? id[..64] + "…" : id;
}
