namespace SanteGateway.Application;

/// <summary>
/// The national ROR (FHIR MEV3) as the use cases see it: bulk export, changes since an instant, capacity feed. The host
/// implements it over the ROR client (the national service or the sandbox); resources arrive already indexed in neutral
/// form (<see cref="RorResourceData"/>) so that the application never handles FHIR objects.
/// </summary>
public interface IRorPort
{
    /// <summary>Where the port points (the FHIR base URL), for status screens.</summary>
    string Endpoint { get; }

    /// <summary>Starts a full bulk export (<c>$export</c> of the five main resources).</summary>
    /// <param name="cancellationToken">Cancellation.</param>
    /// <returns>The job reference (its status URL), kept so that an interrupted load resumes.</returns>
    /// <exception cref="RorPortException">The ROR refused or could not be reached.</exception>
    Task<string> StartExportAsync(CancellationToken cancellationToken);

    /// <summary>Waits until an export job is complete.</summary>
    /// <param name="job">Job reference from <see cref="StartExportAsync"/>.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    /// <returns>The manifest.</returns>
    /// <exception cref="RorPortException">The job failed, expired (<see cref="RorFailureKind.NotFound"/>) or timed out.</exception>
    Task<RorExportManifestData> WaitForExportAsync(string job, CancellationToken cancellationToken);

    /// <summary>Streams the resources of one export file.</summary>
    /// <param name="file">A file of the manifest.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    /// <returns>The resources, indexed.</returns>
    IAsyncEnumerable<RorResourceData> ReadExportFileAsync(RorExportFileRef file, CancellationToken cancellationToken);

    /// <summary>Asks the ROR to drop a finished export (best effort: never throws).</summary>
    /// <param name="job">Job reference.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    /// <returns>A task.</returns>
    Task DeleteExportAsync(string job, CancellationToken cancellationToken);

    /// <summary>
    /// Every resource of the five types changed since <paramref name="since"/> (<c>_lastUpdated</c> searches followed
    /// page by page; the adapter falls back to <c>$export?_since</c> beyond the ROR's 10,000-result cap).
    /// </summary>
    /// <param name="since">Changes from this instant (inclusive).</param>
    /// <param name="cancellationToken">Cancellation.</param>
    /// <returns>The changed resources, indexed.</returns>
    IAsyncEnumerable<RorResourceData> ReadChangesAsync(DateTimeOffset since, CancellationToken cancellationToken);

    /// <summary>Feeds one capacity figure (FHIRPath Patch on the Location found by EG/external id).</summary>
    /// <param name="change">The figure.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    /// <returns>The outcome, including the three alert cases; throws only for transport or authentication failures.</returns>
    /// <exception cref="RorPortException">The ROR could not be reached, refused the client, or answered an unexpected error.</exception>
    Task<RorCapacityChangeResult> SetCapacityAsync(RorCapacityChange change, CancellationToken cancellationToken);
}

/// <summary>Why a ROR call failed.</summary>
public enum RorFailureKind
{
    /// <summary>Network, TLS, timeout, 5xx after retries.</summary>
    Unavailable,

    /// <summary>The token endpoint or the API refused the client (401/403).</summary>
    Authentication,

    /// <summary>Unknown export job or resource (404/410).</summary>
    NotFound,

    /// <summary>The ROR refused the request (4xx with an OperationOutcome).</summary>
    Rejected,
}

/// <summary>A failed call to the ROR, typed, with the server's diagnostics (never identity data).</summary>
public sealed class RorPortException : Exception
{
    /// <summary>Creates the exception.</summary>
    public RorPortException()
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">Message.</param>
    public RorPortException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">Message.</param>
    /// <param name="inner">Cause.</param>
    public RorPortException(string message, Exception inner)
        : base(message, inner)
    {
    }

    /// <summary>Creates a typed exception.</summary>
    /// <param name="kind">Failure kind.</param>
    /// <param name="message">Message.</param>
    /// <param name="inner">Cause.</param>
    public RorPortException(RorFailureKind kind, string message, Exception? inner = null)
        : base(message, inner)
    {
        Kind = kind;
    }

    /// <summary>Failure kind.</summary>
    public RorFailureKind Kind { get; }
}

/// <summary>The manifest of a finished export.</summary>
/// <param name="TransactionTime">Instant the export reflects: the next delta starts there.</param>
/// <param name="Files">Files in the manifest's order.</param>
public sealed record RorExportManifestData(DateTimeOffset TransactionTime, IReadOnlyList<RorExportFileRef> Files);

/// <summary>One export file.</summary>
/// <param name="Type">Resource type.</param>
/// <param name="Url">Download URL.</param>
/// <param name="Count">Resources announced, when known.</param>
public sealed record RorExportFileRef(string Type, string Url, long? Count);

/// <summary>A coded value of a resource, with its kind (<c>activity</c>, <c>family</c>, <c>type</c>, <c>category</c>, <c>org-type</c>, <c>profession</c>…).</summary>
/// <param name="Kind">Which element it came from.</param>
/// <param name="Code">Code.</param>
/// <param name="Display">Label, when the ROR gave one.</param>
public sealed record RorCode(string Kind, string Code, string? Display);

/// <summary>One capacity record of a Location (J187–J195 codes).</summary>
/// <param name="CapacityType">J187 (<c>01</c> lit, <c>02</c> place…).</param>
/// <param name="CapacityStatus">J188 (<c>02</c> disponible…).</param>
/// <param name="Temporality">J189.</param>
/// <param name="TemporaryAssignment">J195.</param>
/// <param name="Gender">J190.</param>
/// <param name="Count">Beds or places.</param>
/// <param name="UpdatedAt">When the figure was last updated.</param>
public sealed record RorCapacityFigure(string? CapacityType, string? CapacityStatus, string? Temporality, string? TemporaryAssignment, string? Gender, int? Count, DateTimeOffset? UpdatedAt);

/// <summary>A ROR resource in neutral form: identity, the FHIR JSON as received, and what the local search needs.</summary>
public sealed record RorResourceData
{
    /// <summary>Resource type.</summary>
    public required string ResourceType { get; init; }

    /// <summary>Logical id.</summary>
    public required string Id { get; init; }

    /// <summary><c>meta.versionId</c>.</summary>
    public string? VersionId { get; init; }

    /// <summary><c>meta.lastUpdated</c>.</summary>
    public DateTimeOffset LastUpdated { get; init; }

    /// <summary>The resource as FHIR JSON.</summary>
    public required string Json { get; init; }

    /// <summary>Display name.</summary>
    public string? Name { get; init; }

    /// <summary>Main identifier.</summary>
    public string? Identifier { get; init; }

    /// <summary>Organization it hangs from (id).</summary>
    public string? OrganizationId { get; init; }

    /// <summary>First Location (offer), parent Location, or role Location (id).</summary>
    public string? LocationId { get; init; }

    /// <summary>Offer of a PractitionerRole (id).</summary>
    public string? ServiceId { get; init; }

    /// <summary>Practitioner of a PractitionerRole (id).</summary>
    public string? PractitionerId { get; init; }

    /// <summary>INSEE commune code.</summary>
    public string? CommuneCode { get; init; }

    /// <summary>Commune name.</summary>
    public string? City { get; init; }

    /// <summary>Postal code.</summary>
    public string? PostalCode { get; init; }

    /// <summary>Address on one line.</summary>
    public string? Address { get; init; }

    /// <summary>Region tag.</summary>
    public string? Region { get; init; }

    /// <summary>Coded values the search uses (activities, categories, types, professions).</summary>
    public IReadOnlyList<RorCode> Codes { get; init; } = [];

    /// <summary>Capacity records (Location).</summary>
    public IReadOnlyList<RorCapacityFigure> Capacities { get; init; } = [];

    /// <summary>Sensitive unit (offer).</summary>
    public bool Sensitive { get; init; }

    /// <summary>External sync id of a Location (the id the capacity feed uses), when present.</summary>
    public string? ExternalId { get; init; }
}

/// <summary>One capacity figure to feed (the fields of the documented PATCH).</summary>
public sealed record RorCapacityChange
{
    /// <summary>IdNatStruct of the EG (FINESS prefixed with 1).</summary>
    public required string EgIdentifier { get; init; }

    /// <summary>External sync id of the Location (idExterneSynchro).</summary>
    public required string ExternalId { get; init; }

    /// <summary>J187 code.</summary>
    public required string CapacityType { get; init; }

    /// <summary>J188 code.</summary>
    public required string CapacityStatus { get; init; }

    /// <summary>J189 code (default <c>01</c> courant).</summary>
    public string Temporality { get; init; } = "01";

    /// <summary>J195 code (default <c>01</c>).</summary>
    public string TemporaryAssignment { get; init; } = "01";

    /// <summary>J190 code, optional.</summary>
    public string? Gender { get; init; }

    /// <summary>Beds or places.</summary>
    public required int Count { get; init; }

    /// <summary>When the figure was measured.</summary>
    public required DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>What happened to a capacity figure.</summary>
public enum RorCapacityChangeOutcome
{
    /// <summary>Replaced.</summary>
    Replaced,

    /// <summary>Added (the indicator did not exist).</summary>
    Added,

    /// <summary>No Location with this EG/external id (alert the GRADeS).</summary>
    LocationNotFound,

    /// <summary>Several Locations match (alert the GRADeS and the establishment).</summary>
    MultipleMatches,

    /// <summary>Business rule refused (alert the GRADeS and the establishment).</summary>
    BusinessRuleRejected,
}

/// <summary>Answer of <see cref="IRorPort.SetCapacityAsync"/>.</summary>
/// <param name="Outcome">What happened.</param>
/// <param name="Diagnostics">The ROR's diagnostics for the alert cases.</param>
/// <param name="AlertRecipients">Who must be alerted (<c>GRADeS</c>, <c>GRADeS+establishment</c>) or null.</param>
public sealed record RorCapacityChangeResult(RorCapacityChangeOutcome Outcome, string? Diagnostics, string? AlertRecipients)
{
    /// <summary>True when the ROR now holds the figure.</summary>
    public bool Succeeded => Outcome is RorCapacityChangeOutcome.Replaced or RorCapacityChangeOutcome.Added;
}

/// <summary>Used when no ROR is configured: every call fails with <see cref="RorFailureKind.Unavailable"/>.</summary>
public sealed class UnconfiguredRorPort : IRorPort
{
    private const string Message = "No ROR is configured (Ror:Mode none).";

    /// <inheritdoc />
    public string Endpoint => "";

    /// <inheritdoc />
    public Task<string> StartExportAsync(CancellationToken cancellationToken) => throw new RorPortException(RorFailureKind.Unavailable, Message);

    /// <inheritdoc />
    public Task<RorExportManifestData> WaitForExportAsync(string job, CancellationToken cancellationToken) => throw new RorPortException(RorFailureKind.Unavailable, Message);

    /// <inheritdoc />
    public IAsyncEnumerable<RorResourceData> ReadExportFileAsync(RorExportFileRef file, CancellationToken cancellationToken) => throw new RorPortException(RorFailureKind.Unavailable, Message);

    /// <inheritdoc />
    public Task DeleteExportAsync(string job, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public IAsyncEnumerable<RorResourceData> ReadChangesAsync(DateTimeOffset since, CancellationToken cancellationToken) => throw new RorPortException(RorFailureKind.Unavailable, Message);

    /// <inheritdoc />
    public Task<RorCapacityChangeResult> SetCapacityAsync(RorCapacityChange change, CancellationToken cancellationToken) => throw new RorPortException(RorFailureKind.Unavailable, Message);
}
