using BenchmarkDotNet.Attributes;
using SanteGateway.DataMatrix;
using SanteGateway.Identity;

namespace SanteGateway.Benchmarks;

/// <summary>INS DataMatrix: goals ≤ 200 µs for payload + symbol + PNG, ≤ 20 µs for the symbol alone (docs/performance.md).</summary>
[MemoryDiagnoser]
public class DataMatrixBenchmarks
{
    private InsDataMatrixPayload _payload = null!;
    private string _text = null!;
    private BitMatrix _modules = null!;
    private byte[] _png = null!;

    [GlobalSetup]
    public void Setup()
    {
        InsDataMatrixPayload.TryCreate("279035121518989", InsOids.Test, "DOMINIQUE", "PAT-TROIS", Sex.Female, new DateOnly(1979, 3, 28), "63220", out var p, out _);
        _payload = p!;
        _text = _payload.ToText();
        _modules = DataMatrixEncoder.Encode(_text).Modules;
        _png = DataMatrixRenderer.RenderPng(_modules);
    }

    /// <summary>Plain values → validated payload → 36x36 symbol → PNG (6 px modules).</summary>
    [Benchmark]
    public byte[] PayloadSymbolPng()
    {
        InsDataMatrixPayload.TryCreate("279035121518989", InsOids.Test, "DOMINIQUE", "PAT-TROIS", Sex.Female, new DateOnly(1979, 3, 28), "63220", out var p, out _);
        return InsDataMatrix.RenderPng(p!);
    }

    /// <summary>Payload text → symbol (encodation, Reed–Solomon, placement).</summary>
    [Benchmark]
    public BitMatrix SymbolOnly() => DataMatrixEncoder.Encode(_text).Modules;

    /// <summary>Payload → SVG text.</summary>
    [Benchmark]
    public string Svg() => InsDataMatrix.RenderSvg(_payload);

    /// <summary>Modules → checked payload (reverse placement, Reed–Solomon, data decoding, payload rules).</summary>
    [Benchmark]
    public InsDataMatrixPayload? DecodeModules()
    {
        DataMatrixDecoder.TryDecode(_modules, out var r, out _);
        InsDataMatrixPayload.TryParse(r!.Text, out var p, out _);
        return p;
    }

    /// <summary>PNG → checked payload.</summary>
    [Benchmark]
    public InsDataMatrixPayload? ReadPng()
    {
        InsDataMatrix.TryReadImage(_png, out var p, out _);
        return p;
    }
}
