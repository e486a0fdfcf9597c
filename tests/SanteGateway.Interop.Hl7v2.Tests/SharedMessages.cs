using SanteGateway.Testing;

namespace SanteGateway.Interop.Hl7v2.Tests;

/// <summary>Every HL7 v2 message of ../shared/data/hl7v2 and ../shared/data/hl7v2-ans (files that start with MSH).</summary>
internal static class SharedMessages
{
    private static readonly Lazy<string[]> Files = new(() =>
        new[] { TestPaths.SharedFile("data", "hl7v2"), TestPaths.SharedFile("data", "hl7v2-ans") }
            .Where(Directory.Exists)
            .SelectMany(d => Directory.EnumerateFiles(d, "*", SearchOption.AllDirectories))
            .Where(StartsWithMsh)
            .Order(StringComparer.Ordinal)
            .ToArray());

    public static IReadOnlyList<string> All => Files.Value;

    /// <summary>Paths relative to shared/data, for test case names.</summary>
    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var f in All)
        {
            data.Add(Path.GetRelativePath(TestPaths.SharedFile("data"), f));
        }

        return data;
    }

    public static byte[] Read(string relative) => File.ReadAllBytes(TestPaths.SharedFile("data", relative));

    private static bool StartsWithMsh(string path)
    {
        using var f = File.OpenRead(path);
        Span<byte> head = stackalloc byte[3];
        return f.Read(head) == 3 && head.SequenceEqual("MSH"u8);
    }
}
