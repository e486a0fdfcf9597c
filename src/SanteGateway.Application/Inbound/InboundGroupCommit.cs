using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace SanteGateway.Application;

/// <summary>
/// Group commit of the gate's decisions. Each sender decides its item in its own unit of work (reads, in parallel with the
/// others), then hands the decision here: one writer commits the decisions waiting at that moment — items, actions, partner
/// ids, outbox rows and audit events — in one transaction, at most <see cref="InboundOptions.MaxGroupCommit"/>, and each
/// sender is released only once the transaction holding its item is committed (stored before acknowledged). One durable
/// commit (one log sync on SQLite, one WAL flush on PostgreSQL) then serves every sender; a lone item is committed alone,
/// at once. When a group's transaction fails, nothing of it is stored: its decisions are committed again one by one, so
/// one bad row never costs the others their answer, and a decision that still fails is reported to its own sender, which
/// stores its item alone as received (decided later) or, failing that, does not acknowledge it.
/// </summary>
/// <remarks>The HL7-only intake's writer (<c>StoreReceivedMessageHandler</c>) uses the same <see cref="GroupCommitter{T}"/>.</remarks>
public sealed class InboundGroupCommit : IAsyncDisposable, IDisposable
{
    private readonly IServiceScopeFactory scopes;
    private readonly GroupCommitter<InboundService.DecisionPlan> committer;

    /// <summary>Creates the group commit (one per process).</summary>
    /// <param name="scopes">A unit of work per transaction.</param>
    /// <param name="options">Gate settings (<see cref="InboundOptions.MaxGroupCommit"/>).</param>
    public InboundGroupCommit(IServiceScopeFactory scopes, IOptions<InboundOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        this.scopes = scopes;
        // Any failure of a group is retried decision by decision: a decision that still fails goes back to its sender.
        committer = new(Math.Clamp(options.Value.MaxGroupCommit, 1, 1024), SaveAsync, e => e is not OutOfMemoryException);
    }

    /// <summary>Decisions handed over and not yet committed (monitoring, tests).</summary>
    public int Waiting => committer.Waiting;

    /// <summary>Transactions committed so far (monitoring, tests).</summary>
    public long Commits => committer.Commits;

    /// <summary>Decisions committed in a group of more than one (monitoring, tests).</summary>
    public long Grouped => committer.Grouped;

    /// <summary>Stops the writer once the decisions already handed over are committed.</summary>
    /// <returns>A task.</returns>
    public ValueTask DisposeAsync() => committer.DisposeAsync();

    /// <summary>Stops the writer once the decisions already handed over are committed (synchronous disposal of the container).</summary>
    public void Dispose() => committer.Dispose();

    /// <summary>Commits <paramref name="plan"/> with whatever else is waiting; returns once it is committed, throws when it is not.</summary>
    internal Task CommitAsync(InboundService.DecisionPlan plan, CancellationToken ct) => committer.CommitAsync(plan, ct);

    private async Task SaveAsync(IReadOnlyList<InboundService.DecisionPlan> plans)
    {
        await using var scope = scopes.CreateAsyncScope();
        var service = scope.ServiceProvider.GetRequiredService<InboundService>();
        // Not cancellable: once the decisions are handed to the database, the outcome is what each sender must answer.
        await service.CommitGroupAsync(plans, CancellationToken.None).ConfigureAwait(false);
    }
}
