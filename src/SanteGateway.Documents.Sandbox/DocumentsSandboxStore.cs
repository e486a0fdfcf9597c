using SanteGateway.Documents.Xds;

namespace SanteGateway.Documents.Sandbox;

/// <summary>A document held by the sandbox.</summary>
/// <param name="Entry">Its metadata as registered (status updated on replacement).</param>
/// <param name="SubmissionSetUniqueId">The submission set it came in.</param>
/// <param name="Content">Bytes as received.</param>
/// <param name="RegisteredAt">When.</param>
public sealed record SandboxDocument(XdsDocumentEntry Entry, string SubmissionSetUniqueId, byte[] Content, DateTimeOffset RegisteredAt);

/// <summary>The sandbox's registry and repository, in memory. Thread-safe; a submission is registered whole or not at all.</summary>
public sealed class DocumentsSandboxStore
{
    private readonly Lock gate = new();
    private readonly Dictionary<string, SandboxDocument> byUniqueId = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> uniqueIdByEntryUuid = new(StringComparer.Ordinal);
    private int refused;
    private int accepted;

    /// <summary>Documents held.</summary>
    public int Count
    {
        get
        {
            lock (gate)
            {
                return byUniqueId.Count;
            }
        }
    }

    /// <summary>Submissions accepted so far.</summary>
    public int AcceptedSubmissions => Volatile.Read(ref accepted);

    /// <summary>Submissions refused so far (any error).</summary>
    public int RefusedSubmissions => Volatile.Read(ref refused);

    /// <summary>Every document, in no particular order.</summary>
    /// <returns>A snapshot.</returns>
    public IReadOnlyList<SandboxDocument> All()
    {
        lock (gate)
        {
            return byUniqueId.Values.ToList();
        }
    }

    /// <summary>A document by uniqueId.</summary>
    /// <param name="uniqueId">uniqueId.</param>
    /// <returns>The document or null.</returns>
    public SandboxDocument? Find(string uniqueId)
    {
        lock (gate)
        {
            return byUniqueId.GetValueOrDefault(uniqueId);
        }
    }

    /// <summary>A document by entryUUID.</summary>
    /// <param name="entryUuid">entryUUID.</param>
    /// <returns>The document or null.</returns>
    public SandboxDocument? FindByEntryUuid(string entryUuid)
    {
        lock (gate)
        {
            return uniqueIdByEntryUuid.TryGetValue(entryUuid, out var u) ? byUniqueId.GetValueOrDefault(u) : null;
        }
    }

    /// <summary>Removes every document (tests).</summary>
    public void Clear()
    {
        lock (gate)
        {
            byUniqueId.Clear();
            uniqueIdByEntryUuid.Clear();
        }
    }

    internal void CountRefused() => Interlocked.Increment(ref refused);

    /// <summary>Registers documents atomically after <paramref name="check"/> passes under the lock.</summary>
    internal IReadOnlyList<XdsRegistryError> Register(IReadOnlyList<SandboxDocument> documents, IReadOnlyList<(string Source, string Target)> replacements, Func<Func<string, SandboxDocument?>, Func<string, SandboxDocument?>, IReadOnlyList<XdsRegistryError>> check)
    {
        lock (gate)
        {
            var errors = check(u => byUniqueId.GetValueOrDefault(u), e => uniqueIdByEntryUuid.TryGetValue(e, out var u) ? byUniqueId.GetValueOrDefault(u) : null);
            if (errors.Count > 0)
            {
                refused++;
                return errors;
            }

            foreach (var d in documents)
            {
                byUniqueId[d.Entry.UniqueId] = d;
                uniqueIdByEntryUuid[d.Entry.EntryUuid] = d.Entry.UniqueId;
            }

            foreach (var (_, target) in replacements)
            {
                if (uniqueIdByEntryUuid.TryGetValue(target, out var u) && byUniqueId.TryGetValue(u, out var old))
                {
                    byUniqueId[u] = old with { Entry = old.Entry with { Status = XdsUuids.Deprecated } };
                }
            }

            accepted++;
            return [];
        }
    }
}
