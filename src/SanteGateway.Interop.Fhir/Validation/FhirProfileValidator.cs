using System.Collections.Concurrent;
using System.Diagnostics;
using Firely.Fhir.Validation;
using Hl7.Fhir.Model;
using Hl7.Fhir.Specification.Source;
using Hl7.Fhir.Specification.Terminology;
using Task = System.Threading.Tasks.Task;

namespace SanteGateway.Interop.Fhir.Validation;

/// <summary>Where the validator finds its definitions.</summary>
public sealed record FhirValidatorOptions
{
    /// <summary>IG folders and FHIR packages (<c>.tgz</c>) in priority order, e.g. <c>shared/data/fhir/fr-core/2.2.0/package.tgz</c>.
    /// The R4 core definitions always come from <c>Hl7.Fhir.Specification.Data.R4</c> (<c>specification.zip</c>).</summary>
    public required IReadOnlyList<string> DefinitionPaths { get; init; }

    /// <summary>
    /// Canonical prefixes for which a versioned reference (<c>url|5.2.0</c>) that cannot be found falls back to the unversioned
    /// definition. Default: the HL7 core extensions, because FR Core 2.2.0 points at <c>hl7.fhir.uv.extensions.r4#5.2.0</c>
    /// (<c>patient-birthPlace</c>, <c>humanname-assembly-order</c>), a package not in <c>shared/</c>, whereas the R4 core
    /// specification carries the same extensions (4.0.1). Every substitution is listed in <see cref="FhirProfileValidator.Substitutions"/>.
    /// </summary>
    public IReadOnlyList<string> VersionFallbackPrefixes { get; init; } = ["http://hl7.org/fhir/StructureDefinition/"];

    /// <summary>The FR Core 2.2.0 package inside a <c>shared</c> folder.</summary>
    /// <param name="sharedRoot">The <c>shared</c> folder (holding <c>data/fhir</c>).</param>
    /// <returns>Options loading FR Core 2.2.0 only.</returns>
    public static FhirValidatorOptions FrCore(string sharedRoot) => new()
    {
        DefinitionPaths = [Path.Combine(sharedRoot, "data", "fhir", "fr-core", "2.2.0", "package.tgz")],
    };
}

/// <summary>One validation message.</summary>
/// <param name="Severity"><c>fatal</c>, <c>error</c>, <c>warning</c> or <c>information</c>.</param>
/// <param name="Code">The OperationOutcome issue type (e.g. <c>invariant</c>, <c>code-invalid</c>).</param>
/// <param name="Location">Where, as a FHIRPath expression (e.g. <c>Patient.identifier[0]</c>).</param>
/// <param name="Message">What is wrong.</param>
public sealed record FhirValidationIssue(string Severity, string Code, string Location, string Message)
{
    /// <summary>True for <c>error</c> and <c>fatal</c>.</summary>
    public bool IsError => Severity is "error" or "fatal";

    /// <inheritdoc/>
    public override string ToString() => $"{Severity} {Code} at {Location}: {Message}";
}

/// <summary>The outcome of a validation.</summary>
/// <param name="Outcome">The OperationOutcome returned by the Firely validator.</param>
/// <param name="Issues">Its issues, flattened.</param>
public sealed record FhirValidationReport(OperationOutcome Outcome, IReadOnlyList<FhirValidationIssue> Issues)
{
    /// <summary>Errors and fatal issues.</summary>
    public IReadOnlyList<FhirValidationIssue> Errors => Issues.Where(i => i.IsError).ToArray();

    /// <summary>Warnings (unknown NOS code systems, extensible bindings…).</summary>
    public IReadOnlyList<FhirValidationIssue> Warnings => Issues.Where(i => i.Severity == "warning").ToArray();

    /// <summary>True when there is no error.</summary>
    public bool IsValid => !Issues.Any(i => i.IsError);
}

/// <summary>
/// Validates resources against official profiles (FR Core, ROR, PDSm…) with <c>Firely.Fhir.Validation</c>.
/// Build one per process and share it: the first validation against a profile compiles its schema (seconds), later ones are fast.
/// </summary>
/// <remarks>Terminology is checked locally (<see cref="LocalTerminologyService"/>) against the loaded ValueSets and CodeSystems;
/// codes from code systems that are not loaded (NOS TRE-R13 communes…) give warnings, not errors.</remarks>
public sealed class FhirProfileValidator
{
    private readonly Validator _validator;
    private readonly FallbackResolver _resolver;

    /// <summary>Loads the definitions and prepares the validator (the R4 core zip is extracted on first use).</summary>
    /// <param name="options">Where the definitions are.</param>
    public FhirProfileValidator(FhirValidatorOptions options)
        : this(Stopwatch.GetTimestamp(), options)
    {
    }

    /// <summary>Prepares the validator over definitions already indexed (e.g. the corrected ROR profiles of <see cref="RorProfileSet"/>).</summary>
    /// <param name="definitions">The IG definitions.</param>
    /// <param name="versionFallbackPrefixes">See <see cref="FhirValidatorOptions.VersionFallbackPrefixes"/>; null for its default.</param>
    public FhirProfileValidator(FhirDefinitionSource definitions, IReadOnlyList<string>? versionFallbackPrefixes = null)
        : this(Stopwatch.GetTimestamp(), definitions, versionFallbackPrefixes ?? new FhirValidatorOptions { DefinitionPaths = [] }.VersionFallbackPrefixes)
    {
    }

    private FhirProfileValidator(long started, FhirValidatorOptions options)
        : this(started, new FhirDefinitionSource((options ?? throw new ArgumentNullException(nameof(options))).DefinitionPaths), options.VersionFallbackPrefixes)
    {
    }

    private FhirProfileValidator(long started, FhirDefinitionSource definitions, IReadOnlyList<string> versionFallbackPrefixes)
    {
        ArgumentNullException.ThrowIfNull(definitions);
        Definitions = definitions;
        var core = ZipSource.CreateValidationSource();
        _resolver = new FallbackResolver(new MultiResolver(Definitions, core), versionFallbackPrefixes);
        var cached = new CachedResolver(_resolver);
        var terminology = new LocalTerminologyService(cached);
        _validator = new Validator(cached, terminology, null, null, null);
        StartupTime = Stopwatch.GetElapsedTime(started);
    }

    /// <summary>The loaded IG definitions.</summary>
    public FhirDefinitionSource Definitions { get; }

    /// <summary>How long the constructor took.</summary>
    public TimeSpan StartupTime { get; }

    /// <summary>Versioned canonicals that were resolved to another version (see <see cref="FhirValidatorOptions.VersionFallbackPrefixes"/>).</summary>
    public IReadOnlyCollection<string> Substitutions => _resolver.Substitutions.Keys.ToArray();

    /// <summary>Validates a resource against a profile (or, when null, its <c>meta.profile</c> and base definition).</summary>
    /// <param name="resource">The resource.</param>
    /// <param name="profile">The canonical of the profile, or null.</param>
    /// <returns>The report.</returns>
    public FhirValidationReport Validate(Resource resource, string? profile = null)
    {
        ArgumentNullException.ThrowIfNull(resource);
        var outcome = _validator.Validate(resource, profile);
        var issues = outcome.Issue
            .Select(i => new FhirValidationIssue(
                (i.Severity ?? OperationOutcome.IssueSeverity.Information).ToString().ToLowerInvariant(),
                Hl7.Fhir.Utility.EnumUtility.GetLiteral(i.Code) ?? "unknown",
                string.Join(", ", i.Expression ?? []),
                i.Details?.Text ?? i.Diagnostics ?? string.Empty))
            .ToArray();
        return new FhirValidationReport(outcome, issues);
    }

    private sealed class FallbackResolver(IAsyncResourceResolver inner, IReadOnlyList<string> prefixes) : IAsyncResourceResolver
    {
        public ConcurrentDictionary<string, bool> Substitutions { get; } = new(StringComparer.Ordinal);

        public async Task<ResolverResult> TryResolveByCanonicalUriAsync(string uri)
        {
            var found = await inner.TryResolveByCanonicalUriAsync(uri).ConfigureAwait(false);
            if (found.Value is not null)
            {
                return found;
            }

            var bar = uri.IndexOf('|', StringComparison.Ordinal);
            if (bar > 0 && prefixes.Any(p => uri.StartsWith(p, StringComparison.Ordinal)))
            {
                var unversioned = await inner.TryResolveByCanonicalUriAsync(uri[..bar]).ConfigureAwait(false);
                if (unversioned.Value is not null)
                {
                    Substitutions.TryAdd(uri, true);
                    return unversioned;
                }
            }

            return found;
        }

        public Task<ResolverResult> TryResolveByUriAsync(string uri) => inner.TryResolveByUriAsync(uri);

        public async Task<Resource?> ResolveByCanonicalUriAsync(string uri) => (await TryResolveByCanonicalUriAsync(uri).ConfigureAwait(false)).Value;

        public async Task<Resource?> ResolveByUriAsync(string uri) => (await TryResolveByUriAsync(uri).ConfigureAwait(false)).Value;
    }
}
