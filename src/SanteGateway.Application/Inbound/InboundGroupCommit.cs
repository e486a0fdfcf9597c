using System.Threading.Channels;
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
/// <remarks>The same idea as the HL7-only intake's writer (<c>StoreReceivedMessageHandler</c>), applied to whole decisions.</remarks>
public sealed class InboundGroupCommit : IAsyncDisposable, IDisposable
{
    private readonly IServiceScopeFactory scopes;
    private readonly int max;
    private readonly Channel<Pending> queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Lock gate = new();
    private Task? writer;
    private int waiting;

    /// <summary>Creates the group commit (one per process).</summary>
    /// <param name="scopes">A unit of work per transaction.</param>
    /// <param name="options">Gate settings (<see cref="InboundOptions.MaxGroupCommit"/>).</param>
    public InboundGroupCommit(IServiceScopeFactory scopes, IOptions<InboundOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        this.scopes = scopes;
        max = Math.Clamp(options.Value.MaxGroupCommit, 1, 1024);
    }

    /// <summary>Decisions handed over and not yet committed (monitoring, tests).</summary>
    public int Waiting => Volatile.Read(ref waiting);

    /// <summary>Transactions committed so far (monitoring, tests).</summary>
    public long Commits { get; private set; }

    /// <summary>Decisions committed in a group of more than one (monitoring, tests).</summary>
    public long Grouped { get; private set; }

    /// <summary>Stops the writer once the decisions already handed over are committed.</summary>
    /// <returns>A task.</returns>
    public async ValueTask DisposeAsync()
    {
        queue.Writer.TryComplete();
        Task? running;
        lock (gate)
        {
            running = writer;
        }

        if (running is not null)
        {
            await running.ConfigureAwait(false);
        }
    }

    /// <summary>Stops the writer once the decisions already handed over are committed (synchronous disposal of the container).</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>Commits <paramref name="plan"/> with whatever else is waiting; returns once it is committed, throws when it is not.</summary>
    internal async Task CommitAsync(InboundService.DecisionPlan plan, CancellationToken ct)
    {
        var pending = new Pending(plan, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        lock (gate)
        {
            writer ??= Task.Run(WriteLoopAsync, CancellationToken.None);
        }

        Interlocked.Increment(ref waiting);
        if (!queue.Writer.TryWrite(pending))
        {
            Interlocked.Decrement(ref waiting);
            throw new InvalidOperationException("The inbound gate is stopping: the item is not stored.");
        }

        // Cancelled while waiting: the decision may still be committed, but the caller answers nothing (the sender resends).
        await pending.Done.Task.WaitAsync(ct).ConfigureAwait(false);
    }

    private async Task WriteLoopAsync()
    {
        var reader = queue.Reader;
        var batch = new List<Pending>(max);
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < max && reader.TryRead(out var next))
            {
                batch.Add(next);
            }

            Interlocked.Add(ref waiting, -batch.Count);
            try
            {
                await SaveAsync(batch).ConfigureAwait(false);
                Grouped += batch.Count > 1 ? batch.Count : 0;
                batch.ForEach(p => p.Done.TrySetResult());
            }
            catch (Exception e) when (batch.Count > 1 && e is not OutOfMemoryException)
            {
                // Nothing of the group is stored (one transaction): commit each decision alone.
                foreach (var one in batch)
                {
                    try
                    {
                        await SaveAsync([one]).ConfigureAwait(false);
                        one.Done.TrySetResult();
                    }
                    catch (Exception single) when (single is not OutOfMemoryException)
                    {
                        one.Done.TrySetException(single);
                    }
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // Never leave a sender waiting: it gets the failure and stores its item alone, or answers nothing.
                batch.ForEach(p => p.Done.TrySetException(e));
            }
        }
    }

    private async Task SaveAsync(List<Pending> batch)
    {
        await using var scope = scopes.CreateAsyncScope();
        var service = scope.ServiceProvider.GetRequiredService<InboundService>();
        // Not cancellable: once the decisions are handed to the database, the outcome is what each sender must answer.
        await service.CommitGroupAsync(batch.ConvertAll(p => p.Plan), CancellationToken.None).ConfigureAwait(false);
        Commits++;
    }

    private sealed record Pending(InboundService.DecisionPlan Plan, TaskCompletionSource Done);
}
