using SanteGateway.Interop.Fhir.Validation;
using SanteGateway.Testing;

[assembly: AssemblyFixture(typeof(SanteGateway.Interop.Fhir.Tests.FrCoreValidatorFixture))]

namespace SanteGateway.Interop.Fhir.Tests;

/// <summary>One FR Core 2.2.0 validator for the whole test assembly: building and warming it costs seconds.</summary>
public sealed class FrCoreValidatorFixture
{
    private readonly Lazy<FhirProfileValidator> _validator = new(() => new FhirProfileValidator(FhirValidatorOptions.FrCore(TestPaths.Shared)));

    public FhirProfileValidator Validator => _validator.Value;
}
