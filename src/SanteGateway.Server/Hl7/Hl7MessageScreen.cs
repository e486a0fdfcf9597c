using SanteGateway.Web;

namespace SanteGateway.Server.Hl7;

/// <summary>The staff UI's HL7 messages screen over <see cref="Hl7MessageService"/> (the web project cannot see the host's types).</summary>
/// <param name="service">The HL7 operator use cases.</param>
internal sealed class Hl7MessageScreen(Hl7MessageService service) : IHl7MessageScreen
{
    public async Task<Result<Paged<Hl7ReceivedRow>>> ReceivedAsync(bool? failed, int page, int pageSize, CancellationToken ct)
    {
        var r = await service.ReceivedAsync(null, null, failed, page, pageSize, ct).ConfigureAwait(false);
        return r.IsSuccess
            ? Result<Paged<Hl7ReceivedRow>>.Ok(new(r.Value.Items.Select(m => new Hl7ReceivedRow(m.Id, m.Channel, m.Partner, m.ReceivedAt, m.MessageId, m.Kind, m.AckCode, m.Error)).ToList(), r.Value.Page, r.Value.PageSize, r.Value.Total))
            : Result<Paged<Hl7ReceivedRow>>.Fail(r.Error);
    }

    public async Task<Result<Paged<Hl7OutboxRow>>> OutboxAsync(string state, int page, int pageSize, CancellationToken ct)
    {
        var r = await service.OutboxAsync(state, null, page, pageSize, ct).ConfigureAwait(false);
        return r.IsSuccess
            ? Result<Paged<Hl7OutboxRow>>.Ok(new(r.Value.Items.Select(Row).ToList(), r.Value.Page, r.Value.PageSize, r.Value.Total))
            : Result<Paged<Hl7OutboxRow>>.Fail(r.Error);
    }

    public async Task<Result<Hl7OutboxRow>> ReplayAsync(long id, Actor actor, CancellationToken ct)
    {
        var r = await service.ReplayAsync(id, actor, ct).ConfigureAwait(false);
        return r.IsSuccess ? Result<Hl7OutboxRow>.Ok(Row(r.Value)) : Result<Hl7OutboxRow>.Fail(r.Error);
    }

    private static Hl7OutboxRow Row(OutboxMessageSummary m) =>
        new(m.Id, m.Channel, m.Destination, m.OrderingKey, m.Kind, m.MessageId, m.State, m.Attempts, m.CreatedAt, m.DeliveredAt, m.LastError);
}
