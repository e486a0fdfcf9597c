using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using SanteGateway.Interop.Hl7v2.Er7;
using SanteGateway.Store;
using SanteGateway.Store.Audit;
using SanteGateway.Store.Entities;

namespace SanteGateway.Server.Hl7;

/// <summary>A received message in a list (no content).</summary>
/// <param name="Id">Storage id (given to the sender's logs and in the gateway's).</param>
/// <param name="Channel"><c>hl7v2-mllp</c> or <c>hl7v2-file</c>.</param>
/// <param name="Partner">Remote endpoint, or the dropped file.</param>
/// <param name="ReceivedAt">When it was read.</param>
/// <param name="MessageId">MSH-10, when readable.</param>
/// <param name="Kind">Message type and event (<c>ADT^A28</c>), when readable.</param>
/// <param name="AckCode">Acknowledgment returned: <c>AA</c> or <c>AE</c>.</param>
/// <param name="Error">Parse error or mapping finding (rule and position).</param>
/// <param name="Size">Bytes.</param>
public sealed record ReceivedMessageSummary(long Id, string Channel, string Partner, DateTimeOffset ReceivedAt, string? MessageId, string? Kind, string? AckCode, string? Error, int Size);

/// <summary>A received message with its content.</summary>
/// <param name="Summary">The list fields.</param>
/// <param name="Encoding">The character set the text was decoded with (MSH-18, or ISO-8859-1 when unreadable: byte for byte).</param>
/// <param name="Text">The message as text, segments separated by <c>\r</c> as received.</param>
public sealed record ReceivedMessageView(ReceivedMessageSummary Summary, string Encoding, string Text);

/// <summary>An outbox message in a list (no content).</summary>
/// <param name="Id">Outbox id.</param>
/// <param name="Channel">Transport.</param>
/// <param name="Destination">Subscriber name.</param>
/// <param name="OrderingKey">Patient (identity id).</param>
/// <param name="Kind"><c>ADT^A31</c>…</param>
/// <param name="MessageId">MSH-10.</param>
/// <param name="State"><c>pending</c>, <c>delivered</c> or <c>dead</c>.</param>
/// <param name="Attempts">Attempts so far.</param>
/// <param name="CreatedAt">Enqueued at.</param>
/// <param name="NextAttemptAt">Not before.</param>
/// <param name="DeliveredAt">Acknowledged at.</param>
/// <param name="LastError">Why the last attempt failed.</param>
public sealed record OutboxMessageSummary(long Id, string Channel, string Destination, string OrderingKey, string? Kind, string? MessageId, string State, int Attempts,
    DateTimeOffset CreatedAt, DateTimeOffset NextAttemptAt, DateTimeOffset? DeliveredAt, string? LastError);

/// <summary>An outbox message with its content.</summary>
/// <param name="Summary">The list fields.</param>
/// <param name="Text">The message as sent (decoded with its MSH-18).</param>
public sealed record OutboxMessageView(OutboxMessageSummary Summary, string Text);

/// <summary>
/// Operator use cases on HL7 traffic: received messages (list, show) and the outbox's dead letters (list, show, replay).
/// Replaying is audited; the content is shown only to whoever may read identities' raw traffic (the endpoint decides).
/// </summary>
public sealed class Hl7MessageService(GatewayDbContext db, TimeProvider clock)
{
    /// <summary>Received messages, newest first.</summary>
    /// <param name="channel">Only this channel.</param>
    /// <param name="kind">Only this message type (<c>ADT^A28</c>).</param>
    /// <param name="failed">True: only those with an error or finding; false: only clean ones.</param>
    /// <param name="page">Page from 1.</param>
    /// <param name="pageSize">1–200 (50).</param>
    /// <param name="ct">Cancels.</param>
    /// <returns>The page.</returns>
    public async Task<Result<Paged<ReceivedMessageSummary>>> ReceivedAsync(string? channel, string? kind, bool? failed, int? page, int? pageSize, CancellationToken ct)
    {
        if (Paging(page, pageSize) is not { } paging)
        {
            return Result<Paged<ReceivedMessageSummary>>.Fail(PagingError());
        }

        var q = db.ReceivedMessages.AsNoTracking();
        if (!string.IsNullOrWhiteSpace(channel))
        {
            q = q.Where(m => m.Channel == channel);
        }

        if (!string.IsNullOrWhiteSpace(kind))
        {
            q = q.Where(m => m.Kind == kind);
        }

        if (failed is { } f)
        {
            q = f ? q.Where(m => m.Error != null) : q.Where(m => m.Error == null);
        }

        var total = await q.CountAsync(ct).ConfigureAwait(false);
        var rows = await q.OrderByDescending(m => m.Id).Skip((paging.Page - 1) * paging.Size).Take(paging.Size)
            .Select(m => new ReceivedMessageSummary(m.Id, m.Channel, m.Partner, m.ReceivedAt, m.MessageId, m.Kind, m.AckCode, m.Error, m.Raw.Length))
            .ToListAsync(ct).ConfigureAwait(false);
        return Result<Paged<ReceivedMessageSummary>>.Ok(new Paged<ReceivedMessageSummary>(rows, paging.Page, paging.Size, total));
    }

    /// <summary>One received message with its content.</summary>
    /// <param name="id">Storage id.</param>
    /// <param name="ct">Cancels.</param>
    /// <returns>The message or <c>not-found</c>.</returns>
    public async Task<Result<ReceivedMessageView>> ReceivedMessageAsync(long id, CancellationToken ct)
    {
        var m = await db.ReceivedMessages.AsNoTracking().SingleOrDefaultAsync(x => x.Id == id, ct).ConfigureAwait(false);
        if (m is null)
        {
            return Result<ReceivedMessageView>.Fail(new AppError(ErrorKind.NotFound, "not-found", $"Received message {id} does not exist."));
        }

        var (encoding, text) = Decode(m.Raw);
        return Result<ReceivedMessageView>.Ok(new ReceivedMessageView(
            new ReceivedMessageSummary(m.Id, m.Channel, m.Partner, m.ReceivedAt, m.MessageId, m.Kind, m.AckCode, m.Error, m.Raw.Length), encoding, text));
    }

    /// <summary>Outbox messages in a state (dead letters by default), newest first.</summary>
    /// <param name="state"><c>dead</c>, <c>pending</c> or <c>delivered</c>.</param>
    /// <param name="destination">Only this subscriber.</param>
    /// <param name="page">Page from 1.</param>
    /// <param name="pageSize">1–200 (50).</param>
    /// <param name="ct">Cancels.</param>
    /// <returns>The page.</returns>
    public async Task<Result<Paged<OutboxMessageSummary>>> OutboxAsync(string? state, string? destination, int? page, int? pageSize, CancellationToken ct)
    {
        state ??= OutboxStates.DeadLetter;
        if (state is not (OutboxStates.DeadLetter or OutboxStates.Pending or OutboxStates.Delivered))
        {
            return Result<Paged<OutboxMessageSummary>>.Fail(AppError.Field(ErrorKind.Invalid, "state", "outbox.state", "state is dead, pending or delivered."));
        }

        if (Paging(page, pageSize) is not { } paging)
        {
            return Result<Paged<OutboxMessageSummary>>.Fail(PagingError());
        }

        var q = db.Outbox.AsNoTracking().Where(m => m.State == state);
        if (!string.IsNullOrWhiteSpace(destination))
        {
            q = q.Where(m => m.Destination == destination);
        }

        var total = await q.CountAsync(ct).ConfigureAwait(false);
        var rows = await q.OrderByDescending(m => m.Id).Skip((paging.Page - 1) * paging.Size).Take(paging.Size).ToListAsync(ct).ConfigureAwait(false);
        return Result<Paged<OutboxMessageSummary>>.Ok(new Paged<OutboxMessageSummary>(rows.Select(Summary).ToList(), paging.Page, paging.Size, total));
    }

    /// <summary>One outbox message with its content.</summary>
    /// <param name="id">Outbox id.</param>
    /// <param name="ct">Cancels.</param>
    /// <returns>The message or <c>not-found</c>.</returns>
    public async Task<Result<OutboxMessageView>> OutboxMessageAsync(long id, CancellationToken ct)
    {
        var m = await db.Outbox.AsNoTracking().SingleOrDefaultAsync(x => x.Id == id, ct).ConfigureAwait(false);
        return m is null
            ? Result<OutboxMessageView>.Fail(new AppError(ErrorKind.NotFound, "not-found", $"Outbox message {id} does not exist."))
            : Result<OutboxMessageView>.Ok(new OutboxMessageView(Summary(m), Decode(m.Payload).Text));
    }

    /// <summary>
    /// Puts a dead letter back in the queue (attempts reset, due now), audited. The patient's order is not re-established:
    /// later messages of the same patient may already have been delivered (the reason it became a dead letter is in the audit).
    /// </summary>
    /// <param name="id">Outbox id.</param>
    /// <param name="actor">Who replays.</param>
    /// <param name="ct">Cancels.</param>
    /// <returns>The message after the replay, <c>not-found</c>, or <c>outbox.not-dead-letter</c> (409).</returns>
    public async Task<Result<OutboxMessageSummary>> ReplayAsync(long id, Actor actor, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        await using var tx = await db.Database.BeginTransactionAsync(ct).ConfigureAwait(false);
        var row = await db.Outbox.AsNoTracking().SingleOrDefaultAsync(m => m.Id == id, ct).ConfigureAwait(false);
        if (row is null)
        {
            return Result<OutboxMessageSummary>.Fail(new AppError(ErrorKind.NotFound, "not-found", $"Outbox message {id} does not exist."));
        }

        if (row.State != OutboxStates.DeadLetter)
        {
            return Result<OutboxMessageSummary>.Fail(new AppError(ErrorKind.Conflict, "outbox.not-dead-letter", $"Outbox message {id} is {row.State}, not a dead letter."));
        }

        var before = new { row.State, row.Attempts, row.LastError };
        var now = clock.GetUtcNow();
        // Only a dead letter is replayed: a concurrent replay (or another instance) finds it pending and gets 409.
        var changed = await db.Outbox.Where(m => m.Id == id && m.State == OutboxStates.DeadLetter)
            .ExecuteUpdateAsync(s => s.SetProperty(m => m.State, OutboxStates.Pending).SetProperty(m => m.Attempts, 0).SetProperty(m => m.NextAttemptAt, now)
                .SetProperty(m => m.LeaseOwner, (string?)null).SetProperty(m => m.LeaseUntil, (DateTimeOffset?)null), ct)
            .ConfigureAwait(false);
        if (changed == 0)
        {
            return Result<OutboxMessageSummary>.Fail(new AppError(ErrorKind.Conflict, "outbox.not-dead-letter", $"Outbox message {id} is no longer a dead letter."));
        }

        await AuditTrail.AppendAsync(db, new AuditEntry(actor.Name, actor.Source, "hl7.outbox.replay", "outbox_message", id.ToString(System.Globalization.CultureInfo.InvariantCulture),
            JsonSerializer.Serialize(before), JsonSerializer.Serialize(new { State = OutboxStates.Pending, Attempts = 0, row.Destination, row.MessageId })), clock, ct).ConfigureAwait(false);
        await db.SaveChangesAsync(ct).ConfigureAwait(false);
        await tx.CommitAsync(ct).ConfigureAwait(false);
        row.State = OutboxStates.Pending;
        row.Attempts = 0;
        row.NextAttemptAt = now;
        return Result<OutboxMessageSummary>.Ok(Summary(row));
    }

    private static OutboxMessageSummary Summary(OutboxMessage m) =>
        new(m.Id, m.Channel, m.Destination, m.OrderingKey, m.Kind, m.MessageId, m.State, m.Attempts, m.CreatedAt, m.NextAttemptAt, m.DeliveredAt, m.LastError);

    /// <summary>The text with the message's own character set; an unreadable message byte for byte as ISO-8859-1.</summary>
    internal static (string Encoding, string Text) Decode(byte[] raw)
    {
        if (Hl7Reader.TryRead(raw, null, out var message, out _))
        {
            return (message.Encoding.WebName, message.Encoding.GetString(raw));
        }

        return ("iso-8859-1", Encoding.Latin1.GetString(raw));
    }

    private static (int Page, int Size)? Paging(int? page, int? pageSize)
    {
        var p = page ?? 1;
        var s = pageSize ?? 50;
        return p < 1 || s is < 1 or > 200 ? null : (p, s);
    }

    private static AppError PagingError() =>
        new(ErrorKind.Invalid, "validation", "One or more fields are invalid.", new Dictionary<string, string[]>(StringComparer.Ordinal)
        {
            ["page"] = ["paging: page from 1, pageSize 1–200."],
        });
}
