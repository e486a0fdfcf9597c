using BenchmarkDotNet.Attributes;
using Hl7.Fhir.Model;
using SanteGateway.Identity;
using SanteGateway.Interop.Cda;
using SanteGateway.Interop.Fhir;
using SanteGateway.Interop.Fhir.Validation;

namespace SanteGateway.Benchmarks;

/// <summary>
/// FHIR Patient and CDA header (docs/performance.md): goals ≥ 20,000 Patient serialise + parse per second and ≥ 10,000 CDA
/// headers read per second, on one core; the FR Core validation rate is measured. Reference material from <c>../shared</c>
/// (or <c>SANTEGW_SHARED</c>).
/// </summary>
[MemoryDiagnoser]
public class InteropBenchmarks
{
    private FhirPatientSource _source = null!;
    private Patient _patient = null!;
    private string _json = null!;
    private string _cdaSmall = null!;
    private string _cdaLarge = null!;
    private FhirProfileValidator _validator = null!;

    [GlobalSetup]
    public void Setup()
    {
        var traits = IdentityTraits.Create("ECETINSI", ["PIERRE-ALAIN", "MURIEL", "FLORIANT"], "PIERRE-ALAIN", Sex.Male,
            new BirthDate(new DateOnly(2009, 7, 14), false), "63220", "MARTIN", "PIERRE").Value!;
        InsIdentifier.TryCreate("109076322083489", InsOids.Nir, InsPolicy.Production, out var ins, out _);
        InsIdentifier.TryCreate("209076322083439", InsOids.Nir, InsPolicy.Production, out var old, out _);
        var identity = RnivIdentity.Restore(traits, IdentityStatus.Qual, IdentityAttributes.None, ins, [old!],
            new Identity.Evidence("CN", new DateOnly(2025, 3, 14), null), CollectionChannel.INSI, new DateTimeOffset(2025, 3, 14, 0, 0, 0, TimeSpan.Zero)).Value!;
        _source = new FhirPatientSource(identity) { Id = "42", LocalIdentifiers = [new LocalIdentifier("1.2.250.1.71.4.2.7", "000003")] };
        _patient = FrCorePatientWriter.Write(_source).Patient;
        _json = FhirFormats.ToJson(_patient);
        var shared = SharedFolder();
        var examples = Path.Combine(shared, "data", "cda", "TestContenuCDA-3-0", "ExemplesCDA");
        _cdaSmall = File.ReadAllText(Path.Combine(examples, "VAC-NOTE_2023.01.xml"));
        _cdaLarge = File.ReadAllText(Path.Combine(examples, "DOC_NON_STRUCTURE_CDA-R2-N1.xml"));
        _validator = new FhirProfileValidator(FhirValidatorOptions.FrCore(shared));
        _validator.Validate(_patient, FrCore.PatientInsProfile); // compile the schemas once
    }

    /// <summary>Identity → FR Core Patient → JSON → Patient → identity (what one exchange costs both sides).</summary>
    [Benchmark]
    public FhirPatientReadResult FhirWriteSerializeParseRead()
    {
        var json = FhirFormats.ToJson(FrCorePatientWriter.Write(_source).Patient);
        return FrCorePatientText.Read(json);
    }

    /// <summary>Patient → JSON.</summary>
    [Benchmark]
    public string FhirSerialize() => FhirFormats.ToJson(_patient);

    /// <summary>JSON → Patient.</summary>
    [Benchmark]
    public Patient FhirParse() => FhirFormats.ParseJson<Patient>(_json).Resource;

    /// <summary>JSON → Patient without the SDK's per-element value checks.</summary>
    [Benchmark]
    public Patient FhirParseUnchecked() => FhirFormats.ParseJson<Patient>(_json, checkValues: false).Resource;

    /// <summary>Validation of one qualified Patient against FR Core Patient INS 2.2.0 (warm validator).</summary>
    [Benchmark]
    public bool FhirValidate() => _validator.Validate(_patient, FrCore.PatientInsProfile).IsValid;

    /// <summary>CDA header of a 24 kB document (VAC-NOTE).</summary>
    [Benchmark]
    public CdaHeader CdaHeaderSmall() => CdaHeaderReader.Read(_cdaSmall);

    /// <summary>CDA header of a 448 kB document with an embedded PDF (reading stops at the body).</summary>
    [Benchmark]
    public CdaHeader CdaHeaderLarge() => CdaHeaderReader.Read(_cdaLarge);

    private static string SharedFolder()
    {
        if (Environment.GetEnvironmentVariable("SANTEGW_SHARED") is { Length: > 0 } env)
        {
            return env;
        }

        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "SanteGateway.slnx")))
        {
            dir = dir.Parent;
        }

        return Path.GetFullPath(Path.Combine(dir?.FullName ?? ".", "..", "shared"));
    }
}
