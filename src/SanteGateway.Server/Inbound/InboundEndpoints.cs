using Microsoft.Extensions.Options;
using SanteGateway.Application;
using SanteGateway.Server.Identities;
using SanteGateway.Server.Security;

namespace SanteGateway.Server.Inbound;

/// <summary>
/// <c>/api/inbound</c>: health data received from other identification domains (HL7 v2, FHIR, CDA with <c>X-Partner</c>), the
/// decision of each item, the identity-vigilance review queue and the partners' trust settings. Thin adapters over
/// <see cref="InboundService"/>.
/// </summary>
internal static class InboundEndpoints
{
    /// <summary>The header naming the sending identification domain.</summary>
    public const string PartnerHeader = "X-Partner";

    public static IServiceCollection AddInboundGateway(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddInboundGate();
        services.Configure<InboundOptions>(configuration.GetSection("Inbound"));
        services.AddSingleton<IInboundExtractor, InboundExtractor>();
        services.AddOptions<PartnerTlsOptions>().Bind(configuration.GetSection(PartnerTlsOptions.Section));
        services.AddSingleton<PartnerCertificates>();
        services.AddHostedService<InboundRecoveryService>();
        services.AddSingleton<InboundDeliveryWorker>();
        services.AddHostedService(sp => sp.GetRequiredService<InboundDeliveryWorker>());
        return services;
    }

    public static void MapInboundEndpoints(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/api/inbound").WithTags("Inbound");

        g.MapPost("/", async (HttpContext http, InboundService svc, PartnerCertificates certificates, IOptions<InboundOptions> options, CancellationToken ct) =>
        {
            // Who sends is settled before a byte is stored: X-Partner, checked against the client certificate under mutual TLS.
            var partner = certificates.Resolve(http);
            if (partner.Error is { } refused)
            {
                return Http.Problem(refused);
            }

            var max = options.Value.MaxBytes;
            var body = await BoundedBody.ReadAsync(http, max, ct).ConfigureAwait(false)
                ?? throw GatewayProblem.Field(StatusCodes.Status413PayloadTooLarge, BoundedBody.Field, BoundedBody.TooLargeRule, BoundedBody.TooLargeMessage(max));
            var result = await svc.ReceiveAsync(partner.Partner, http.Request.ContentType, body, "api", Actors.From(http.User), ct).ConfigureAwait(false);
            return Http.Map(result, http, v => Results.Accepted($"/api/inbound/{v.Id}", v));
        })
            .RequireAuthorization(GatewayRoles.WritePolicy).WithName("ReceiveInbound")
            .WithDescription("X-Partner names the sending identification domain. Under mutual TLS (Inbound:Tls) the client certificate " +
                "identifies the partner: X-Partner may then be omitted, and naming another partner is refused (403, rule inbound.partner-not-certificate).")
            .Accepts<string>("x-application/hl7-v2+er7", "application/fhir+json", "application/fhir+xml", "application/hl7-cda+xml")
            .Produces<InboundAccepted>(StatusCodes.Status202Accepted).ProducesValidationProblem().ProducesProblem(403)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge).ProducesProblem(StatusCodes.Status415UnsupportedMediaType);

        g.MapGet("/{id:guid}", async (Guid id, InboundService svc, HttpContext http, CancellationToken ct) =>
            Http.Map(await svc.GetAsync(id, ct).ConfigureAwait(false), http, Results.Ok, v => v.Version))
            .RequireAuthorization(GatewayRoles.ReadPolicy).WithName("GetInbound").Produces<InboundItemView>().ProducesProblem(404);

        g.MapGet("/{id:guid}/raw", async (Guid id, InboundService svc, HttpContext http, CancellationToken ct) =>
            Http.Map(await svc.GetRawAsync(id, ct).ConfigureAwait(false), http, v => Results.Bytes(v.Raw, string.IsNullOrEmpty(v.ContentType) ? "application/octet-stream" : v.ContentType)))
            .RequireAuthorization(GatewayRoles.ReadPolicy).WithName("GetInboundRaw")
            .WithDescription("The bytes exactly as received, with the content type they came with.")
            .Produces(StatusCodes.Status200OK, null, "x-application/hl7-v2+er7", "application/fhir+json", "application/fhir+xml", "application/hl7-cda+xml", "application/octet-stream")
            .ProducesProblem(404);

        g.MapGet("/", async (string? state, string? partner, string? decision, int? page, int? pageSize, InboundService svc, HttpContext http, CancellationToken ct) =>
            Http.Map(await svc.ListAsync(state, partner, decision, page, pageSize, ct).ConfigureAwait(false), http, Results.Ok))
            .RequireAuthorization(GatewayRoles.ReadPolicy).WithName("ListInbound")
            .WithDescription("Filters: state (received, decided, held, resolved), partner, decision (attach, create, hold, reject: the gate's " +
                "decision or, after review, the reviewer's), as the vigilance dashboard counts them. Held items oldest first, others newest first.")
            .Produces<Paged<InboundSummaryItem>>().ProducesValidationProblem();

        g.MapGet("/summary", async (InboundService svc, HttpContext http, CancellationToken ct) =>
            Http.Map(await svc.CountsAsync(ct).ConfigureAwait(false), http, Results.Ok))
            .RequireAuthorization(GatewayRoles.ReadPolicy).WithName("InboundSummary").Produces<IReadOnlyList<InboundPartnerCounts>>();

        g.MapPost("/{id:guid}/attach", async (Guid id, InboundReviewRequest body, InboundService svc, HttpContext http, CancellationToken ct) =>
            Http.Map(await svc.AttachAsync(id, body with { Version = body.Version ?? Http.IfMatch(http) }, Reviewer(http), ct).ConfigureAwait(false), http, Results.Ok, v => v.Version))
            .RequireAuthorization(GatewayRoles.InboundReviewPolicy).WithName("AttachInbound").Produces<InboundItemView>().ProducesProblem(409).ProducesValidationProblem();

        g.MapPost("/{id:guid}/create", async (Guid id, InboundReviewRequest body, InboundService svc, HttpContext http, CancellationToken ct) =>
            Http.Map(await svc.CreateIdentityAsync(id, body with { Version = body.Version ?? Http.IfMatch(http) }, Reviewer(http), ct).ConfigureAwait(false), http, Results.Ok, v => v.Version))
            .RequireAuthorization(GatewayRoles.InboundReviewPolicy).WithName("CreateFromInbound").Produces<InboundItemView>().ProducesProblem(409).ProducesValidationProblem();

        g.MapPost("/{id:guid}/reject", async (Guid id, InboundReviewRequest body, InboundService svc, HttpContext http, CancellationToken ct) =>
            Http.Map(await svc.RejectAsync(id, body with { Version = body.Version ?? Http.IfMatch(http) }, Reviewer(http), ct).ConfigureAwait(false), http, Results.Ok, v => v.Version))
            .RequireAuthorization(GatewayRoles.InboundReviewPolicy).WithName("RejectInbound").Produces<InboundItemView>().ProducesProblem(409).ProducesValidationProblem();

        g.MapGet("/partners", async (InboundService svc, HttpContext http, CancellationToken ct) =>
            Http.Map(await svc.PartnersAsync(ct).ConfigureAwait(false), http, Results.Ok))
            .RequireAuthorization(GatewayRoles.ReadPolicy).WithName("ListInboundPartners").Produces<IReadOnlyList<InboundPartnerSettings>>();

        // Trust in a domain's INS is an identity-vigilance decision (RNIV), not an administrator's.
        g.MapPut("/partners/{partnerId}", async (string partnerId, InboundPartnerRequest body, InboundService svc, HttpContext http, CancellationToken ct) =>
            Http.Map(await svc.PutPartnerAsync(partnerId, body, Actors.From(http.User), ct).ConfigureAwait(false), http, Results.Ok))
            .RequireAuthorization(GatewayRoles.VigilancePolicy).WithName("PutInboundPartner").Produces<InboundPartnerSettings>().ProducesValidationProblem();
    }

    /// <summary>The review endpoints admit identity vigilance and inbound reviewers (policy); for the review decision both act
    /// as identity vigilance, which the application layer requires.</summary>
    private static Actor Reviewer(HttpContext http) => Actors.From(http.User) with { IsVigilance = true };
}

/// <summary>Decides the items stored but not decided (crash between storage and decision, failed decision), at start and every 30 s.</summary>
internal sealed partial class InboundRecoveryService(IServiceScopeFactory scopes, ILogger<InboundRecoveryService> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(30));
        var minAge = TimeSpan.Zero; // at start nothing is in flight: decide everything left over
        do
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var n = await scope.ServiceProvider.GetRequiredService<InboundService>().DecidePendingAsync(200, minAge, stoppingToken).ConfigureAwait(false);
                if (n > 0)
                {
                    LogRecovered(log, n);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogFailed(log, ex.GetType().Name);
            }

            minAge = TimeSpan.FromMinutes(1);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Inbound recovery: {Count} stored items decided")]
    private static partial void LogRecovered(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Inbound recovery failed: {Error}")]
    private static partial void LogFailed(ILogger logger, string error);
}
