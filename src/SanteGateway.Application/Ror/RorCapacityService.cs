using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using SanteGateway.Store;
using SanteGateway.Store.Audit;

namespace SanteGateway.Application;

/// <summary>Result of <see cref="RorCapacityService.SetAsync"/>.</summary>
/// <param name="Error">A field and the rule it breaks (nothing was sent), or null.</param>
/// <param name="Result">The ROR's outcome when the figure was sent.</param>
public sealed record RorCapacitySetResult(string? Error, RorCapacityChangeResult? Result);

/// <summary>A field of a capacity figure that breaks a rule.</summary>
/// <param name="Field">Field name (<c>egIdentifier</c>, <c>externalId</c>, <c>capacityType</c>, <c>capacityStatus</c>, <c>temporality</c>, <c>temporaryAssignment</c>, <c>gender</c>, <c>count</c>).</param>
/// <param name="Message">The rule, in English, prefixed by the field (<c>count: between 0 and 100000</c>).</param>
public sealed record RorCapacityFieldError(string Field, string Message);

/// <summary>
/// Feeds capacity figures to the ROR through <see cref="IRorPort"/> after checking every field, and records every figure
/// the ROR answered for in the audit trail: who, which Location (EG/external id, and the mirrored resource when known),
/// the figure the mirror held before and the one sent, with the ROR's outcome.
/// </summary>
public sealed partial class RorCapacityService
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };
    private readonly IRorPort _port;
    private readonly GatewayDbContext _db;
    private readonly TimeProvider _time;
    private readonly ILogger<RorCapacityService> _logger;

    /// <summary>Creates the service.</summary>
    /// <param name="port">The ROR.</param>
    /// <param name="db">Database (mirror and audit trail).</param>
    /// <param name="time">Clock.</param>
    /// <param name="logger">Logger.</param>
    public RorCapacityService(IRorPort port, GatewayDbContext db, TimeProvider time, ILogger<RorCapacityService> logger)
    {
        _port = port;
        _db = db;
        _time = time;
        _logger = logger;
    }

    /// <summary>Checks a figure: the first field that breaks a rule, or null.</summary>
    /// <param name="change">The figure.</param>
    /// <returns>A message naming the field and the rule.</returns>
    public static string? Validate(RorCapacityChange change) => ValidateAll(change).FirstOrDefault()?.Message;

    /// <summary>Checks a figure: every field that breaks a rule (a form shows them all at once).</summary>
    /// <param name="change">The figure.</param>
    /// <returns>The errors, in field order; empty when the figure may be sent.</returns>
    public static IReadOnlyList<RorCapacityFieldError> ValidateAll(RorCapacityChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        var errors = new List<RorCapacityFieldError>();
        if (string.IsNullOrWhiteSpace(change.EgIdentifier) || change.EgIdentifier.Length > 64 || change.EgIdentifier.Contains('/', StringComparison.Ordinal))
        {
            errors.Add(new("egIdentifier", "egIdentifier: the EG's idNatStruct is required (no '/', at most 64 characters)"));
        }

        if (string.IsNullOrWhiteSpace(change.ExternalId) || change.ExternalId.Length > 64 || change.ExternalId.Contains('/', StringComparison.Ordinal))
        {
            errors.Add(new("externalId", "externalId: the Location's external sync id is required (no '/', at most 64 characters)"));
        }

        foreach (var (field, value, required) in new[]
                 {
                     ("capacityType", change.CapacityType, true), ("capacityStatus", change.CapacityStatus, true), ("temporality", change.Temporality, true),
                     ("temporaryAssignment", change.TemporaryAssignment, true), ("gender", change.Gender, false),
                 })
        {
            if (value is null ? required : !Code().IsMatch(value))
            {
                errors.Add(new(field, field + ": a code of 1 to 8 letters or digits is required (JDV J187–J195)"));
            }
        }

        if (change.Count is < 0 or > 100_000)
        {
            errors.Add(new("count", "count: between 0 and 100000"));
        }

        return errors;
    }

    /// <summary>Checks then sends one figure, and audits what the ROR answered.</summary>
    /// <param name="change">The figure.</param>
    /// <param name="actor">Who sends it (recorded in the audit trail).</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The validation error, or the ROR's outcome (alerts included).</returns>
    /// <exception cref="RorPortException">The ROR could not be reached or refused the client (nothing changed; logged, not audited).</exception>
    public async Task<RorCapacitySetResult> SetAsync(RorCapacityChange change, Actor actor, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (Validate(change) is { } error)
        {
            return new RorCapacitySetResult(error, null);
        }

        var (locationId, previous) = await MirroredFigureAsync(change, ct).ConfigureAwait(false);
        var result = await _port.SetCapacityAsync(change, ct).ConfigureAwait(false);
        if (result.AlertRecipients is not null)
        {
            _logger.LogWarning("ROR capacity feed for {Location}: {Outcome}; alert {Recipients}", change.EgIdentifier + "/" + change.ExternalId, result.Outcome, result.AlertRecipients);
        }

        // The ROR has answered: the figure it now holds (or its refusal) goes into the trail, whatever the caller does next.
        await AuditAsync(change, actor, locationId, previous, result).ConfigureAwait(false);
        return new RorCapacitySetResult(null, result);
    }

    private async Task AuditAsync(RorCapacityChange change, Actor actor, string? locationId, RorCapacityFigure? previous, RorCapacityChangeResult result)
    {
        var action = "ror.capacity." + result.Outcome switch
        {
            RorCapacityChangeOutcome.Replaced => "replaced",
            RorCapacityChangeOutcome.Added => "added",
            RorCapacityChangeOutcome.LocationNotFound => "location-not-found",
            RorCapacityChangeOutcome.MultipleMatches => "multiple-matches",
            _ => "rejected",
        };
        var indicator = new { type = change.CapacityType, status = change.CapacityStatus, temporality = change.Temporality, assignment = change.TemporaryAssignment, gender = change.Gender };
        var before = previous is null ? null : JsonSerializer.Serialize(new { indicator, count = previous.Count, updatedAt = previous.UpdatedAt }, Json);
        var after = JsonSerializer.Serialize(new
        {
            location = locationId, indicator, count = change.Count, updatedAt = change.UpdatedAt, outcome = result.Outcome.ToString(), alert = result.AlertRecipients,
        }, Json);
        var entityId = change.EgIdentifier + "/" + change.ExternalId;
        var strategy = _db.Database.CreateExecutionStrategy();
        try
        {
            await strategy.ExecuteAsync(async () =>
            {
                // Not cancellable: the ROR already holds the figure, the trail must say so.
                await using var tx = await _db.Database.BeginTransactionAsync(CancellationToken.None).ConfigureAwait(false);
                await AuditTrail.AppendAsync(_db, new AuditEntry(actor.Name, actor.Source, action, "ror-location", entityId, before, after), _time, CancellationToken.None).ConfigureAwait(false);
                await _db.SaveChangesAsync(CancellationToken.None).ConfigureAwait(false);
                await tx.CommitAsync(CancellationToken.None).ConfigureAwait(false);
            }).ConfigureAwait(false);
        }
        finally
        {
            // A committed chain head must not be reused by a later append of this context (another instance may append meanwhile).
            foreach (var head in _db.AuditChainHeads.Local.ToList())
            {
                _db.Entry(head).State = EntityState.Detached;
            }
        }
    }

    /// <summary>The mirrored Location the figure names (managed by the EG with this idNatStruct, with this external id) and its current figure for the same indicator.</summary>
    private async Task<(string? LocationId, RorCapacityFigure? Figure)> MirroredFigureAsync(RorCapacityChange change, CancellationToken ct)
    {
        var eg = change.EgIdentifier;
        var orgIds = _db.RorResources.Where(o => o.ResourceType == RorTypes.Organization && o.Identifier == eg).Select(o => o.ResourceId);
        var candidates = await _db.RorResources.AsNoTracking().Where(l => l.ResourceType == RorTypes.Location && orgIds.Contains(l.OrganizationId!))
            .Select(l => new { l.ResourceId, l.Summary }).Take(5000).ToListAsync(ct).ConfigureAwait(false);
        foreach (var c in candidates)
        {
            var summary = RorIndex.ReadSummary(c.Summary);
            if (!string.Equals(summary.ExternalId, change.ExternalId, StringComparison.Ordinal))
            {
                continue;
            }

            var figure = summary.Capacities.FirstOrDefault(f => f.CapacityType == change.CapacityType && f.CapacityStatus == change.CapacityStatus
                                                                && (f.Temporality ?? "01") == change.Temporality && (f.TemporaryAssignment ?? "01") == change.TemporaryAssignment
                                                                && f.Gender == change.Gender);
            return (c.ResourceId, figure);
        }

        return (null, null);
    }

    [GeneratedRegex("^[A-Za-z0-9]{1,8}$")]
    private static partial Regex Code();
}

/// <summary>Registration of the ROR use cases.</summary>
public static class RorServiceCollectionExtensions
{
    /// <summary>Registers <see cref="RorSyncService"/>, <see cref="RorDirectory"/>, <see cref="RorCapacityService"/> (scoped) and <see cref="UnconfiguredRorPort"/> unless a port is registered.</summary>
    /// <param name="services">Services.</param>
    /// <returns>The same services.</returns>
    public static IServiceCollection AddRorUseCases(this IServiceCollection services)
    {
        services.AddOptions<RorSyncOptions>();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IRorPort, UnconfiguredRorPort>();
        services.TryAddScoped<RorSyncService>();
        services.TryAddScoped<RorDirectory>();
        services.TryAddScoped<RorCapacityService>();
        return services;
    }
}
