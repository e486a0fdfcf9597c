using System.Runtime.CompilerServices;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;
using SanteGateway.Ror;

namespace SanteGateway.Server.Ror;

/// <summary>The application's <see cref="IRorPort"/> over the ROR client (the national ROR or the sandbox).</summary>
public sealed class RorClientPort : IRorPort
{
    /// <summary>Resource types asked for by the deltas.</summary>
    private static readonly string[] DeltaTypes = ["Organization", "HealthcareService", "Location", "Practitioner", "PractitionerRole"];
    private readonly RorClient _client;
    private readonly ILogger<RorClientPort> _logger;

    /// <summary>Creates the port.</summary>
    /// <param name="client">The ROR client (owned by the container).</param>
    /// <param name="logger">Logger.</param>
    public RorClientPort(RorClient client, ILogger<RorClientPort> logger)
    {
        _client = client;
        _logger = logger;
    }

    /// <summary>Page size of the delta searches.</summary>
    public int DeltaPageSize { get; init; } = 1000;

    /// <summary>Beyond this many changes of one type, the delta uses <c>$export?_since</c> (the ROR's search cap).</summary>
    public int SearchCap { get; init; } = 10_000;

    /// <inheritdoc />
    public string Endpoint => _client.Options.FhirBase.ToString();

    /// <inheritdoc />
    public Task<string> StartExportAsync(CancellationToken cancellationToken) =>
        Call(async () => (await _client.StartExportAsync(new RorExportRequest { Types = DeltaTypes }, cancellationToken).ConfigureAwait(false)).StatusUri.ToString());

    /// <inheritdoc />
    public Task<RorExportManifestData> WaitForExportAsync(string job, CancellationToken cancellationToken) =>
        Call(async () =>
        {
            var manifest = await _client.WaitForExportAsync(new RorExportJob(new Uri(job)), cancellationToken: cancellationToken).ConfigureAwait(false);
            return new RorExportManifestData(manifest.TransactionTime, manifest.Files.Select(f => new RorExportFileRef(f.Type, f.Url.ToString(), f.Count)).ToList());
        });

    /// <inheritdoc />
    public async IAsyncEnumerable<RorResourceData> ReadExportFileAsync(RorExportFileRef file, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(file);
        await foreach (var data in ReadIndexedAsync(new RorExportFile(file.Type, new Uri(file.Url), file.Count), type: null, cancellationToken).ConfigureAwait(false))
        {
            yield return data;
        }
    }

    /// <summary>
    /// The resources of an export file indexed from their JSON (System.Text.Json, no FHIR object model: the full load reads
    /// every resource of the ROR this way), the text stored as received. <paramref name="type"/> keeps one type only.
    /// </summary>
    private async IAsyncEnumerable<RorResourceData> ReadIndexedAsync(RorExportFile file, string? type, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var record in Wrap(_client.ReadExportRecordsAsync(file, cancellationToken), cancellationToken).ConfigureAwait(false))
        {
            RorResourceData? data;
            using (record)
            {
                data = type is null || record.ResourceType == type ? RorJsonIndexer.Index(record.Root, record.Json) : null;
            }

            if (data is not null)
            {
                yield return data;
            }
        }
    }

    /// <inheritdoc />
    public async Task DeleteExportAsync(string job, CancellationToken cancellationToken)
    {
        try
        {
            await _client.DeleteExportAsync(new RorExportJob(new Uri(job)), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RorException or HttpRequestException or UriFormatException)
        {
            _logger.LogDebug("ROR export job deletion failed: {Error}", ex.Message);
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<RorResourceData> ReadChangesAsync(DateTimeOffset since, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var type in DeltaTypes)
        {
            var search = new RorSearch(type).LastUpdated(since).Count(DeltaPageSize);
            var first = true;
            var tooMany = false;
            await foreach (var page in Wrap(_client.SearchPagesAsync(search, cancellationToken), cancellationToken).ConfigureAwait(false))
            {
                if (first && page.Total > SearchCap)
                {
                    tooMany = true;
                    break;
                }

                first = false;
                foreach (var entry in page.Entry)
                {
                    if (entry.Resource is { } r && (entry.Search?.Mode is null or Bundle.SearchEntryMode.Match) && r.TypeName == type && RorResourceIndexer.Index(r) is { } data)
                    {
                        yield return data;
                    }
                }
            }

            if (tooMany)
            {
                // More changes than a search may page through: the bulk export with _since has no cap.
                _logger.LogInformation("ROR delta of {Type}: over {Cap} changes, using $export", type, SearchCap);
                var job = await Call(async () => await _client.StartExportAsync(new RorExportRequest { Types = [type], Since = since }, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
                var manifest = await Call(() => _client.WaitForExportAsync(job, cancellationToken: cancellationToken)).ConfigureAwait(false);
                foreach (var file in manifest.Files.Where(f => f.Type == type))
                {
                    await foreach (var data in ReadIndexedAsync(file, type, cancellationToken).ConfigureAwait(false))
                    {
                        yield return data;
                    }
                }

                await DeleteExportAsync(job.StatusUri.ToString(), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <inheritdoc />
    public Task<RorCapacityChangeResult> SetCapacityAsync(RorCapacityChange change, CancellationToken cancellationToken) =>
        Call(async () =>
        {
            ArgumentNullException.ThrowIfNull(change);
            var result = await _client.SetCapacityAsync(new RorCapacityUpdate
            {
                EgIdentifier = change.EgIdentifier,
                ExternalId = change.ExternalId,
                CapacityType = change.CapacityType,
                CapacityStatus = change.CapacityStatus,
                Temporality = change.Temporality,
                TemporaryAssignment = change.TemporaryAssignment,
                Gender = change.Gender,
                Count = change.Count,
                UpdatedAt = change.UpdatedAt,
            }, cancellationToken: cancellationToken).ConfigureAwait(false);
            var diagnostics = result.OperationOutcome?.Issue.Select(i => i.Diagnostics ?? i.Details?.Text).FirstOrDefault(d => d is not null);
            return new RorCapacityChangeResult((RorCapacityChangeOutcome)(int)result.Outcome, result.Succeeded ? null : diagnostics, result.AlertRecipients);
        });

    /// <summary>Maps the client's typed errors to the port's.</summary>
    internal static RorPortException Map(Exception ex) => ex switch
    {
        RorAuthenticationException a => new RorPortException(RorFailureKind.Authentication, a.Message, a),
        RorRequestException { Kind: RorErrorKind.Unauthorized or RorErrorKind.Forbidden } r => new RorPortException(RorFailureKind.Authentication, r.Message, r),
        RorRequestException { Kind: RorErrorKind.NotFound or RorErrorKind.Gone } r => new RorPortException(RorFailureKind.NotFound, r.Message, r),
        RorRequestException { Kind: RorErrorKind.Server or RorErrorKind.Throttled } r => new RorPortException(RorFailureKind.Unavailable, r.Message, r),
        RorRequestException r => new RorPortException(RorFailureKind.Rejected, r.Message, r),
        TimeoutException t => new RorPortException(RorFailureKind.Unavailable, t.Message, t),
        _ => new RorPortException(RorFailureKind.Unavailable, ex.Message, ex),
    };

    // Polly's ExecutionRejectedException (the resilience handler's timeout, an open circuit) is not a TimeoutException:
    // without it a slow ROR crashed the synchronisation instead of failing it (seen on a starved machine).
    private static bool IsClientFailure(Exception ex) => ex is RorException or HttpRequestException or TimeoutException or System.Security.Authentication.AuthenticationException
                                                          or Polly.ExecutionRejectedException
                                                          || ex is TaskCanceledException { InnerException: TimeoutException };

    private static async Task<T> Call<T>(Func<Task<T>> action)
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (Exception ex) when (IsClientFailure(ex))
        {
            throw Map(ex);
        }
    }

    /// <summary>Enumerates a client stream, turning its failures into <see cref="RorPortException"/>.</summary>
    private static async IAsyncEnumerable<T> Wrap<T>(IAsyncEnumerable<T> source, [EnumeratorCancellation] CancellationToken ct)
    {
        var e = source.GetAsyncEnumerator(ct);
        await using (e.ConfigureAwait(false))
        {
            while (true)
            {
                T current;
                try
                {
                    if (!await e.MoveNextAsync().ConfigureAwait(false))
                    {
                        yield break;
                    }

                    current = e.Current;
                }
                catch (Exception ex) when (IsClientFailure(ex))
                {
                    throw Map(ex);
                }

                yield return current;
            }
        }
    }
}
