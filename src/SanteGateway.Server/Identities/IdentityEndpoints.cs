using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using SanteGateway.Application;
using SanteGateway.Server.Security;

namespace SanteGateway.Server.Identities;

/// <summary>The identity an alert belonged to, once the alert is resolved.</summary>
internal sealed record ResolvedAlertView(Guid IdentityId);

/// <summary>The identity and vigilance REST API: thin adapters from HTTP to the application layer's use cases.</summary>
internal static class IdentityEndpoints
{
    public static void MapIdentityEndpoints(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/api/identities").WithTags("Identities");

        g.MapPost("/", async (CreateIdentityRequest body, IdentityService svc, HttpContext http, CancellationToken ct) =>
            Http.Map(await svc.CreateAsync(body, Actors.From(http.User), ct).ConfigureAwait(false), http, v => Results.Created($"/api/identities/{v.Id}", v), v => v.Version))
            .RequireAuthorization(GatewayRoles.WritePolicy).WithName("CreateIdentity")
            .Produces<IdentityView>(StatusCodes.Status201Created).ProducesValidationProblem().ProducesProblem(409).ProducesProblem(403);

        g.MapGet("/{id:guid}", async (Guid id, IdentityService svc, HttpContext http, CancellationToken ct) =>
            Http.Map(await svc.GetAsync(id, ct).ConfigureAwait(false), http, Results.Ok, v => v.Version))
            .RequireAuthorization(GatewayRoles.ReadPolicy).WithName("GetIdentity").Produces<IdentityView>().ProducesProblem(404);

        g.MapGet("/", async (string? birthName, string? birthDate, string? firstName, string? sex, string? ins, string? namePrefix, int? page, int? pageSize, IdentityService svc, HttpContext http, CancellationToken ct) =>
            Http.Map(await svc.SearchAsync(birthName, birthDate, firstName, sex, page, pageSize, ct, ins, namePrefix).ConfigureAwait(false), http, Results.Ok))
            .RequireAuthorization(GatewayRoles.ReadPolicy).WithName("SearchIdentities").Produces<Paged<IdentitySummary>>().ProducesValidationProblem()
            .WithDescription("By INS (`ins`), by birth name (with birth date, first name, sex), or by the start of the birth or used name (`namePrefix`, at least the configured minimum length). " +
                "`total` is exact for name searches; past 1,000 other totals stop and `totalCapped` is true. Paging deeper than 10,000 rows is refused (`search.too-deep`).");

        g.MapPatch("/{id:guid}", async (Guid id, PatchIdentityRequest body, IdentityService svc, HttpContext http, CancellationToken ct) =>
            Http.Map(await svc.PatchAsync(id, body, Http.IfMatch(http), Actors.From(http.User), ct).ConfigureAwait(false), http, Results.Ok, v => v.Version))
            .RequireAuthorization(GatewayRoles.WritePolicy).WithName("PatchIdentity").Produces<IdentityView>().ProducesValidationProblem().ProducesProblem(404).ProducesProblem(409).ProducesProblem(403).ProducesProblem(428);

        g.MapPost("/{id:guid}/evidence", async (Guid id, EvidenceInput body, IdentityService svc, HttpContext http, CancellationToken ct) =>
            Http.Map(await svc.AddEvidenceAsync(id, body, Http.IfMatch(http), Actors.From(http.User), ct).ConfigureAwait(false), http, Results.Ok, v => v.Version))
            .RequireAuthorization(GatewayRoles.WritePolicy).WithName("AddEvidence").Produces<IdentityView>().ProducesValidationProblem().ProducesProblem(404).ProducesProblem(409);

        g.MapPost("/{id:guid}/attributes", async (Guid id, AttributesRequest body, IdentityService svc, HttpContext http, CancellationToken ct) =>
            Http.Map(await svc.SetAttributesAsync(id, body, Http.IfMatch(http), Actors.From(http.User), ct).ConfigureAwait(false), http, Results.Ok, v => v.Version))
            .RequireAuthorization(GatewayRoles.VigilancePolicy).WithName("SetAttributes").Produces<IdentityView>().ProducesValidationProblem().ProducesProblem(404).ProducesProblem(409);

        g.MapPost("/{id:guid}/revert-qualification", async (Guid id, RevertRequest body, IdentityService svc, HttpContext http, CancellationToken ct) =>
            Http.Map(await svc.RevertQualificationAsync(id, body, Http.IfMatch(http), Actors.From(http.User), ct).ConfigureAwait(false), http, Results.Ok, v => v.Version))
            .RequireAuthorization(GatewayRoles.VigilancePolicy).WithName("RevertQualification").Produces<IdentityView>().ProducesValidationProblem().ProducesProblem(404).ProducesProblem(409);

        g.MapPost("/{id:guid}/insi-search", async (Guid id, HttpContext http, IdentityService svc, CancellationToken ct) =>
            Http.Map(await svc.InsiSearchAsync(id, await Http.OptionalBodyAsync<InsiCallRequest>(http, ct).ConfigureAwait(false), Actors.From(http.User), ct).ConfigureAwait(false), http, Results.Ok))
            .RequireAuthorization(GatewayRoles.WritePolicy).WithName("InsiSearch").Accepts<InsiCallRequest>("application/json").Produces<InsiActionResult>().ProducesValidationProblem().ProducesProblem(404).ProducesProblem(409).ProducesProblem(422).ProducesProblem(502);

        g.MapPost("/{id:guid}/insi-verify", async (Guid id, HttpContext http, IdentityService svc, CancellationToken ct) =>
            Http.Map(await svc.InsiVerifyAsync(id, await Http.OptionalBodyAsync<InsiCallRequest>(http, ct).ConfigureAwait(false), Actors.From(http.User), ct).ConfigureAwait(false), http, Results.Ok))
            .RequireAuthorization(GatewayRoles.WritePolicy).WithName("InsiVerify").Accepts<InsiCallRequest>("application/json").Produces<InsiActionResult>().ProducesValidationProblem().ProducesProblem(404).ProducesProblem(409).ProducesProblem(422).ProducesProblem(502);

        g.MapPost("/{id:guid}/insi-search-vitale", async (Guid id, InsiVitaleRequest body, IdentityService svc, HttpContext http, CancellationToken ct) =>
            Http.Map(await svc.InsiSearchVitaleAsync(id, body, Actors.From(http.User), ct).ConfigureAwait(false), http, Results.Ok))
            .RequireAuthorization(GatewayRoles.WritePolicy).WithName("InsiSearchVitale")
            .WithSummary("Search the identity's INS with the data read from a Vitale card and apply the answer")
            .WithDescription("A user-triggered call (INSI-MANU certificate). The answer is applied as `insi-search` applies it: INSi's traits must match the stored ones, " +
                "an INS another identity holds raises a collision. The card is never identity evidence: a PROV identity becomes RECUP, never QUAL, whatever the card says.")
            .Produces<InsiActionResult>().ProducesValidationProblem().ProducesProblem(403).ProducesProblem(404).ProducesProblem(409).ProducesProblem(422).ProducesProblem(502);

        g.MapPost("/insi-search-vitale", async (InsiVitaleRequest body, IdentityService svc, HttpContext http, CancellationToken ct) =>
            Http.Map(await svc.CreateFromVitaleAsync(body, Actors.From(http.User), ct).ConfigureAwait(false), http, Results.Ok))
            .RequireAuthorization(GatewayRoles.WritePolicy).WithName("InsiSearchVitaleNew")
            .WithSummary("Search INSi with the data read from a Vitale card and create the identity it finds (RECUP)")
            .WithDescription("A user-triggered call (INSI-MANU certificate), for a person not picked from the store. One person found whose INS no identity holds and whose " +
                "strict traits no identity has: the identity is created from INSi's traits with the status RECUP (`created: true`; the card is not a high-trust document). " +
                "An identity already holding the INS is returned unchanged (`knownIdentityId`); identities with the same traits but not the INS are listed in `duplicates` and nothing is created.")
            .Produces<InsiVitaleResult>().ProducesValidationProblem().ProducesProblem(403).ProducesProblem(422).ProducesProblem(502);

        g.MapPost("/{id:guid}/merge", async (Guid id, MergeRequest body, IdentityService svc, HttpContext http, CancellationToken ct) =>
            Http.Map(await svc.MergeAsync(id, body, Actors.From(http.User), ct).ConfigureAwait(false), http, Results.Ok, v => v.Version))
            .RequireAuthorization(GatewayRoles.VigilancePolicy).WithName("MergeIdentities").Produces<IdentityView>().ProducesValidationProblem().ProducesProblem(404).ProducesProblem(409);

        g.MapGet("/{id:guid}/potential-duplicates", async (Guid id, IdentityService svc, HttpContext http, CancellationToken ct) =>
            Http.Map(await svc.PotentialDuplicatesAsync(id, ct).ConfigureAwait(false), http, Results.Ok))
            .RequireAuthorization(GatewayRoles.ReadPolicy).WithName("PotentialDuplicates").Produces<IReadOnlyList<PotentialDuplicateView>>().ProducesProblem(404);

        g.MapGet("/{id:guid}/datamatrix.png", async (Guid id, IdentityService svc, HttpContext http, CancellationToken ct) =>
            Http.Map(await svc.GetQualifiedAsync(id, ct).ConfigureAwait(false), http, d => DataMatrix(d, p => Results.File(SanteGateway.DataMatrix.InsDataMatrix.RenderPng(p), "image/png"))))
            .RequireAuthorization(GatewayRoles.ReadPolicy).WithName("IdentityDataMatrixPng").Produces(200, contentType: "image/png").ProducesProblem(404).ProducesProblem(409);

        g.MapGet("/{id:guid}/datamatrix.svg", async (Guid id, IdentityService svc, HttpContext http, CancellationToken ct) =>
            Http.Map(await svc.GetQualifiedAsync(id, ct).ConfigureAwait(false), http, d => DataMatrix(d, p => Results.Text(SanteGateway.DataMatrix.InsDataMatrix.RenderSvg(p), "image/svg+xml"))))
            .RequireAuthorization(GatewayRoles.ReadPolicy).WithName("IdentityDataMatrixSvg").Produces(200, contentType: "image/svg+xml").ProducesProblem(404).ProducesProblem(409);

        g.MapGet("/{id:guid}/insi-exchanges", async (Guid id, int? page, int? pageSize, IdentityService svc, HttpContext http, CancellationToken ct) =>
            Http.Map(await svc.ExchangesAsync(id, page, pageSize, ct).ConfigureAwait(false), http, Results.Ok))
            .RequireAuthorization(GatewayRoles.ReadPolicy).WithName("IdentityInsiExchanges").Produces<Paged<InsiExchangeView>>().ProducesValidationProblem().ProducesProblem(404);

        g.MapGet("/{id:guid}/audit", async (Guid id, int? page, int? pageSize, IdentityService svc, HttpContext http, CancellationToken ct) =>
            Http.Map(await svc.AuditAsync(id, page, pageSize, ct).ConfigureAwait(false), http, Results.Ok))
            .RequireAuthorization(GatewayRoles.ReadPolicy).WithName("IdentityAudit").Produces<Paged<AuditView>>().ProducesValidationProblem().ProducesProblem(404);

        var v = app.MapGroup("/api/vigilance").WithTags("Vigilance");
        v.MapGet("/summary", async (VigilanceService svc, HttpContext http, CancellationToken ct) =>
            Http.Map(await svc.SummaryAsync(ct).ConfigureAwait(false), http, Results.Ok))
            .RequireAuthorization(GatewayRoles.ReadPolicy).WithName("VigilanceSummary").Produces<VigilanceSummary>();
        v.MapGet("/worklist", async (string? kind, int? page, int? pageSize, VigilanceService svc, HttpContext http, CancellationToken ct) =>
            Http.Map(await svc.WorklistAsync(kind, page, pageSize, ct).ConfigureAwait(false), http, Results.Ok))
            .RequireAuthorization(GatewayRoles.ReadPolicy).WithName("VigilanceWorklist").Produces<Paged<WorklistItem>>().ProducesValidationProblem();
        v.MapPost("/alerts/{alertId:guid}/resolve", async (Guid alertId, ResolveAlertRequest body, VigilanceService svc, HttpContext http, CancellationToken ct) =>
            Http.Map(await svc.ResolveAlertAsync(alertId, body, Actors.From(http.User), ct).ConfigureAwait(false), http, id => Results.Ok(new ResolvedAlertView(id))))
            .RequireAuthorization(GatewayRoles.VigilancePolicy).WithName("ResolveAlert").Produces<ResolvedAlertView>().ProducesValidationProblem().ProducesProblem(404).ProducesProblem(409);
    }

    private static IResult DataMatrix(SanteGateway.Identity.RnivIdentity domain, Func<SanteGateway.DataMatrix.InsDataMatrixPayload, IResult> render)
    {
        if (!SanteGateway.DataMatrix.InsDataMatrix.TryCreatePayload(domain, out var payload, out var errors))
        {
            return Http.Problem(AppError.Validation(errors.Select(e => e with { Field = char.ToLowerInvariant(e.Field[0]) + e.Field[1..] })));
        }

        return render(payload);
    }
}

/// <summary><c>Actor.From(user)</c> for the endpoints of the host.</summary>
internal static class ActorExtensions
{
    extension(Actor)
    {
        /// <summary>The actor behind an authenticated principal.</summary>
        public static Actor From(ClaimsPrincipal user) => Actors.From(user);
    }
}

/// <summary>Who is acting, from the authenticated principal.</summary>
internal static class Actors
{
    public static Actor From(ClaimsPrincipal user) => new(
        user.Identity?.Name ?? "anonymous",
        string.Equals(user.Identity?.AuthenticationType, ApiKeys.Scheme, StringComparison.Ordinal) ? "api" : "ui",
        user.IsInRole(GatewayRoles.IdentityVigilance))
    {
        Establishment = EstablishmentClaims.Of(user),
    };
}

/// <summary>Results of the application layer as HTTP answers: problem details naming the rule (RFC 7807).</summary>
internal static class Http
{
    public static IResult Map<T>(Result<T> result, HttpContext http, Func<T, IResult> ok, Func<T, long>? etag = null)
    {
        if (!result.IsSuccess)
        {
            return Problem(result.Error);
        }

        if (etag is not null)
        {
            http.Response.Headers.ETag = $"\"{etag(result.Value).ToString(CultureInfo.InvariantCulture)}\"";
        }

        return ok(result.Value);
    }

    public static int Status(ErrorKind kind) => kind switch
    {
        ErrorKind.Invalid => StatusCodes.Status400BadRequest,
        ErrorKind.NotFound => StatusCodes.Status404NotFound,
        ErrorKind.Conflict => StatusCodes.Status409Conflict,
        ErrorKind.Forbidden => StatusCodes.Status403Forbidden,
        ErrorKind.PreconditionRequired => StatusCodes.Status428PreconditionRequired,
        ErrorKind.Unprocessable => StatusCodes.Status422UnprocessableEntity,
        _ => StatusCodes.Status502BadGateway,
    };

    public static IResult Problem(AppError error)
    {
        var problem = Details(Status(error.Kind), error.Rule, error.Message, error.Fields?.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal));
        foreach (var (key, value) in error.Data ?? new Dictionary<string, object?>())
        {
            problem.Extensions[key] = value;
        }

        return Results.Problem(problem);
    }

    /// <summary>The one shape of the gateway's problems: <c>type</c> and <c>rule</c> name the rule, field errors when given.</summary>
    public static ProblemDetails Details(int status, string rule, string title, IDictionary<string, string[]>? fields = null)
    {
        var problem = fields is null
            ? new ProblemDetails { Status = status, Title = title }
            : new HttpValidationProblemDetails(fields) { Status = status, Title = title };
        problem.Type = $"https://santegw.local/problems/{rule}";
        problem.Extensions["rule"] = rule;
        return problem;
    }

    public static long? IfMatch(HttpContext http)
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

    /// <summary>A JSON body that may be absent (POST without body keeps working for the actions that take options).</summary>
    public static async Task<T?> OptionalBodyAsync<T>(HttpContext http, CancellationToken ct)
        where T : class
    {
        if (http.Request.ContentLength is 0 || !http.Request.HasJsonContentType())
        {
            return null;
        }

        try
        {
            return await http.Request.ReadFromJsonAsync<T>(ct).ConfigureAwait(false);
        }
        catch (System.Text.Json.JsonException ex)
        {
            throw new BadHttpRequestException("The request body is not valid JSON.", ex);
        }
    }
}

/// <summary>
/// Turns the gateway's own refusals (<see cref="GatewayProblem"/>), unreadable bodies and unreadable stored rows into
/// problem details; anything else goes on to <c>GatewayExceptionHandler</c> (a bare 500 with a correlation id).
/// </summary>
internal sealed partial class GatewayProblemHandler(ILogger<GatewayProblemHandler> log) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        ProblemDetails problem;
        switch (exception)
        {
            case GatewayProblem p:
                problem = Http.Details(p.Status, p.Rule, p.Message, p.Errors);
                break;
            case BadHttpRequestException b:
                problem = Http.Details(b.StatusCode, "body", "The request body could not be read.");
                break;
            case StoredIdentityException s:
                LogStoredRow(log, s.IdentityId, string.Join(",", s.Fields));
                problem = Http.Details(500, "store.unreadable-row", $"Stored identity {s.IdentityId} cannot be read ({string.Join(", ", s.Fields)}); an administrator must repair it.");
                break;
            default:
                return false;
        }

        problem.Extensions["correlationId"] = SecurityHeaders.CorrelationId(httpContext);
        httpContext.Response.StatusCode = problem.Status ?? 500;
        await Results.Problem(problem).ExecuteAsync(httpContext).ConfigureAwait(false);
        return true;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Stored identity {IdentityId} cannot be read: {Fields}")]
    private static partial void LogStoredRow(ILogger logger, Guid identityId, string fields);

}
