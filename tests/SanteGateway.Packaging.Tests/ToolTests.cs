namespace SanteGateway.Packaging.Tests;

/// <summary>santegw as a .NET tool, installed from the local feed.</summary>
public sealed class ToolTests(PackagedFeed feed)
{
    [Fact]
    public async Task Santegw_installs_from_the_local_feed_as_a_tool_and_prints_its_version_and_commit()
    {
        feed.EnsureReady();
        var toolPath = Path.Combine(feed.Root, "tools");

        var install = await ProcessRunner.DotnetAsync(
            ["tool", "install", PackagedFeed.ToolId, "--tool-path", toolPath, "--add-source", feed.Feed, "--version", feed.Version],
            feed.Root, TimeSpan.FromMinutes(5), feed.NuGetEnvironment, TestContext.Current.CancellationToken);
        install.ExitCode.Should().Be(0, install.ToString());

        var version = await ProcessRunner.RunAsync(Path.Combine(toolPath, "santegw"), ["--version"], feed.Root, TimeSpan.FromMinutes(1), ct: TestContext.Current.CancellationToken);

        version.ExitCode.Should().Be(0, version.ToString());
        var head = SampleTests.Head();
        var expected = head.Length == 0 ? $"santegw {feed.Version} (commit " : $"santegw {feed.Version} (commit {head[..12]})";
        version.Output.Trim().Should().StartWith(expected);
    }
}
