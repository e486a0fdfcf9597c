namespace SanteGateway.Testing;

/// <summary>Locates the repository and the read-only reference material in <c>../shared</c>.</summary>
internal static class TestPaths
{
    private static readonly Lazy<string> Root = new(FindRoot);

    /// <summary>The repository root (the folder holding SanteGateway.slnx).</summary>
    public static string RepoRoot => Root.Value;

    /// <summary>The shared reference folder: SANTEGW_SHARED, else <c>../shared</c> beside the repository.</summary>
    public static string Shared
    {
        get
        {
            var fromEnv = Environment.GetEnvironmentVariable("SANTEGW_SHARED");
            if (!string.IsNullOrEmpty(fromEnv))
            {
                return fromEnv;
            }

            var beside = Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared"));
            if (!Directory.Exists(beside))
            {
                throw new DirectoryNotFoundException($"shared/ reference folder not found at {beside}; set SANTEGW_SHARED.");
            }

            return beside;
        }
    }

    /// <summary>A path inside <c>shared/</c>, e.g. <c>SharedFile("data", "insi", "cnda")</c>.</summary>
    public static string SharedFile(params string[] parts) => Path.Combine([Shared, .. parts]);

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "SanteGateway.slnx")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new DirectoryNotFoundException("SanteGateway.slnx not found above the test binaries.");
    }
}
