using System.Globalization;
using Microsoft.AspNetCore.Mvc;
using SanteGateway.Server.Security;

namespace SanteGateway.Server.Identities;

/// <summary>The <c>/api/identities</c> routes.</summary>
internal static class IdentityEndpoints
{
    public static void MapIdentityEndpoints(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/api/identities").WithTags("Identities");

        g.MapPost("/", async (CreateIdentityRequest body, IdentityService svc, HttpContext http, CancellationToken ct) =>
        {
            var view = await svc.CreateAsync(body, Actor.From(http.User), ct).ConfigureAwait(false);
            SetEtag(http, view.Version);
            return Results.Created($"/api/identities/{view.Id}", view);
        }).RequireAuthorization(GatewayRoles.WritePolicy).WithName("CreateIdentity")
          .Produces<IdentityView>(StatusCodes.Status201Created).ProducesValidationProblem();

        g.MapGet("/{id:guid}", async (Guid id, IdentityService svc, HttpContext http, CancellationToken ct) =>
        {
            var view = await svc.GetAsync(id, ct).ConfigureAwait(false);
            SetEtag(http, view.Version);
            return Results.Ok(view);
        }).RequireAuthorization(GatewayRoles.ReadPolicy).WithName("GetIdentity").Produces<IdentityView>().ProducesProblem(404);

        g.MapGet("/", async (string? birthName, string? birthDate, string? firstName, string? sex, int? page, int? pageSize, IdentityService svc, CancellationToken ct) =>
            Results.Ok(await svc.SearchAsync(birthName, birthDate, firstName, sex, page, pageSize, ct).ConfigureAwait(false)))
            .RequireAuthorization(GatewayRoles.ReadPolicy).WithName("SearchIdentities").Produces<Paged<IdentitySummary>>();

        g.MapPatch("/{id:guid}", async (Guid id, PatchIdentityRequest body, IdentityService svc, HttpContext http, CancellationToken ct) =>
        {
            var view = await svc.PatchAsync(id, body, IfMatch(http), Actor.From(http.User), ct).ConfigureAwait(false);
            SetEtag(http, view.Version);
            return Results.Ok(view);
        }).RequireAuthorization(GatewayRoles.WritePolicy).WithName("PatchIdentity").Produces<IdentityView>().ProducesProblem(409).ProducesProblem(403);

        g.MapPost("/{id:guid}/evidence", async (Guid id, EvidenceInput body, IdentityService svc, HttpContext http, CancellationToken ct) =>
        {
            var view = await svc.AddEvidenceAsync(id, body, IfMatch(http), Actor.From(http.User), ct).ConfigureAwait(false);
            SetEtag(http, view.Version);
            return Results.Ok(view);
        }).RequireAuthorization(GatewayRoles.WritePolicy).WithName("AddEvidence").Produces<IdentityView>();

        g.MapPost("/{id:guid}/attributes", async (Guid id, AttributesRequest body, IdentityService svc, HttpContext http, CancellationToken ct) =>
        {
            var view = await svc.SetAttributesAsync(id, body, IfMatch(http), Actor.From(http.User), ct).ConfigureAwait(false);
            SetEtag(http, view.Version);
            return Results.Ok(view);
        }).RequireAuthorization(GatewayRoles.VigilancePolicy).WithName("SetAttributes").Produces<IdentityView>();

        g.MapPost("/{id:guid}/revert-qualification", async (Guid id, RevertRequest body, IdentityService svc, HttpContext http, CancellationToken ct) =>
        {
            var view = await svc.RevertQualificationAsync(id, body, IfMatch(http), Actor.From(http.User), ct).ConfigureAwait(false);
            SetEtag(http, view.Version);
            return Results.Ok(view);
        }).RequireAuthorization(GatewayRoles.VigilancePolicy).WithName("RevertQualification").Produces<IdentityView>();

        g.MapPost("/{id:guid}/insi-search", async (Guid id, IdentityService svc, HttpContext http, CancellationToken ct) =>
            Results.Ok(await svc.InsiSearchAsync(id, Actor.From(http.User), ct).ConfigureAwait(false)))
            .RequireAuthorization(GatewayRoles.WritePolicy).WithName("InsiSearch").Produces<InsiActionResult>().ProducesProblem(502);

        g.MapPost("/{id:guid}/insi-verify", async (Guid id, IdentityService svc, HttpContext http, CancellationToken ct) =>
            Results.Ok(await svc.InsiVerifyAsync(id, Actor.From(http.User), ct).ConfigureAwait(false)))
            .RequireAuthorization(GatewayRoles.WritePolicy).WithName("InsiVerify").Produces<InsiActionResult>().ProducesProblem(502);

        g.MapGet("/{id:guid}/datamatrix.png", async (Guid id, IdentityService svc, CancellationToken ct) =>
            Results.File(SanteGateway.DataMatrix.InsDataMatrix.RenderPng(await svc.DataMatrixPayloadAsync(id, ct).ConfigureAwait(false)), "image/png"))
            .RequireAuthorization(GatewayRoles.ReadPolicy).WithName("IdentityDataMatrixPng").ProducesProblem(409);

        g.MapGet("/{id:guid}/datamatrix.svg", async (Guid id, IdentityService svc, CancellationToken ct) =>
            Results.Text(SanteGateway.DataMatrix.InsDataMatrix.RenderSvg(await svc.DataMatrixPayloadAsync(id, ct).ConfigureAwait(false)), "image/svg+xml"))
            .RequireAuthorization(GatewayRoles.ReadPolicy).WithName("IdentityDataMatrixSvg").ProducesProblem(409);

        g.MapGet("/{id:guid}/insi-exchanges", async (Guid id, int? page, int? pageSize, IdentityService svc, CancellationToken ct) =>
            Results.Ok(await svc.ExchangesAsync(id, page, pageSize, ct).ConfigureAwait(false)))
            .RequireAuthorization(GatewayRoles.ReadPolicy).WithName("IdentityInsiExchanges").Produces<Paged<InsiExchangeView>>();

        g.MapGet("/{id:guid}/audit", async (Guid id, int? page, int? pageSize, IdentityService svc, CancellationToken ct) =>
            Results.Ok(await svc.AuditAsync(id, page, pageSize, ct).ConfigureAwait(false)))
            .RequireAuthorization(GatewayRoles.ReadPolicy).WithName("IdentityAudit").Produces<Paged<AuditView>>();
    }

    private static void SetEtag(HttpContext http, long version) =>
        http.Response.Headers.ETag = $"\"{version.ToString(CultureInfo.InvariantCulture)}\"";

    /// <summary>Reads <c>If-Match: "N"</c> (weak or strong); a malformed header is a 400 naming the header.</summary>
    private static long? IfMatch(HttpContext http)
    {
        var raw = http.Request.Headers.IfMatch.ToString();
        if (string.IsNullOrWhiteSpace(raw))
        {
            return null;
        }

        var v = raw.Trim();
        if (v.StartsWith("W/", StringComparison.Ordinal))
        {
            v = v[2..];
        }

        v = v.Trim('"');
        return long.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw GatewayProblem.Field(400, "If-Match", "format", "Expected If-Match: \"<version>\" as returned in ETag.");
    }
}

/// <summary>Writes <see cref="GatewayProblem"/> as RFC 7807 problem details.</summary>
internal static class ProblemMiddleware
{
    public static IApplicationBuilder UseGatewayProblems(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            try
            {
                await next(context).ConfigureAwait(false);
            }
            catch (GatewayProblem p) when (!context.Response.HasStarted)
            {
                context.Response.Clear();
                var problem = p.Errors is null
                    ? new ProblemDetails { Status = p.Status, Title = p.Message }
                    : new HttpValidationProblemDetails(p.Errors) { Status = p.Status, Title = p.Message };
                problem.Type = $"https://santegw.local/problems/{p.Rule}";
                problem.Extensions["rule"] = p.Rule;
                await Results.Problem(problem).ExecuteAsync(context).ConfigureAwait(false);
            }
            catch (BadHttpRequestException b) when (!context.Response.HasStarted)
            {
                context.Response.Clear();
                var problem = new ProblemDetails { Status = b.StatusCode, Title = "The request body could not be read.", Type = "https://santegw.local/problems/body" };
                problem.Extensions["rule"] = "body";
                await Results.Problem(problem).ExecuteAsync(context).ConfigureAwait(false);
            }
        });
}
