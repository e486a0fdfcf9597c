using System.Reflection;
using System.Security;
using SanteGateway.Testing;

[assembly: AssemblyFixture(typeof(SanteGateway.Packaging.Tests.PackagedFeed))]

namespace SanteGateway.Packaging.Tests;

/// <summary>
/// Done once for the whole test assembly: packs the packable projects (already built, so with no build) into a
/// temporary feed, copies samples/ beside it as a publisher's own solution would be (its nuget.config pointing at
/// that feed), and builds both samples against the packages just made. Packages restored for the samples go to a
/// private folder (with the user's NuGet folder as a read-only fallback) so that no stale copy of the same version
/// is ever used and nothing is left in the user's caches.
/// </summary>
public sealed class PackagedFeed : IAsyncLifetime
{
    /// <summary>The projects packed, as the publisher gets them.</summary>
    public static readonly string[] LibraryIds =
    [
        "SanteGateway.Identity", "SanteGateway.Insi", "SanteGateway.Insi.Sandbox", "SanteGateway.DataMatrix",
        "SanteGateway.Interop.Hl7v2", "SanteGateway.Interop.Fhir", "SanteGateway.Interop.Cda",
        "SanteGateway.Documents.Xds", "SanteGateway.Documents.Fhir", "SanteGateway.Documents.Sandbox", "SanteGateway.Ror", "SanteGateway.Ror.Sandbox",
    ];

    /// <summary>The package id of the command-line tool.</summary>
    public const string ToolId = "santegw";

    private static readonly TimeSpan PackTimeout = TimeSpan.FromMinutes(15);
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(10);

    /// <summary>Everything this fixture writes, deleted at the end.</summary>
    public string Root { get; } = Path.Combine(Path.GetTempPath(), "santegw-packaging-" + Guid.NewGuid().ToString("N")[..12]);

    /// <summary>The local feed holding the packages.</summary>
    public string Feed => Path.Combine(Root, "feed");

    /// <summary>The private NuGet packages folder for restores and tool installs.</summary>
    public string NuGetPackages => Path.Combine(Root, "nuget-packages");

    /// <summary>The copy of samples/.</summary>
    public string Samples => Path.Combine(Root, "samples");

    /// <summary>The version every package was packed with (MinVer, from git).</summary>
    public string Version { get; private set; } = string.Empty;

    /// <summary>What failed while preparing, shown by every test instead of a vague error.</summary>
    public string? Failure { get; private set; }

    /// <summary>Output of the pack and sample builds, for diagnosis.</summary>
    public string Log { get; private set; } = string.Empty;

    /// <summary>The environment for a restore, build or tool install against the feed.</summary>
    public IReadOnlyDictionary<string, string?> NuGetEnvironment => new Dictionary<string, string?> { ["NUGET_PACKAGES"] = NuGetPackages };

    /// <summary>The configuration the src/ projects were built in (that of this test assembly).</summary>
    public static string BuildConfiguration =>
        typeof(PackagedFeed).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "BuildConfiguration")?.Value ?? "Debug";

    /// <summary>The user's NuGet packages folder, used read-only as a fallback for third-party packages.</summary>
    public static string UserPackagesFolder =>
        Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    /// <inheritdoc />
    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(Feed);
        Directory.CreateDirectory(NuGetPackages);
        var ct = TestContext.Current.CancellationToken;

        // 1. One MSBuild process packs every project (libraries and tool), from the binaries already built.
        var projects = LibraryIds.Select(id => Path.Combine(TestPaths.RepoRoot, "src", id, id + ".csproj"))
            .Append(Path.Combine(TestPaths.RepoRoot, "src", "SanteGateway.Cli", "SanteGateway.Cli.csproj"));
        var packProject = Path.Combine(Root, "pack.proj");
        await File.WriteAllTextAsync(packProject, $"""
            <Project>
              <ItemGroup>
            {string.Join(Environment.NewLine, projects.Select(p => $"    <ToPack Include=\"{SecurityElement.Escape(p)}\" />"))}
              </ItemGroup>
              <Target Name="PackAll">
                <MSBuild Projects="@(ToPack)" Targets="Pack" BuildInParallel="true"
                         Properties="NoBuild=true;Configuration={BuildConfiguration};PackageOutputPath={SecurityElement.Escape(Feed)}/" />
              </Target>
            </Project>
            """, ct);
        var pack = await ProcessRunner.DotnetAsync(["msbuild", packProject, "-t:PackAll", "-nologo", "-v:m", "-m"], Root, PackTimeout, ct: ct);
        Log += "== pack\n" + pack.Output;
        if (pack.ExitCode != 0)
        {
            Failure = "dotnet pack failed:\n" + pack;
            return;
        }

        var identityPackage = Directory.GetFiles(Feed, "SanteGateway.Identity.*.nupkg").SingleOrDefault(f => !f.EndsWith(".snupkg", StringComparison.Ordinal));
        if (identityPackage is null)
        {
            Failure = "no SanteGateway.Identity package in the feed:\n" + pack;
            return;
        }

        Version = Path.GetFileNameWithoutExtension(identityPackage)["SanteGateway.Identity.".Length..];

        // 2. samples/ copied out of the repository, with its feed redirected to the temporary one.
        CopySamples(Path.Combine(TestPaths.RepoRoot, "samples"), Samples);
        await File.WriteAllTextAsync(Path.Combine(Samples, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="santegateway-local" value="{SecurityElement.Escape(Feed)}" />
              </packageSources>
            </configuration>
            """, ct);
        await File.WriteAllTextAsync(Path.Combine(Samples, "Samples.slnx"), """
            <Solution>
              <Project Path="ConsoleSample/ConsoleSample.csproj" />
              <Project Path="WebSample/WebSample.csproj" />
            </Solution>
            """, ct);

        // 3. Both samples restored from the feed (the exact version just packed) and built, in one command.
        var build = await ProcessRunner.DotnetAsync(
            ["build", Path.Combine(Samples, "Samples.slnx"), "-nologo", "-v:m", $"-p:SanteGatewayVersion={Version}",
             $"-p:RestoreAdditionalProjectFallbackFolders={UserPackagesFolder}"],
            Samples, BuildTimeout, NuGetEnvironment, ct);
        Log += "== build samples\n" + build.Output;
        if (build.ExitCode != 0)
        {
            Failure = "building the samples against the packages failed:\n" + build;
        }
    }

    /// <summary>Fails the calling test with the preparation error, if any.</summary>
    public void EnsureReady()
    {
        if (Failure is not null)
        {
            throw new InvalidOperationException(Failure);
        }
    }

    /// <summary>Path of a sample's built assembly.</summary>
    public string SampleAssembly(string name) => Path.Combine(Samples, name, "bin", "Debug", "net10.0", name + ".dll");

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return ValueTask.CompletedTask;
    }

    private static void CopySamples(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(from, file);
            var parts = relative.Split(Path.DirectorySeparatorChar);
            if (parts.Any(p => p is "bin" or "obj"))
            {
                continue;
            }

            var target = Path.Combine(to, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
