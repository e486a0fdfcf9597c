using SanteGateway.Application;
using SanteGateway.Server.Identities;
using SanteGateway.Server.Security;

namespace SanteGateway.Server.Documents;

/// <summary>
/// The document-sharing API: <c>POST /api/identities/{id}/documents</c> (a CDA R2 body; <c>?transport=xds|pdsm</c>,
/// <c>?replaces=UNIQUEID</c>), <c>GET /api/identities/{id}/documents</c> (history), <c>GET /api/documents/{submissionId}</c>
/// (status) and <c>POST /api/documents/{submissionId}/resend</c>.
/// </summary>
internal static class DocumentEndpoints
{
    private const long MaxBody = 64L * 1024 * 1024;

    public static void MapDocumentEndpoints(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/api").WithTags("Documents");
        g.MapPost("/identities/{id:guid}/documents", async (Guid id, HttpContext http, DocumentService svc, CancellationToken ct) =>
        {
            var type = http.Request.ContentType ?? string.Empty;
            if (!(type.Contains("xml", StringComparison.OrdinalIgnoreCase)))
            {
                return Http.Problem(AppError.Field(ErrorKind.Invalid, "body", "document.content-type", "Send the CDA R2 document as the body with Content-Type application/xml (or text/xml, application/hl7-cda+xml)."));
            }

            if (http.Request.ContentLength > MaxBody)
            {
                return Http.Problem(AppError.Field(ErrorKind.Invalid, "body", "document.size", $"The document exceeds {MaxBody} bytes."));
            }

            using var ms = new MemoryStream();
            await http.Request.Body.CopyToAsync(ms, ct).ConfigureAwait(false);
            var q = http.Request.Query;
            var req = new SendDocumentRequest(ms.ToArray(), q["transport"].FirstOrDefault(), q["replaces"].FirstOrDefault());
            // 201 when the registry accepted it; 202 when a transient failure queued it for the outbox worker.
            return Http.Map(await svc.SendAsync(id, req, Actors.From(http.User), ct).ConfigureAwait(false), http,
                v => v.State == "accepted" ? Results.Created($"/api/documents/{v.Id}", v) : Results.Accepted($"/api/documents/{v.Id}", v));
        }).RequireAuthorization(GatewayRoles.WritePolicy).WithName("SendDocument")
            .Accepts<string>("application/xml", "text/xml", "application/hl7-cda+xml")
            .Produces<DocumentSubmissionView>(StatusCodes.Status201Created).Produces<DocumentSubmissionView>(StatusCodes.Status202Accepted).ProducesValidationProblem().ProducesProblem(404).ProducesProblem(409).ProducesProblem(422).ProducesProblem(502)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);

        g.MapGet("/identities/{id:guid}/documents", async (Guid id, HttpContext http, DocumentService svc, CancellationToken ct) =>
            Http.Map(await svc.ListAsync(id, ct).ConfigureAwait(false), http, Results.Ok))
            .RequireAuthorization(GatewayRoles.ReadPolicy).WithName("ListDocuments").Produces<IReadOnlyList<DocumentSubmissionView>>().ProducesProblem(404);

        g.MapGet("/documents/{submissionId:guid}", async (Guid submissionId, HttpContext http, DocumentService svc, CancellationToken ct) =>
            Http.Map(await svc.GetAsync(submissionId, ct).ConfigureAwait(false), http, Results.Ok))
            .RequireAuthorization(GatewayRoles.ReadPolicy).WithName("GetDocumentSubmission").Produces<DocumentSubmissionView>().ProducesProblem(404);

        g.MapPost("/documents/{submissionId:guid}/resend", async (Guid submissionId, HttpContext http, DocumentService svc, CancellationToken ct) =>
            Http.Map(await svc.ResendAsync(submissionId, Actors.From(http.User), ct).ConfigureAwait(false), http,
                v => v.State == "accepted" ? Results.Ok(v) : Results.Accepted($"/api/documents/{v.Id}", v)))
            .RequireAuthorization(GatewayRoles.WritePolicy).WithName("ResendDocument").Produces<DocumentSubmissionView>().Produces<DocumentSubmissionView>(StatusCodes.Status202Accepted)
            .ProducesValidationProblem().ProducesProblem(404).ProducesProblem(409).ProducesProblem(422).ProducesProblem(502);
    }
}
