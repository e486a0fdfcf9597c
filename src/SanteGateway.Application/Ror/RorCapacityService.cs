using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace SanteGateway.Application;

/// <summary>Result of <see cref="RorCapacityService.SetAsync"/>.</summary>
/// <param name="Error">A field and the rule it breaks (nothing was sent), or null.</param>
/// <param name="Result">The ROR's outcome when the figure was sent.</param>
public sealed record RorCapacitySetResult(string? Error, RorCapacityChangeResult? Result);

/// <summary>Feeds capacity figures to the ROR through <see cref="IRorPort"/> after checking every field.</summary>
public sealed partial class RorCapacityService
{
    private readonly IRorPort _port;
    private readonly ILogger<RorCapacityService> _logger;

    /// <summary>Creates the service.</summary>
    /// <param name="port">The ROR.</param>
    /// <param name="logger">Logger.</param>
    public RorCapacityService(IRorPort port, ILogger<RorCapacityService> logger)
    {
        _port = port;
        _logger = logger;
    }

    /// <summary>Checks a figure: the first field that breaks a rule, or null.</summary>
    /// <param name="change">The figure.</param>
    /// <returns>A message naming the field and the rule.</returns>
    public static string? Validate(RorCapacityChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        if (string.IsNullOrWhiteSpace(change.EgIdentifier) || change.EgIdentifier.Length > 64 || change.EgIdentifier.Contains('/', StringComparison.Ordinal))
        {
            return "egIdentifier: the EG's idNatStruct is required (no '/', at most 64 characters)";
        }

        if (string.IsNullOrWhiteSpace(change.ExternalId) || change.ExternalId.Length > 64 || change.ExternalId.Contains('/', StringComparison.Ordinal))
        {
            return "externalId: the Location's external sync id is required (no '/', at most 64 characters)";
        }

        foreach (var (field, value, required) in new[]
                 {
                     ("capacityType", change.CapacityType, true), ("capacityStatus", change.CapacityStatus, true), ("temporality", change.Temporality, true),
                     ("temporaryAssignment", change.TemporaryAssignment, true), ("gender", change.Gender, false),
                 })
        {
            if (value is null ? required : !Code().IsMatch(value))
            {
                return field + ": a code of 1 to 8 letters or digits is required (JDV J187–J195)";
            }
        }

        if (change.Count is < 0 or > 100_000)
        {
            return "count: between 0 and 100000";
        }

        return null;
    }

    /// <summary>Checks then sends one figure.</summary>
    /// <param name="change">The figure.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The validation error, or the ROR's outcome (alerts included).</returns>
    /// <exception cref="RorPortException">The ROR could not be reached or refused the client.</exception>
    public async Task<RorCapacitySetResult> SetAsync(RorCapacityChange change, CancellationToken ct = default)
    {
        if (Validate(change) is { } error)
        {
            return new RorCapacitySetResult(error, null);
        }

        var result = await _port.SetCapacityAsync(change, ct).ConfigureAwait(false);
        if (result.AlertRecipients is not null)
        {
            _logger.LogWarning("ROR capacity feed for {Location}: {Outcome}; alert {Recipients}", change.EgIdentifier + "/" + change.ExternalId, result.Outcome, result.AlertRecipients);
        }

        return new RorCapacitySetResult(null, result);
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
