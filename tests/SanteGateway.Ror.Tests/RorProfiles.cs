using Hl7.Fhir.Model;
using SanteGateway.Interop.Fhir.Validation;
using SanteGateway.Testing;

[assembly: AssemblyFixture(typeof(SanteGateway.Ror.Tests.RorValidatorFixture))]

namespace SanteGateway.Ror.Tests;

/// <summary>
/// The official ROR IG 0.1.0 definitions in shared/ (the only complete release), loaded once per test run through the
/// product's <see cref="RorProfileSet"/>: the corrections without which Firely cannot compile them are made in memory there
/// (documented in its remarks and in docs/conformance.md), and the three 0.1.0-versus-current drift texts are tolerated.
/// </summary>
public sealed class RorValidatorFixture
{
    private readonly Lazy<RorProfileSet> _profiles = new(() => RorProfileSet.Load([IgDirectory]));

    /// <summary>The ROR IG 0.1.0 folder in shared/ (never modified).</summary>
    public static string IgDirectory => TestPaths.SharedFile("data", "fhir", "ror", "ROR-IG_0.1.0");

    public RorProfileSet Profiles => _profiles.Value;

    public FhirProfileValidator Validator => Profiles.Validator;

    /// <summary>Errors against the ROR profile of the resource's type, drift tolerated.</summary>
    public IReadOnlyList<FhirValidationIssue> Errors(Resource resource) => Profiles.Errors(resource);
}
