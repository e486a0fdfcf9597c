using BenchmarkDotNet.Attributes;
using SanteGateway.Identity;

namespace SanteGateway.Benchmarks;

/// <summary>Hot paths of the INS domain: matricule validation and the INSi profile on already-clean names.
/// Goals (docs/performance.md): ≥ 50 M validations/s and ≥ 5 M normalisations/s on one core, no allocation.</summary>
[MemoryDiagnoser]
public class IdentityBenchmarks
{
    private const string Corsican = "297022A02077878";
    private const string Plain = "279035121518989";
    private const string CleanBirthName = "DE LA TOUR D'AUVERGNE--MARTIN";
    private const string CleanFirstNames = "PIERRE-ALAIN MURIEL FLORIANT";
    private string _dirtyBirthName = "";

    /// <summary>Builds the non-constant input once.</summary>
    [GlobalSetup]
    public void Setup() => _dirtyBirthName = "de la Tour d’Auvergne--Müller";

    /// <summary>Validation of a matricule with a Corsican department (the slow branch).</summary>
    [Benchmark]
    public bool ValidateCorsicanMatricule() => InsMatricule.IsValid(Corsican);

    /// <summary>Validation of an all-digit matricule.</summary>
    [Benchmark]
    public bool ValidatePlainMatricule() => InsMatricule.IsValid(Plain);

    /// <summary>Normalising a birth name that is already in the profile (returns the same instance).</summary>
    [Benchmark]
    public string? NormalizeCleanBirthName() => InsiLexicalProfile.NormalizeBirthName(CleanBirthName).Value;

    /// <summary>Normalising a first-name list that is already in the profile.</summary>
    [Benchmark]
    public string? NormalizeCleanFirstNames() => InsiLexicalProfile.NormalizeFirstNames(CleanFirstNames).Value;

    /// <summary>Conformity check of a clean birth name.</summary>
    [Benchmark]
    public bool IsConformBirthName() => InsiLexicalProfile.IsConformBirthName(CleanBirthName);

    /// <summary>For reference: normalising a name that needs work (allocates the result).</summary>
    [Benchmark]
    public string? NormalizeDirtyBirthName() => InsiLexicalProfile.NormalizeBirthName(_dirtyBirthName).Value;
}
