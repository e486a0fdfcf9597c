using System.Diagnostics;
using SanteGateway.Identity;
using SanteGateway.Interop.Fhir;
using SanteGateway.Interop.Fhir.Validation;

namespace SanteGateway.Benchmarks;

/// <summary>
/// <c>validator-startup [SHARED]</c>: what a process pays before its first FR Core validation (constructor: package index + R4 core
/// source; first validation: schema compilation), then the steady validation rate. Not a BenchmarkDotNet run: start-up happens once.
/// </summary>
internal static class ValidatorStartup
{
    public static int Run(string[] args)
    {
        var shared = args.Length > 0 ? args[0] : Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "..", "shared"));
        var traits = IdentityTraits.Create("TCHITCHI", ["CATARINA", "BELLA"], "CATARINA", Sex.Female, new BirthDate(new DateOnly(1936, 6, 21), false), "63220").Value!;
        InsIdentifier.TryCreate("236066322083656", InsOids.Nir, InsPolicy.Production, out var ins, out _);
        var identity = RnivIdentity.Restore(traits, IdentityStatus.Qual, IdentityAttributes.None, ins, [], new Evidence("CN", new DateOnly(2025, 1, 2), null), CollectionChannel.INSI, null).Value!;
        var patient = FrCorePatientWriter.Write(new FhirPatientSource(identity)).Patient;

        var sw = Stopwatch.StartNew();
        var validator = new FhirProfileValidator(FhirValidatorOptions.FrCore(shared));
        var constructed = sw.Elapsed;
        sw.Restart();
        var first = validator.Validate(patient, FrCore.PatientInsProfile);
        var firstValidation = sw.Elapsed;
        sw.Restart();
        var n = 0;
        while (sw.Elapsed < TimeSpan.FromSeconds(10))
        {
            validator.Validate(patient, FrCore.PatientInsProfile);
            n++;
        }

        Console.WriteLine($"constructor {constructed.TotalMilliseconds:F0} ms; first validation {firstValidation.TotalMilliseconds:F0} ms ({first.Errors.Count} errors); "
            + $"then {n / sw.Elapsed.TotalSeconds:F0} validations/s ({sw.Elapsed.TotalMilliseconds / n:F2} ms each)");
        return first.IsValid ? 0 : 1;
    }
}
