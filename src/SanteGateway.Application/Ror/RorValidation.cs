using System.Globalization;
using System.Text;

namespace SanteGateway.Application;

/// <summary>Which mirrored resources the synchronisation validates against the ROR profiles.</summary>
public enum RorValidationMode
{
    /// <summary>None (nothing is marked, nothing validated).</summary>
    Off,

    /// <summary>A sample (<see cref="RorValidationOptions.SampleRate"/>) of the resources new or changed in each run.</summary>
    Sample,

    /// <summary>Every resource new or changed in a run; the initial load (every resource is new) validates a sample only.</summary>
    Changed,

    /// <summary>Every resource received, changed or not (an audit of the whole mirror; costs milliseconds per resource).</summary>
    All,
}

/// <summary>Settings of the profile validation of the ROR mirror (configuration section <c>Ror:Validation</c>).</summary>
public sealed class RorValidationOptions
{
    /// <summary>What is validated (default <see cref="RorValidationMode.Changed"/>).</summary>
    public RorValidationMode Mode { get; set; } = RorValidationMode.Changed;

    /// <summary>
    /// Share of the resources validated when sampling (mode <see cref="RorValidationMode.Sample"/>, and the initial load in mode
    /// <see cref="RorValidationMode.Changed"/>), from 0 to 1. The choice is a stable hash of the resource's type and id: the
    /// same resources are sampled in every run. Default 0.01 (1 %).
    /// </summary>
    public double SampleRate { get; set; } = 0.01;

    /// <summary>
    /// Where the ROR profiles are: folders of the IG's JSON definitions or its <c>package.tgz</c>. Without them no
    /// validator is registered and nothing is validated, whatever the mode.
    /// </summary>
    public IList<string> Definitions { get; } = [];

    /// <summary>Errors kept per invalid resource (the first ones).</summary>
    public int MaxIssues { get; set; } = 3;

    /// <summary>Resources validated between two writes of their results.</summary>
    public int BatchSize { get; set; } = 200;

    /// <summary>
    /// Resources validated at once (threads), default the number of processors: validation is CPU only and the validator is
    /// thread-safe; the verdicts do not depend on it. 1 validates one resource at a time.
    /// </summary>
    public int Parallelism { get; set; } = Environment.ProcessorCount;
}

/// <summary>One error found by the validation of a mirrored resource.</summary>
/// <param name="Location">Where, as a FHIRPath expression (e.g. <c>HealthcareService.identifier</c>).</param>
/// <param name="Message">What is wrong (the validator's text).</param>
public sealed record RorValidationIssue(string Location, string Message);

/// <summary>The result of validating one resource.</summary>
/// <param name="Errors">Errors, empty when the resource conforms to its ROR profile.</param>
public sealed record RorValidationOutcome(IReadOnlyList<RorValidationIssue> Errors)
{
    /// <summary>True when there is no error.</summary>
    public bool IsValid => Errors.Count == 0;
}

/// <summary>
/// Validates a mirrored ROR resource against the official ROR profile of its type. The host implements it with the Firely
/// validator (the application never handles FHIR objects); register it only when profiles are configured.
/// </summary>
public interface IRorResourceValidator
{
    /// <summary>Validates one resource as the ROR served it. Called from several threads at once (<see cref="RorValidationOptions.Parallelism"/>).</summary>
    /// <param name="resourceType">Its type (<c>Location</c>…).</param>
    /// <param name="json">The resource as FHIR JSON.</param>
    /// <returns>The errors (a resource that cannot be read at all is one error).</returns>
    /// <exception cref="RorValidationUnavailableException">The profiles cannot be loaded: nothing can be validated now.</exception>
    RorValidationOutcome Validate(string resourceType, string json);
}

/// <summary>The ROR profiles cannot be loaded (missing or unreadable definitions): the resources stay pending.</summary>
public sealed class RorValidationUnavailableException : Exception
{
    /// <summary>Creates the exception.</summary>
    public RorValidationUnavailableException()
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">Message.</param>
    public RorValidationUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">Message.</param>
    /// <param name="inner">Cause.</param>
    public RorValidationUnavailableException(string message, Exception inner)
        : base(message, inner)
    {
    }
}

/// <summary>Validation status of a mirrored resource, as stored (null: not validated, e.g. sampled out or validation off).</summary>
public static class RorValidationStatus
{
    /// <summary>Stored and waiting for its validation (after the batch that stored it).</summary>
    public const string Pending = "pending";

    /// <summary>Conforms to its ROR profile.</summary>
    public const string Valid = "valid";

    /// <summary>Does not conform; the first errors are kept. The resource is kept and searchable all the same.</summary>
    public const string Invalid = "invalid";
}

/// <summary>Which resources are validated, and how results are stored.</summary>
internal static class RorValidationPolicy
{
    /// <summary>Largest stored text of the first errors.</summary>
    public const int MaxIssuesLength = 1024;

    /// <summary>Whether a resource that this run stores (new or changed) is to be validated.</summary>
    public static bool WantsChanged(RorValidationOptions options, bool initialLoad, string type, string id) => options.Mode switch
    {
        RorValidationMode.All => true,
        RorValidationMode.Changed => !initialLoad || Sampled(options.SampleRate, type, id),
        RorValidationMode.Sample => Sampled(options.SampleRate, type, id),
        _ => false,
    };

    /// <summary>A stable choice (FNV-1a of type and id): the same resources are sampled in every run and on every instance.</summary>
    public static bool Sampled(double rate, string type, string id)
    {
        if (rate >= 1)
        {
            return true;
        }

        if (rate <= 0 || double.IsNaN(rate))
        {
            return false;
        }

        var hash = 2166136261u;
        foreach (var c in type + "/" + id)
        {
            hash = unchecked((hash ^ c) * 16777619u);
        }

        return hash / 4294967296.0 < rate;
    }

    /// <summary>The first errors, one per line (<c>location: message</c>), bounded.</summary>
    public static string? Compact(RorValidationOutcome outcome, int maxIssues)
    {
        if (outcome.IsValid)
        {
            return null;
        }

        var text = new StringBuilder();
        foreach (var e in outcome.Errors.Take(Math.Max(1, maxIssues)))
        {
            text.Append(string.IsNullOrEmpty(e.Location) ? e.Message : e.Location + ": " + e.Message).Append('\n');
        }

        if (outcome.Errors.Count > maxIssues)
        {
            text.Append(CultureInfo.InvariantCulture, $"(+{outcome.Errors.Count - maxIssues} more)");
        }

        var s = text.ToString().TrimEnd('\n');
        return s.Length > MaxIssuesLength ? s[..(MaxIssuesLength - 1)] + "…" : s;
    }
}
