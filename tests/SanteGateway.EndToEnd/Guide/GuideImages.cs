using System.Reflection;
using Microsoft.Playwright;

namespace SanteGateway.EndToEnd.Guide;

/// <summary>
/// Where the guides and their screenshots live, which screenshots the tests declare, and taking one. Every run of the
/// screenshot tests writes the PNGs again into <c>docs/guide/images/</c> (not committed: see docs/guide/README.md) and
/// into <c>artifacts/guide/images/</c>, beside the HTML the guide check renders, so that folder is a complete guide.
/// </summary>
public static class GuideImages
{
    public static string GuideFolder => Path.Combine(SanteGateway.Testing.TestPaths.RepoRoot, "docs", "guide");

    public static string ImageFolder => Path.Combine(GuideFolder, "images");

    public static string HtmlFolder => Path.Combine(SanteGateway.Testing.TestPaths.RepoRoot, "artifacts", "guide");

    /// <summary>Every declared screenshot name and the test method that declares it.</summary>
    public static IReadOnlyDictionary<string, MethodInfo> Declared()
    {
        var declared = new Dictionary<string, MethodInfo>(StringComparer.Ordinal);
        foreach (var method in typeof(GuideImages).Assembly.GetTypes().SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance)))
        {
            foreach (var name in method.GetCustomAttribute<GuideScreenshotsAttribute>()?.Names ?? [])
            {
                if (!declared.TryAdd(name, method))
                {
                    throw new InvalidOperationException($"Screenshot {name} is declared by {declared[name].Name} and {method.Name}.");
                }
            }
        }

        return declared;
    }
}

/// <summary>The screenshots one test takes: only names its method declares, and all of them (checked by <see cref="AllTaken"/>).</summary>
public sealed class GuideCamera
{
    private readonly IReadOnlyList<string> declared;
    private readonly HashSet<string> taken = new(StringComparer.Ordinal);

    /// <param name="testClass">The test class.</param>
    /// <param name="method">The test method (its name, filled in by the compiler).</param>
    public GuideCamera(Type testClass, [System.Runtime.CompilerServices.CallerMemberName] string method = "")
    {
        declared = testClass.GetMethod(method)?.GetCustomAttribute<GuideScreenshotsAttribute>()?.Names
            ?? throw new InvalidOperationException($"{method} declares no [GuideScreenshots].");
    }

    /// <summary>The visible part of the page (1280 × 800).</summary>
    public Task ShootAsync(IPage page, string name) => SaveAsync(name, path => page.ScreenshotAsync(new() { Path = path, Animations = ScreenshotAnimations.Disabled }));

    /// <summary>One region of the page (a card, a form, a result panel).</summary>
    public Task ShootAsync(ILocator region, string name) => SaveAsync(name, path => region.ScreenshotAsync(new() { Path = path, Animations = ScreenshotAnimations.Disabled }));

    private async Task SaveAsync(string name, Func<string, Task<byte[]>> shoot)
    {
        declared.Should().Contain(name, "a guide screenshot must be declared by [GuideScreenshots] on its test method");
        Directory.CreateDirectory(GuideImages.ImageFolder);
        var path = Path.Combine(GuideImages.ImageFolder, name + ".png");
        await shoot(path);
        var copy = Path.Combine(GuideImages.HtmlFolder, "images");
        Directory.CreateDirectory(copy);
        File.Copy(path, Path.Combine(copy, name + ".png"), overwrite: true);
        taken.Add(name);
    }

    /// <summary>Fails unless every declared screenshot was taken.</summary>
    public void AllTaken() => declared.Except(taken).Should().BeEmpty("every screenshot a test declares for the guides must be produced by it");
}
