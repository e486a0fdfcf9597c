using System.Text.RegularExpressions;
using SanteGateway.Interop.Fhir.Validation;
using SanteGateway.Testing;

[assembly: AssemblyFixture(typeof(SanteGateway.Documents.Tests.PdsmValidatorFixture))]

namespace SanteGateway.Documents.Tests;

/// <summary>
/// One Firely validator with the official PDSm 3.1.1 profiles and the FR Core 2.1.0 package they depend on (from
/// ../shared/data/fhir), for the whole test assembly.
/// </summary>
/// <remarks>
/// The IHE MHD package (ihe.iti.mhd 4.2.x) the PDSm profiles derive from is not in <c>shared/</c> and there is no network:
/// Firely refuses to compile a profile whose base it cannot load. The PDSm StructureDefinitions carry their full
/// snapshot (MHD's constraints merged in), so each is loaded unchanged except for <c>baseDefinition</c>, pointed at the
/// core resource it constrains; every element rule of the snapshot is checked. What still needs the MHD package (its
/// extension definitions, e.g. <c>ihe-sourceId</c>) is reported as unresolvable and listed by <see cref="IsMissingPackage"/>.
/// </remarks>
public sealed partial class PdsmValidatorFixture : IDisposable
{
    private readonly string rebased = Path.Combine(Path.GetTempPath(), "santegw-pdsm-rebased-" + Guid.NewGuid().ToString("N"));
    private readonly Lazy<FhirProfileValidator> validator;

    public PdsmValidatorFixture()
    {
        validator = new(() =>
        {
            Directory.CreateDirectory(rebased);
            foreach (var file in Directory.GetFiles(TestPaths.SharedFile("data", "fhir", "pdsm", "PDSm_3.1.1"), "StructureDefinition-pdsm-*.json"))
            {
                var json = File.ReadAllText(file);
                var type = TypeRegex().Match(json).Groups[1].Value;
                json = IheBase().Replace(json, $"\"baseDefinition\": \"http://hl7.org/fhir/StructureDefinition/{type}\"", 1);
                File.WriteAllText(Path.Combine(rebased, Path.GetFileName(file)), json);
            }

            return new FhirProfileValidator(new FhirValidatorOptions
            {
                DefinitionPaths =
                [
                    rebased,
                    TestPaths.SharedFile("data", "fhir", "pdsm", "PDSm_3.1.1", "package.tgz"),
                    TestPaths.SharedFile("data", "fhir", "fr-core", "2.1.0", "package.tgz"),
                ],
            });
        });
    }

    public FhirProfileValidator Validator => validator.Value;

    /// <summary>An issue that only says a definition of a package absent from shared/ (IHE MHD, ANS annuaire or terminologies) cannot be loaded.</summary>
    /// <remarks>
    /// The SubmissionSet profile itself cannot be compiled without MHD: its <c>designationType</c> extension slice needs
    /// the IHE extension definition (Firely: "Failed to convert ElementDefinition at List.extension:designationType").
    /// That one profile, and the Bundle slice it discriminates, are therefore not checked here (see docs/conformance.md);
    /// the rest of the Bundle and the DocumentReference are.
    /// </remarks>
    public static bool IsMissingPackage(FhirValidationIssue issue) =>
        // The Bundle's SubmissionSet slice is discriminated by that profile, so no entry can match it either.
        issue.Message.Contains("required slice: 'entry:SubmissionSet'", StringComparison.Ordinal)
        || issue.Message.Contains("nable to resolve", StringComparison.Ordinal)
        && (issue.Message.Contains("profiles.ihe.net", StringComparison.Ordinal) || issue.Message.Contains("annuaire", StringComparison.Ordinal)
            || (issue.Message.Contains("pdsm-submissionset-comprehensive", StringComparison.Ordinal) && issue.Message.Contains("List.extension:designationType", StringComparison.Ordinal)));

    public void Dispose()
    {
        try
        {
            Directory.Delete(rebased, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [GeneratedRegex("\"type\"\\s*:\\s*\"([A-Za-z]+)\"")]
    private static partial Regex TypeRegex();

    [GeneratedRegex("\"baseDefinition\"\\s*:\\s*\"https://profiles\\.ihe\\.net/[^\"]+\"")]
    private static partial Regex IheBase();
}
