using BenchmarkDotNet.Attributes;
using SanteGateway.Identity;
using SanteGateway.Interop.Hl7v2.Er7;
using SanteGateway.Interop.Hl7v2.Pam;

namespace SanteGateway.Benchmarks;

/// <summary>HL7 v2 hot path: parse an ADT message and extract the patient identity (INS, traits, status).
/// Goal (docs/performance.md): ≥ 100,000 messages/s on one core for parse + identity extraction.</summary>
[MemoryDiagnoser]
public class Hl7Benchmarks
{
    private static readonly PamReadOptions AllowTest = new() { InsPolicy = InsPolicy.AllowTestAndDemo };
    private byte[] _adt = [];
    private Hl7Message _parsed = null!;

    /// <summary>Loads the ANS PAM France admission (ADT^A01 with ZFD, 1.35 kB, test INS, PID-32 VALI).</summary>
    [GlobalSetup]
    public void Setup()
    {
        _adt = File.ReadAllBytes(SharedFile("data", "hl7v2", "adt-dmp-consent.er7"));
        _parsed = Hl7Reader.Read(_adt);
    }

    /// <summary>Parse only (bytes to segments; fields are split lazily).</summary>
    [Benchmark]
    public int Parse() => Hl7Reader.Read(_adt).Segments.Count;

    /// <summary>Parse + identity extraction: the goal row.</summary>
    [Benchmark]
    public string? ParseAndExtractIdentity()
    {
        var patient = PamIdentityReader.Read(Hl7Reader.Read(_adt), AllowTest);
        return patient?.Ins?.Matricule.Value;
    }

    /// <summary>Writing a parsed message back to bytes.</summary>
    [Benchmark]
    public int Write() => _parsed.ToBytes().Length;

    private static string SharedFile(params string[] parts)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "SanteGateway.slnx")))
        {
            dir = dir.Parent;
        }

        var shared = Environment.GetEnvironmentVariable("SANTEGW_SHARED")
            ?? Path.Combine(dir?.FullName ?? throw new DirectoryNotFoundException("SanteGateway.slnx not found."), "..", "shared");
        return Path.Combine([shared, .. parts]);
    }
}
