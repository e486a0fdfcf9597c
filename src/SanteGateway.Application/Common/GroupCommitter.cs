using System.Threading.Channels;

namespace SanteGateway.Application;

/// <summary>
/// Group commit: what several senders hand over at the same moment is written by one writer in one transaction (at most
/// <c>max</c> items), and each sender is released only once the transaction holding its item is committed — stored before
/// acknowledged. One durable commit (one log sync on SQLite, one WAL flush on PostgreSQL) then serves every sender; a lone
/// item is committed alone, at once. When a group fails with a failure the caller deems retriable, nothing of it is stored
/// (one transaction) and its items are committed again one by one, so one bad row never costs the others their answer; an
/// item that still fails, or a group that fails otherwise, gets the failure back at its sender — never left waiting.
/// </summary>
/// <typeparam name="T">What one sender hands over.</typeparam>
public sealed class GroupCommitter<T> : IAsyncDisposable, IDisposable
{
    private readonly Func<IReadOnlyList<T>, Task> save;
    private readonly Func<Exception, bool> retryAlone;
    private readonly int max;
    private readonly Channel<Pending> queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Lock gate = new();
    private Task? writer;
    private int waiting;

    /// <summary>Creates the writer (started at the first item).</summary>
    /// <param name="max">Most items committed in one transaction.</param>
    /// <param name="save">Writes and commits the given items in one transaction (not cancellable: once the items are handed
    /// to the database, the outcome is what each sender must answer).</param>
    /// <param name="retryAlone">Whether a group's failure is one to retry item by item.</param>
    public GroupCommitter(int max, Func<IReadOnlyList<T>, Task> save, Func<Exception, bool> retryAlone)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        this.max = max;
        this.save = save ?? throw new ArgumentNullException(nameof(save));
        this.retryAlone = retryAlone ?? throw new ArgumentNullException(nameof(retryAlone));
    }

    /// <summary>Items handed over and not yet committed (monitoring, tests).</summary>
    public int Waiting => Volatile.Read(ref waiting);

    /// <summary>Transactions committed so far (monitoring, tests).</summary>
    public long Commits { get; private set; }

    /// <summary>Items committed in a group of more than one (monitoring, tests).</summary>
    public long Grouped { get; private set; }

    /// <summary>Commits <paramref name="item"/> with whatever else is waiting; returns once it is committed, throws when it is not.</summary>
    /// <param name="item">The item.</param>
    /// <param name="ct">Stops the wait only: the item may still be committed, but the caller then answers nothing (the sender resends).</param>
    /// <returns>A task.</returns>
    /// <exception cref="InvalidOperationException">The writer is stopping: the item is not stored.</exception>
    public async Task CommitAsync(T item, CancellationToken ct)
    {
        var pending = new Pending(item, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        lock (gate)
        {
            writer ??= Task.Run(WriteLoopAsync, CancellationToken.None);
        }

        Interlocked.Increment(ref waiting);
        if (!queue.Writer.TryWrite(pending))
        {
            Interlocked.Decrement(ref waiting);
            throw new InvalidOperationException("The writer is stopping: the item is not stored.");
        }

        await pending.Done.Task.WaitAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Stops the writer once the items already handed over are committed.</summary>
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

    /// <summary>Stops the writer once the items already handed over are committed (synchronous disposal of a container).</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

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
            catch (Exception e) when (batch.Count > 1 && retryAlone(e))
            {
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
                batch.ForEach(p => p.Done.TrySetException(e));
            }
        }
    }

    private async Task SaveAsync(List<Pending> batch)
    {
        await save(batch.ConvertAll(p => p.Item)).ConfigureAwait(false);
        Commits++;
    }

    private sealed record Pending(T Item, TaskCompletionSource Done);
}
