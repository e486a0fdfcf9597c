using System.IO.Compression;
using System.Xml.Linq;

namespace SanteGateway.Packaging.Tests;

/// <summary>What a publisher downloads: package metadata and content.</summary>
public sealed class PackageTests(PackagedFeed feed)
{
    public static TheoryData<string> Libraries => new(PackagedFeed.LibraryIds);

    [Theory]
    [MemberData(nameof(Libraries))]
    public void Each_library_package_carries_its_readme_licence_xml_docs_and_a_symbol_package(string id)
    {
        feed.EnsureReady();
        var nupkg = Path.Combine(feed.Feed, $"{id}.{feed.Version}.nupkg");
        File.Exists(nupkg).Should().BeTrue();
        File.Exists(Path.Combine(feed.Feed, $"{id}.{feed.Version}.snupkg")).Should().BeTrue("symbols ship as a .snupkg");

        using var zip = ZipFile.OpenRead(nupkg);
        var entries = zip.Entries.Select(e => e.FullName).ToList();
        entries.Should().Contain(["README.md", "LICENSE", $"lib/net10.0/{id}.dll", $"lib/net10.0/{id}.xml"]);
        entries.Should().NotContain(e => e.StartsWith("content", StringComparison.Ordinal), "a library adds no files to its consumer's project");

        var nuspec = ReadNuspec(zip);
        XNamespace ns = nuspec.Root!.Name.Namespace;
        var metadata = nuspec.Root!.Element(ns + "metadata")!;
        metadata.Element(ns + "id")!.Value.Should().Be(id);
        metadata.Element(ns + "license")!.Value.Should().Be("MIT");
        metadata.Element(ns + "license")!.Attribute("type")!.Value.Should().Be("expression");
        metadata.Element(ns + "readme")!.Value.Should().Be("README.md");
        metadata.Element(ns + "description")!.Value.Should().NotBeNullOrWhiteSpace();
        metadata.Element(ns + "tags")!.Value.Should().Contain("ins");
        metadata.Element(ns + "repository")?.Attribute("commit")?.Value.Should().MatchRegex("^[0-9a-f]{40}$", "SourceLink records the commit built");
    }

    [Fact]
    public void Packages_depend_on_each_other_at_the_same_version()
    {
        feed.EnsureReady();
        using var zip = ZipFile.OpenRead(Path.Combine(feed.Feed, $"SanteGateway.Insi.Sandbox.{feed.Version}.nupkg"));
        var nuspec = ReadNuspec(zip);
        XNamespace ns = nuspec.Root!.Name.Namespace;
        var dependencies = nuspec.Descendants(ns + "dependency").ToDictionary(d => d.Attribute("id")!.Value, d => d.Attribute("version")!.Value);

        dependencies.Should().ContainKey("SanteGateway.Insi").WhoseValue.Should().Be(feed.Version);
        nuspec.Descendants(ns + "frameworkReference").Select(f => f.Attribute("name")!.Value).Should().Contain("Microsoft.AspNetCore.App");
    }

    [Fact]
    public void The_santegw_package_is_a_dotnet_tool_named_santegw()
    {
        feed.EnsureReady();
        using var zip = ZipFile.OpenRead(Path.Combine(feed.Feed, $"{PackagedFeed.ToolId}.{feed.Version}.nupkg"));
        var nuspec = ReadNuspec(zip);
        XNamespace ns = nuspec.Root!.Name.Namespace;

        nuspec.Descendants(ns + "packageType").Select(p => p.Attribute("name")!.Value).Should().Contain("DotnetTool");
        var settings = zip.Entries.Single(e => e.FullName.EndsWith("/DotnetToolSettings.xml", StringComparison.Ordinal));
        using var stream = settings.Open();
        XDocument.Load(stream).Descendants("Command").Single().Attribute("Name")!.Value.Should().Be("santegw");
    }

    private static XDocument ReadNuspec(ZipArchive zip)
    {
        using var stream = zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open();
        return XDocument.Load(stream);
    }
}
