using Microsoft.Extensions.Options;
using SanteGateway.Interop.Fhir;
using SanteGateway.Interop.Fhir.Validation;

namespace SanteGateway.Server.Ror;

/// <summary>
/// The application's <see cref="IRorResourceValidator"/> over the Firely validator and the official ROR profiles
/// (<see cref="RorProfileSet"/>, corrected in memory). The profiles are loaded on the first validation, not at start:
/// loading and compiling them costs seconds, paid by the validation phase of a synchronisation, never by the gateway's start.
/// </summary>
public sealed class FirelyRorResourceValidator : IRorResourceValidator
{
    private readonly string[] _paths;
    private readonly ILogger<FirelyRorResourceValidator> _logger;
    private readonly Lock _gate = new();
    private RorProfileSet? _profiles;

    /// <summary>Creates the validator (nothing is read yet).</summary>
    /// <param name="options">Where the ROR profiles are (<c>Ror:Validation:Definitions</c>).</param>
    /// <param name="logger">Logger.</param>
    public FirelyRorResourceValidator(IOptions<RorValidationOptions> options, ILogger<FirelyRorResourceValidator> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _paths = [.. options.Value.Definitions];
        _logger = logger;
    }

    /// <summary>Creates the validator over profiles already loaded (an embedding application, tests sharing one set).</summary>
    /// <param name="profiles">The ROR profile set.</param>
    /// <param name="logger">Logger, or null.</param>
    public FirelyRorResourceValidator(RorProfileSet profiles, ILogger<FirelyRorResourceValidator>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(profiles);
        _profiles = profiles;
        _paths = [];
        _logger = logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger<FirelyRorResourceValidator>.Instance;
    }

    /// <summary>The loaded profile set (loads it on first use).</summary>
    /// <exception cref="RorValidationUnavailableException">The definitions are missing or hold no ROR profile.</exception>
    public RorProfileSet Profiles
    {
        get
        {
            lock (_gate)
            {
                if (_profiles is null)
                {
                    if (_paths.Length == 0)
                    {
                        throw new RorValidationUnavailableException("no ROR profiles configured (Ror:Validation:Definitions)");
                    }

                    try
                    {
                        _profiles = RorProfileSet.Load(_paths);
                    }
                    catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException or InvalidDataException or System.Text.Json.JsonException)
                    {
                        // Not cached: a folder fixed while the gateway runs is picked up by the next synchronisation.
                        throw new RorValidationUnavailableException("the ROR profiles cannot be loaded: " + ex.Message, ex);
                    }

                    _logger.LogInformation("ROR profiles {Version} loaded for validation ({Profiles} profiles, {Corrections} corrections made in memory)",
                        _profiles.Version, _profiles.Profiles.Count, _profiles.Corrections.Count);
                }

                return _profiles;
            }
        }
    }

    /// <inheritdoc />
    public RorValidationOutcome Validate(string resourceType, string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        var profiles = Profiles;
        IReadOnlyList<FhirValidationIssue> errors;
        try
        {
            errors = profiles.Errors(json);
        }
        catch (FhirFormatException ex)
        {
            return new RorValidationOutcome([new RorValidationIssue(resourceType, "not a readable FHIR resource: " + ex.Message)]);
        }

        return new RorValidationOutcome(errors.Select(e => new RorValidationIssue(e.Location, e.Message)).ToArray());
    }
}
