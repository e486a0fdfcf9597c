namespace SanteGateway.Application.Batch;

/// <summary>The outcomes an item can end in (exactly one per item).</summary>
public static class BatchOutcomes
{
    /// <summary>Verify: INSi confirms the INS and the traits. Search: INSi returned an INS whose traits match exactly (applied, identity RECUP).</summary>
    public const string Confirmed = "confirmed";

    /// <summary>INSi holds a newer INS: it became active and the old one went to history.</summary>
    public const string Replaced = "replaced";

    /// <summary>INSi answered with other traits or another INS, or the INS is held by another identity: nothing changed, vigilance alerted.</summary>
    public const string Mismatch = "mismatch";

    /// <summary>INSi does not know the person with these traits.</summary>
    public const string NotFound = "not-found";

    /// <summary>INSi returned several identities.</summary>
    public const string Ambiguous = "ambiguous";

    /// <summary>The input cannot be sent (rule given): bad CSV row, INSi alphabet, no INS to verify, non-live identity.</summary>
    public const string InputRefused = "input-refused";

    /// <summary>INSi or the network failed after every retry.</summary>
    public const string ServiceError = "service-error";

    /// <summary>Every outcome, in report order.</summary>
    public static readonly IReadOnlyList<string> All = [Confirmed, Replaced, Mismatch, NotFound, Ambiguous, InputRefused, ServiceError];
}

/// <summary>Job statuses.</summary>
public static class BatchStatuses
{
    /// <summary>Waiting for or being processed by workers.</summary>
    public const string Running = "running";

    /// <summary>Paused: workers claim nothing more (items already claimed finish).</summary>
    public const string Paused = "paused";

    /// <summary>Cancelled: items not yet processed stay unprocessed.</summary>
    public const string Cancelled = "cancelled";

    /// <summary>Every item has its outcome.</summary>
    public const string Done = "done";
}

/// <summary>Selection of identities from the store.</summary>
/// <param name="Status">RNIV statuses to include (PROV, RECUP, VALI, QUAL); empty = any.</param>
/// <param name="CreatedFrom">Identities created on or after this date.</param>
/// <param name="CreatedTo">Identities created on or before this date.</param>
/// <param name="VerifiedBeforeDays">Verify only: last verification older than this many days (never verified counts as old).</param>
public sealed record StoreFilter(IReadOnlyList<string>? Status = null, DateOnly? CreatedFrom = null, DateOnly? CreatedTo = null, int? VerifiedBeforeDays = null);

/// <summary>A new batch job.</summary>
/// <param name="Kind"><c>verify</c> (identities holding an INS) or <c>search</c> (identities without INS).</param>
/// <param name="Filter">Store selection (when no CSV is given).</param>
/// <param name="Csv">CSV content (UTF-8), instead of a store selection.</param>
/// <param name="CsvName">Name of the CSV file, for the report.</param>
/// <param name="RatePerSecond">Global INSi calls per second (null = the configured default; 0 = unlimited).</param>
/// <param name="Concurrency">Concurrent calls per worker (null = configured default).</param>
public sealed record CreateBatchJobRequest(string Kind, StoreFilter? Filter = null, byte[]? Csv = null, string? CsvName = null, double? RatePerSecond = null, int? Concurrency = null)
{
    /// <summary>
    /// FINESS of the establishment the job acts for (its INSi calls present that establishment's INSI-AUTO certificate);
    /// null = the creator's establishment, else the default one. A creator bound to an establishment may only name their own.
    /// </summary>
    public string? Establishment { get; init; }
}

/// <summary>A job and its progress.</summary>
/// <param name="Id">Job id.</param>
/// <param name="Kind"><c>verify</c> or <c>search</c>.</param>
/// <param name="Source"><c>store</c> or <c>csv</c>.</param>
/// <param name="Status">Status.</param>
/// <param name="Total">Items.</param>
/// <param name="Done">Items with an outcome.</param>
/// <param name="Counts">Items by outcome (every outcome listed, zero included).</param>
/// <param name="RatePerSecond">Global rate limit (0 = none).</param>
/// <param name="Concurrency">Concurrent calls per worker.</param>
/// <param name="CreatedBy">Who created it.</param>
/// <param name="CreatedAt">When.</param>
/// <param name="StartedAt">First item claimed.</param>
/// <param name="FinishedAt">Last outcome, or cancellation.</param>
public sealed record BatchJobView(
    Guid Id, string Kind, string Source, string Status, int Total, int Done, IReadOnlyDictionary<string, int> Counts, double RatePerSecond, int Concurrency,
    string CreatedBy, DateTimeOffset CreatedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt)
{
    /// <summary>FINESS of the establishment the job acts for (null = the default one).</summary>
    public string? Establishment { get; init; }
}

/// <summary>Settings of batch jobs.</summary>
public sealed class BatchOptions
{
    /// <summary>Default global rate (calls/second across instances); conservative for the real service. 0 = unlimited.</summary>
    public double DefaultRatePerSecond { get; set; } = 5;

    /// <summary>Default concurrent calls per worker.</summary>
    public int DefaultConcurrency { get; set; } = 2;

    /// <summary>
    /// Items a worker claims at once; they are written in one transaction (a paced job claims at most five seconds of
    /// calls). Larger chunks mean fewer commits; a chunk interrupted by a crash is redone whole.
    /// </summary>
    public int ChunkSize { get; set; } = 100;

    /// <summary>How long a claim lasts past its last scheduled call; a dead worker's items become claimable after it.</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Attempts of an item whose INSi call fails before it ends as <c>service-error</c>.</summary>
    public int MaxServiceAttempts { get; set; } = 3;

    /// <summary>Delay before the first retry of a failed call (doubled each time).</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Largest CSV accepted, in bytes.</summary>
    public long MaxCsvBytes { get; set; } = 512L * 1024 * 1024;

    /// <summary>
    /// Hard limit, in MB, on the managed heap of a <c>santegw batch</c> run on a data folder while it follows its job; 0
    /// (the default) = none. Its live data is ≈ 10 MB with chunks of 100 and 48 MB saves ≈ 25 MB of resident memory, but
    /// on a loaded machine a run ran out under so tight a limit (an
    /// <see cref="OutOfMemoryException"/> ends the run; <c>santegw batch resume</c> continues it): for machines short of
    /// memory only. Never below 32 MB + 64 KB per item of a chunk. The gateway itself (<c>serve</c>) is never limited by it.
    /// </summary>
    public int LocalHeapLimitMB { get; set; }
}
