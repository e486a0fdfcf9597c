using SanteGateway.Testing;

namespace SanteGateway.Insi.Tests;

internal static class InsiFiles
{
    public static string Recorded(string name) => TestPaths.SharedFile("data", "insi", "recorded", name);

    public static string Cnda(string name) => TestPaths.SharedFile("data", "insi", "cnda", name);

    public static string Xsd => TestPaths.SharedFile("data", "insi", "contract", "xsd");

    public static byte[] Bytes(string path) => File.ReadAllBytes(path);

    public static IEnumerable<string> AllResponseFiles() =>
        Directory.EnumerateFiles(TestPaths.SharedFile("data", "insi", "recorded"), "*.xml")
            .Where(f => !f.EndsWith(".request.xml", StringComparison.Ordinal))
            .Concat(Directory.EnumerateFiles(TestPaths.SharedFile("data", "insi", "cnda"), "*.xml"))
            .OrderBy(f => f, StringComparer.Ordinal);
}
