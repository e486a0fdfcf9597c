using SanteGateway.Server.Identities;
using SanteGateway.Server.Security;

namespace SanteGateway.Server.Hl7;

/// <summary>
/// <c>/api/hl7</c>: received messages (list, show) and the outbox (dead letters by default: list, show, replay). Raw HL7 carries
/// identities, so only identity vigilance and administrators see it; replaying is audited.
/// </summary>
public static class Hl7MessageEndpoints
{
    /// <summary>Maps the endpoints.</summary>
    /// <param name="app">The application.</param>
    public static void MapHl7MessageEndpoints(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var g = app.MapGroup("/api/hl7").WithTags("HL7 messages")
            .RequireAuthorization(p => p.RequireRole(GatewayRoles.IdentityVigilance, GatewayRoles.Admin));

        g.MapGet("/received", async (string? channel, string? kind, bool? failed, int? page, int? pageSize, Hl7MessageService svc, HttpContext http, CancellationToken ct) =>
            Http.Map(await svc.ReceivedAsync(channel, kind, failed, page, pageSize, ct).ConfigureAwait(false), http, Results.Ok))
            .WithName("ListReceivedHl7Messages")
            .WithSummary("Received HL7 messages, newest first (no content)")
            .WithDescription("Every message the MLLP listener or the file drop stored, with the ACK code returned and the parse error or mapping finding. Filters: channel (hl7v2-mllp, hl7v2-file), kind (ADT^A28), failed (true: with an error or finding).")
            .Produces<Paged<ReceivedMessageSummary>>().ProducesValidationProblem().ProducesProblem(401).ProducesProblem(403);

        g.MapGet("/received/{id:long}", async (long id, Hl7MessageService svc, HttpContext http, CancellationToken ct) =>
            Http.Map(await svc.ReceivedMessageAsync(id, ct).ConfigureAwait(false), http, Results.Ok))
            .WithName("GetReceivedHl7Message")
            .WithSummary("One received message with its text")
            .WithDescription("The bytes as received, decoded with the message's MSH-18 character set (ISO-8859-1 byte for byte when unreadable).")
            .Produces<ReceivedMessageView>().ProducesProblem(404).ProducesProblem(401).ProducesProblem(403);

        g.MapGet("/outbox", async (string? state, string? destination, int? page, int? pageSize, Hl7MessageService svc, HttpContext http, CancellationToken ct) =>
            Http.Map(await svc.OutboxAsync(state, destination, page, pageSize, ct).ConfigureAwait(false), http, Results.Ok))
            .WithName("ListHl7Outbox")
            .WithSummary("Outbox messages in a state (dead by default), newest first")
            .Produces<Paged<OutboxMessageSummary>>().ProducesValidationProblem().ProducesProblem(401).ProducesProblem(403);

        g.MapGet("/dead-letters", async (string? destination, int? page, int? pageSize, Hl7MessageService svc, HttpContext http, CancellationToken ct) =>
            Http.Map(await svc.OutboxAsync(SanteGateway.Store.Entities.OutboxStates.DeadLetter, destination, page, pageSize, ct).ConfigureAwait(false), http, Results.Ok))
            .WithName("ListHl7DeadLetters")
            .WithSummary("Dead letters: messages given up after the last attempt or refused by the partner (AE/CE)")
            .WithDescription("LastError says why (the partner's ERR rule, or the transport error of the last attempt).")
            .Produces<Paged<OutboxMessageSummary>>().ProducesValidationProblem().ProducesProblem(401).ProducesProblem(403);

        g.MapGet("/outbox/{id:long}", async (long id, Hl7MessageService svc, HttpContext http, CancellationToken ct) =>
            Http.Map(await svc.OutboxMessageAsync(id, ct).ConfigureAwait(false), http, Results.Ok))
            .WithName("GetHl7OutboxMessage")
            .WithSummary("One outbox message with its text")
            .Produces<OutboxMessageView>().ProducesProblem(404).ProducesProblem(401).ProducesProblem(403);

        g.MapPost("/dead-letters/{id:long}/replay", async (long id, Hl7MessageService svc, HttpContext http, CancellationToken ct) =>
            Http.Map(await svc.ReplayAsync(id, Actors.From(http.User), ct).ConfigureAwait(false), http, Results.Ok))
            .WithName("ReplayHl7DeadLetter")
            .WithSummary("Puts a dead letter back in the queue (attempts reset, due now); audited")
            .WithDescription("409 outbox.not-dead-letter when the message is pending or delivered. The patient's order is not re-established: later messages of the same patient may already have been delivered.")
            .Produces<OutboxMessageSummary>().ProducesProblem(404).ProducesProblem(409).ProducesProblem(401).ProducesProblem(403);
    }
}
