using SanteGateway.Interop.Fhir.Validation;
using SanteGateway.Testing;

[assembly: AssemblyFixture(typeof(SanteGateway.Documents.Tests.PdsmValidatorFixture))]

namespace SanteGateway.Documents.Tests;

/// <summary>
/// One Firely validator with the official PDSm 3.1.1 package and the FR Core 2.1.0 package it depends on (from
/// ../shared/data/fhir), for the whole test assembly: building and warming it costs seconds.
/// </summary>
public sealed class PdsmValidatorFixture
{
    private readonly Lazy<FhirProfileValidator> validator = new(() => new FhirProfileValidator(new FhirValidatorOptions
    {
        DefinitionPaths =
        [
            TestPaths.SharedFile("data", "fhir", "pdsm", "PDSm_3.1.1", "package.tgz"),
            TestPaths.SharedFile("data", "fhir", "fr-core", "2.1.0", "package.tgz"),
        ],
    }));

    public FhirProfileValidator Validator => validator.Value;
}
