using System.Globalization;
using System.Text;
using Microsoft.Extensions.Options;
using SanteGateway.Application;
using SanteGateway.Application.Batch;
using SanteGateway.Server.Identities;
using SanteGateway.Server.Security;

namespace SanteGateway.Server.Batch;

/// <summary>The batch jobs API (identity vigilance or administrators).</summary>
internal static class BatchEndpoints
{
    /// <summary>Registers the batch services, options (<c>Batch</c> configuration section), worker and metrics.</summary>
    public static IServiceCollection AddGatewayBatch(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSanteGatewayBatch();
        services.Configure<BatchOptions>(configuration.GetSection("Batch"));
        services.AddOptions<BatchWorkerOptions>().Bind(configuration.GetSection("Batch"));
        services.AddHostedService<BatchWorker>();
        services.AddOpenTelemetry().WithMetrics(m => m.AddMeter(BatchMetrics.MeterName));
        return services;
    }

    public static void MapBatchEndpoints(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/api/jobs").WithTags("Batch jobs").RequireAuthorization(p => p.RequireRole(GatewayRoles.IdentityVigilance, GatewayRoles.Admin));

        // JSON body {kind, filter, ratePerSecond, concurrency, establishment}, or a CSV body (text/csv) with kind, rate, concurrency, name and establishment in the query.
        g.MapPost("/", async (HttpContext http, BatchService svc, IOptions<BatchOptions> opt, CancellationToken ct) =>
        {
            CreateBatchJobRequest? req;
            if (http.Request.ContentType?.StartsWith("text/csv", StringComparison.OrdinalIgnoreCase) == true)
            {
                using var ms = new MemoryStream();
                await http.Request.Body.CopyToAsync(ms, ct).ConfigureAwait(false);
                if (ms.Length > opt.Value.MaxCsvBytes)
                {
                    return Http.Problem(AppError.Field(ErrorKind.Invalid, "csv", "csv.size", $"The file exceeds {opt.Value.MaxCsvBytes} bytes."));
                }

                var q = http.Request.Query;
                double? rate = double.TryParse(q["rate"], NumberStyles.Float, CultureInfo.InvariantCulture, out var r) ? r : null;
                int? conc = int.TryParse(q["concurrency"], CultureInfo.InvariantCulture, out var c) ? c : null;
                req = new CreateBatchJobRequest(q["kind"].ToString(), null, ms.ToArray(), q["name"].ToString(), rate, conc)
                {
                    Establishment = string.IsNullOrEmpty(q["establishment"]) ? null : q["establishment"].ToString(),
                };
            }
            else
            {
                req = await http.Request.ReadFromJsonAsync<CreateBatchJobRequest>(ct).ConfigureAwait(false);
                if (req is null)
                {
                    return Http.Problem(AppError.Field(ErrorKind.Invalid, "body", "batch.body", "A JSON body or a text/csv body is required."));
                }
            }

            var actor = Actors.From(http.User);
            return Http.Map(await svc.CreateAsync(req, actor, ct).ConfigureAwait(false), http, v => Results.Created($"/api/jobs/{v.Id}", v));
        }).WithName("CreateBatchJob").Accepts<CreateBatchJobRequest>("application/json", "text/csv").Produces<BatchJobView>(StatusCodes.Status201Created).ProducesValidationProblem();

        g.MapGet("/", async (BatchService svc, CancellationToken ct) => Results.Ok(await svc.ListAsync(ct).ConfigureAwait(false)))
            .WithName("ListBatchJobs").Produces<IReadOnlyList<BatchJobView>>();

        g.MapGet("/{id:guid}", async (Guid id, BatchService svc, HttpContext http, CancellationToken ct) =>
            Http.Map(await svc.GetAsync(id, ct).ConfigureAwait(false), http, Results.Ok)).WithName("GetBatchJob").Produces<BatchJobView>().ProducesProblem(404);

        g.MapGet("/{id:guid}/report.csv", async (Guid id, BatchService svc, HttpContext http, CancellationToken ct) =>
        {
            var found = await svc.GetAsync(id, ct).ConfigureAwait(false);
            if (!found.IsSuccess)
            {
                return Http.Problem(found.Error);
            }

            http.Response.ContentType = "text/csv; charset=utf-8";
            http.Response.Headers.ContentDisposition = $"attachment; filename=\"job-{id:N}.csv\"";
            await using var w = new StreamWriter(http.Response.Body, new UTF8Encoding(false), 64 * 1024, leaveOpen: true);
            await svc.WriteReportAsync(id, w, ct).ConfigureAwait(false);
            return Results.Empty;
        }).WithName("BatchJobReport").Produces(200, contentType: "text/csv").ProducesProblem(404);

        g.MapPost("/{id:guid}/pause", async (Guid id, BatchService svc, HttpContext http, CancellationToken ct) =>
            Http.Map(await svc.PauseAsync(id, ct).ConfigureAwait(false), http, Results.Ok)).WithName("PauseBatchJob").Produces<BatchJobView>().ProducesProblem(404).ProducesProblem(409);
        g.MapPost("/{id:guid}/resume", async (Guid id, BatchService svc, HttpContext http, CancellationToken ct) =>
            Http.Map(await svc.ResumeAsync(id, ct).ConfigureAwait(false), http, Results.Ok)).WithName("ResumeBatchJob").Produces<BatchJobView>().ProducesProblem(404).ProducesProblem(409);
        g.MapPost("/{id:guid}/cancel", async (Guid id, BatchService svc, HttpContext http, CancellationToken ct) =>
            Http.Map(await svc.CancelAsync(id, ct).ConfigureAwait(false), http, Results.Ok)).WithName("CancelBatchJob").Produces<BatchJobView>().ProducesProblem(404).ProducesProblem(409);
    }
}
