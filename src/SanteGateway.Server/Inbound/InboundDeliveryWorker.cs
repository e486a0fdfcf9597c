using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SanteGateway.Application;
using SanteGateway.Interop.Hl7v2.Er7;
using SanteGateway.Interop.Hl7v2.Mllp;
using SanteGateway.Interop.Hl7v2.Pam;
using SanteGateway.Interop.Hl7v2.Segments;
using SanteGateway.Server.Hl7;
using SanteGateway.Store;
using SanteGateway.Store.Entities;

namespace SanteGateway.Server.Inbound;

/// <summary>
/// Delivers accepted inbound data (attach, create, or a review decision) to the publisher's software on the configured routes
/// (<c>Inbound:Routes</c>): a webhook (POST of a JSON notice), an MLLP peer (the HL7 message with the local identity in PID), or a
/// folder. At least once, with the item id as idempotency key; in order per route and local identity; retries with exponential
/// back-off; dead letter after <see cref="InboundDeliveryOptions.MaxAttempts"/> or a permanent refusal; replayed like the HL7
/// outbox (<c>POST /api/hl7/outbox/{id}/replay</c>, <c>santegw hl7 dead-letters replay</c>).
/// </summary>
/// <remarks>
/// <para>Rows live in the HL7 outbox table (destination <c>inbound:ROUTE</c>) and are claimed with a lease like
/// <see cref="Hl7OutboxWorker"/>, so several instances on one database never send one row at once and a dead worker's row is
/// taken over when its lease ends.</para>
/// <para>The payload is rendered at the first attempt from the item and the local identity as it is then (merges followed),
/// and kept: every retry and replay sends the same bytes. Only the local identity id and, when the identity is QUAL, its INS
/// reference the patient; the partner's identifiers are not passed on.</para>
/// </remarks>
public sealed partial class InboundDeliveryWorker : BackgroundService
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly IServiceScopeFactory _scopes;
    private readonly InboundOptions _options;
    private readonly Hl7Options _hl7;
    private readonly TimeProvider _clock;
    private readonly ILogger<InboundDeliveryWorker> _logger;
    private readonly ConcurrentDictionary<string, MllpClient> _mllp = new(StringComparer.Ordinal);
    private readonly HttpClient _http = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = Timeout.InfiniteTimeSpan };
    private readonly string _workerId = WorkerId();

    /// <summary>Creates the worker.</summary>
    /// <param name="scopes">Scopes (a database context per pass and route).</param>
    /// <param name="options">Inbound settings (routes, delivery).</param>
    /// <param name="hl7">HL7 settings (the local assigning authority of the identity id in PID).</param>
    /// <param name="clock">Clock.</param>
    /// <param name="logger">Logs ids and outcomes, never content.</param>
    public InboundDeliveryWorker(IServiceScopeFactory scopes, IOptions<InboundOptions> options, IOptions<Hl7Options> hl7, TimeProvider clock, ILogger<InboundDeliveryWorker> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(hl7);
        _scopes = scopes;
        _options = options.Value;
        _hl7 = hl7.Value;
        _clock = clock;
        _logger = logger;
    }

    private InboundDeliveryOptions Delivery => _options.Delivery;

    private static string WorkerId()
    {
        var id = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";
        return id.Length <= 64 ? id : id[^64..];
    }

    /// <inheritdoc/>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        foreach (var client in _mllp.Values)
        {
            await client.DisposeAsync().ConfigureAwait(false);
        }

        _mllp.Clear();
    }

    /// <inheritdoc/>
    public override void Dispose()
    {
        _http.Dispose();
        base.Dispose();
    }

    /// <summary>One pass over every route.</summary>
    /// <param name="ct">Cancels the pass.</param>
    /// <returns>How many deliveries were attempted.</returns>
    internal async Task<int> RunOnceAsync(CancellationToken ct)
    {
        var counts = await Task.WhenAll(_options.Routes.Where(r => !string.IsNullOrWhiteSpace(r.Name)).Select(r => DeliverRouteAsync(r, ct))).ConfigureAwait(false);
        return counts.Sum();
    }

    /// <inheritdoc/>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_options.Routes.Count == 0)
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (await RunOnceAsync(stoppingToken).ConfigureAwait(false) > 0)
                {
                    continue;
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is DbUpdateException or InvalidOperationException or System.Data.Common.DbException)
            {
                LogPassFailed(_logger, e.GetType().Name);
            }

            try
            {
                await Task.Delay(Delivery.PollInterval, _clock, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    private async Task<int> DeliverRouteAsync(InboundRouteOption route, CancellationToken ct)
    {
        await using var scope = _scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
        var now = _clock.GetUtcNow();
        var destination = route.Destination;
        // The head of each identity's queue only: order kept per route and local identity.
        var due = await db.Outbox.AsNoTracking()
            .Where(m => m.Destination == destination && m.State == OutboxStates.Pending && m.NextAttemptAt <= now
                && (m.LeaseUntil == null || m.LeaseUntil < now)
                && !db.Outbox.Any(o => o.Destination == destination && o.OrderingKey == m.OrderingKey && o.State == OutboxStates.Pending && o.Id < m.Id))
            .OrderBy(m => m.Id).Select(m => m.Id).Take(Delivery.BatchSize)
            .ToListAsync(ct).ConfigureAwait(false);
        var attempted = 0;
        var lease = TimeSpan.FromSeconds((2 * route.TimeoutSeconds) + 10);
        lease = lease > Delivery.Lease ? lease : Delivery.Lease;
        foreach (var id in due)
        {
            var claimedAt = _clock.GetUtcNow();
            var until = claimedAt + lease;
            var claimed = await db.Outbox
                .Where(m => m.Id == id && m.State == OutboxStates.Pending && (m.LeaseUntil == null || m.LeaseUntil < claimedAt))
                .ExecuteUpdateAsync(u => u.SetProperty(m => m.LeaseOwner, _workerId).SetProperty(m => m.LeaseUntil, until), ct)
                .ConfigureAwait(false);
            if (claimed == 0)
            {
                continue;
            }

            OutboxMessage? row = null;
            try
            {
                row = await db.Outbox.SingleAsync(m => m.Id == id, ct).ConfigureAwait(false);
                attempted++;
                await AttemptAsync(scope.ServiceProvider, route, row, ct).ConfigureAwait(false);
            }
            finally
            {
                if (row is not null)
                {
                    row.LeaseOwner = null;
                    row.LeaseUntil = null;
                    await db.SaveChangesAsync(CancellationToken.None).ConfigureAwait(false);
                }
                else
                {
                    await db.Outbox.Where(m => m.Id == id && m.LeaseOwner == _workerId)
                        .ExecuteUpdateAsync(u => u.SetProperty(m => m.LeaseOwner, (string?)null).SetProperty(m => m.LeaseUntil, (DateTimeOffset?)null), CancellationToken.None)
                        .ConfigureAwait(false);
                }
            }
        }

        return attempted;
    }

    private async Task AttemptAsync(IServiceProvider services, InboundRouteOption route, OutboxMessage row, CancellationToken ct)
    {
        row.Attempts++;
        string? error;
        var permanent = false;
        try
        {
            if (row.Payload.Length == 0)
            {
                (var payload, error) = await RenderAsync(services, route, row, ct).ConfigureAwait(false);
                if (payload is null)
                {
                    Fail(route, row, error ?? "cannot be rendered", permanent: true);
                    return;
                }

                row.Payload = payload;
            }

            (error, permanent) = route.Kind switch
            {
                InboundRouteKinds.Http => await PostAsync(route, row, ct).ConfigureAwait(false),
                InboundRouteKinds.Mllp => await SendMllpAsync(route, row, ct).ConfigureAwait(false),
                InboundRouteKinds.Folder => await WriteFileAsync(route, row, ct).ConfigureAwait(false),
                _ => ($"Unknown route kind '{route.Kind}' (http, mllp or folder).", true),
            };
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            row.Attempts--;
            throw;
        }
        catch (Exception e) when (e is IOException or TimeoutException or HttpRequestException or OperationCanceledException or UnauthorizedAccessException
            or System.Net.Sockets.SocketException or System.Security.Authentication.AuthenticationException)
        {
            error = $"{e.GetType().Name}: {e.Message}";
        }

        if (error is null)
        {
            row.State = OutboxStates.Delivered;
            row.DeliveredAt = _clock.GetUtcNow();
            row.LastError = null;
            LogDelivered(_logger, row.Id, row.MessageId, route.Name, row.Attempts);
            return;
        }

        Fail(route, row, error, permanent);
    }

    private void Fail(InboundRouteOption route, OutboxMessage row, string error, bool permanent)
    {
        row.LastError = error.Length <= 1024 ? error : error[..1024];
        if (permanent || row.Attempts >= Delivery.MaxAttempts)
        {
            row.State = OutboxStates.DeadLetter;
            LogDeadLetter(_logger, row.Id, row.MessageId, route.Name, row.Attempts);
            return;
        }

        var factor = Math.Pow(2, Math.Min(row.Attempts - 1, 30));
        var delay = TimeSpan.FromTicks((long)Math.Min(Delivery.InitialBackoff.Ticks * factor, Delivery.MaxBackoff.Ticks));
        row.NextAttemptAt = _clock.GetUtcNow() + delay;
        LogRetry(_logger, row.Id, row.MessageId, route.Name, row.Attempts, delay);
    }

    /// <summary>The bytes of a delivery: the HL7 message with the local identity (mllp, folder of an HL7 item) or the JSON notice.</summary>
    private async Task<(byte[]? Payload, string? Error)> RenderAsync(IServiceProvider services, InboundRouteOption route, OutboxMessage row, CancellationToken ct)
    {
        if (!Guid.TryParseExact(row.MessageId, "N", out var itemId) || !Guid.TryParse(row.OrderingKey, out var identityId))
        {
            return (null, "inbound.delivery-row: the outbox row does not name an inbound item and identity.");
        }

        var source = await services.GetRequiredService<InboundService>().DeliverySourceAsync(itemId, identityId, ct).ConfigureAwait(false);
        if (!source.IsSuccess)
        {
            return (null, $"{source.Error.Rule}: {source.Error.Message}");
        }

        var s = source.Value;
        byte[]? hl7 = null;
        string? hl7Error = null;
        if (s.Format == "hl7v2")
        {
            (hl7, hl7Error) = LocalHl7(s);
        }

        if (route.Kind == InboundRouteKinds.Mllp || (route.Kind == InboundRouteKinds.Folder && s.Format == "hl7v2"))
        {
            return (hl7, hl7Error ?? (hl7 is null ? "inbound.delivery-format: MLLP carries HL7 v2 items only." : null));
        }

        var ins = s.Identity.TransmittableIns;
        var notice = new InboundDeliveryNotice(
            row.MessageId!,
            s.ItemId,
            s.Partner,
            s.Decision,
            s.IdentityId,
            ins is null ? null : new InboundDeliveryIns(ins.Matricule.Value, ins.Oid),
            SanteGateway.Identity.RnivCodes.ToCode(s.Identity.Status),
            s.Format,
            s.Kind,
            s.MessageId,
            s.Format == "hl7v2" ? Hl7InboundGateHandler.ContentType : s.ContentType,
            Convert.ToBase64String(hl7 ?? s.Raw));
        return (JsonSerializer.SerializeToUtf8Bytes(notice, Json), null);
    }

    /// <summary>The received HL7 message with PID (and ZFD) rebuilt from the local identity: its id under the local authority
    /// and its INS only when QUAL; every other segment as received.</summary>
    private (byte[]? Payload, string? Error) LocalHl7(InboundDeliverySource s)
    {
        if (!Hl7Reader.TryRead(s.Raw, null, out var message, out var parseError))
        {
            return (null, $"hl7.{parseError.Rule}: {parseError}");
        }

        var context = new PamPatientContext(new Cx(s.IdentityId.ToString("N"), new Hd(_hl7.LocalAuthority, null, null), "PI"));
        var sb = new StringBuilder();
        var pidDone = false;
        foreach (var segment in message.Segments)
        {
            if (segment.Name == "PID" && !pidDone)
            {
                sb.Append(PamIdentityWriter.BuildPid(s.Identity, context).Build(message.Delimiters));
                pidDone = true;
            }
            else if (segment.Name == "ZFD")
            {
                sb.Append(PamIdentityWriter.BuildZfd(s.Identity, context).Build(message.Delimiters));
            }
            else
            {
                sb.Append(segment.Text.Span);
            }

            sb.Append(segment.Terminator.Length == 0 ? "\r" : segment.Terminator);
        }

        try
        {
            var body = message.Encoding.GetBytes(sb.ToString());
            return (message.ByteOrderMark ? [0xEF, 0xBB, 0xBF, .. body] : body, null);
        }
        catch (EncoderFallbackException e)
        {
            return (null, $"hl7.charset: the local identity cannot be written in the message's character set ({e.Message}).");
        }
    }

    private async Task<(string? Error, bool Permanent)> PostAsync(InboundRouteOption route, OutboxMessage row, CancellationToken ct)
    {
        if (!Uri.TryCreate(route.Url, UriKind.Absolute, out var url))
        {
            return ($"Route {route.Name}: Url is not an absolute URL.", true);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(route.TimeoutSeconds));
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(row.Payload) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add("Idempotency-Key", row.MessageId);
        foreach (var (name, value) in route.Headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        using var response = await _http.SendAsync(request, timeout.Token).ConfigureAwait(false);
        var status = (int)response.StatusCode;
        if (response.IsSuccessStatusCode)
        {
            return (null, false);
        }

        // 4xx (except timeout, too early, too many requests) is the receiver refusing the content: sending it again cannot help.
        var permanent = status is >= 400 and < 500 and not (408 or 425 or 429);
        return ($"HTTP {status.ToString(CultureInfo.InvariantCulture)} {response.ReasonPhrase}", permanent);
    }

    private async Task<(string? Error, bool Permanent)> SendMllpAsync(InboundRouteOption route, OutboxMessage row, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(route.Host) || route.Port <= 0)
        {
            return ($"Route {route.Name}: Host and Port are required for MLLP.", true);
        }

        var client = _mllp.GetOrAdd(route.Name, _ => new MllpClient(new MllpClientOptions
        {
            Host = route.Host,
            Port = route.Port,
            UseTls = route.Tls,
            ConnectTimeout = TimeSpan.FromSeconds(route.TimeoutSeconds),
            AckTimeout = TimeSpan.FromSeconds(route.TimeoutSeconds),
        }));
        Hl7Reader.TryRead(row.Payload, null, out var message, out _);
        var ack = await client.SendAsync(row.Payload, message?.Msh.ControlId, ct).ConfigureAwait(false);
        if (ack.IsAccepted)
        {
            return (null, false);
        }

        var err = ack.Errors.FirstOrDefault();
        return ($"{ack.Code}{(err is null ? string.Empty : $" rule {err.ApplicationErrorCode} ({err.Hl7ErrorCode}): {err.UserMessage}")}", ack.Code is "AE" or "CE");
    }

    private static async Task<(string? Error, bool Permanent)> WriteFileAsync(InboundRouteOption route, OutboxMessage row, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(route.Folder))
        {
            return ($"Route {route.Name}: Folder is required.", true);
        }

        Directory.CreateDirectory(route.Folder);
        var extension = row.Payload.Length > 0 && row.Payload[0] == (byte)'{' ? ".json" : ".hl7";
        // The idempotency key is the name: a second delivery of the same item replaces the file with the same bytes.
        var target = Path.Combine(route.Folder, row.MessageId + extension);
        var temporary = Path.Combine(route.Folder, "." + row.MessageId + ".tmp");
        await using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 4096, FileOptions.WriteThrough))
        {
            await stream.WriteAsync(row.Payload, ct).ConfigureAwait(false);
            await stream.FlushAsync(ct).ConfigureAwait(false);
        }

        File.Move(temporary, target, overwrite: true);
        return (null, false);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Inbound delivery {OutboxId} (item {ItemId}) delivered on route {Route} at attempt {Attempts}")]
    private static partial void LogDelivered(ILogger logger, long outboxId, string? itemId, string route, int attempts);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Inbound delivery {OutboxId} (item {ItemId}) on route {Route} failed at attempt {Attempts}; next try in {Delay}")]
    private static partial void LogRetry(ILogger logger, long outboxId, string? itemId, string route, int attempts, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Error, Message = "Inbound delivery {OutboxId} (item {ItemId}) on route {Route} is a dead letter after {Attempts} attempts")]
    private static partial void LogDeadLetter(ILogger logger, long outboxId, string? itemId, string route, int attempts);

    [LoggerMessage(Level = LogLevel.Error, Message = "Inbound delivery pass failed: {Error}")]
    private static partial void LogPassFailed(ILogger logger, string error);
}

/// <summary>The JSON notice delivered on an http route (and a folder route for FHIR and CDA items).</summary>
/// <param name="IdempotencyKey">Same on every delivery of this item on this route (also the <c>Idempotency-Key</c> header).</param>
/// <param name="ItemId">The inbound item (<c>GET /api/inbound/{id}</c>).</param>
/// <param name="Partner">The sending identification domain.</param>
/// <param name="Decision">attach or create.</param>
/// <param name="IdentityId">The local identity the data belongs to.</param>
/// <param name="Ins">Its INS, only when the identity is QUAL.</param>
/// <param name="IdentityStatus">PROV, RECUP, VALI or QUAL.</param>
/// <param name="Format">hl7v2, fhir or cda.</param>
/// <param name="Kind">What it is.</param>
/// <param name="MessageId">The partner's id of it.</param>
/// <param name="ContentType">Content type of <paramref name="Content"/>.</param>
/// <param name="Content">Base64: the HL7 message with the local identity in PID, or the FHIR/CDA payload as received.</param>
public sealed record InboundDeliveryNotice(string IdempotencyKey, Guid ItemId, string Partner, string? Decision, Guid IdentityId, InboundDeliveryIns? Ins, string IdentityStatus,
    string? Format, string? Kind, string? MessageId, string ContentType, string Content);

/// <summary>A qualified INS in a delivery notice.</summary>
/// <param name="Matricule">NIR or NIA.</param>
/// <param name="Oid">Its OID.</param>
public sealed record InboundDeliveryIns(string Matricule, string Oid);
