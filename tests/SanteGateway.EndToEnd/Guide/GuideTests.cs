using System.Net;
using Markdig;
using Markdig.Renderers;
using Markdig.Renderers.Html;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace SanteGateway.EndToEnd.Guide;

/// <summary>
/// The French guides of docs/guide: each renders from Markdown to HTML (written to artifacts/guide, with the screenshots
/// the browser tests put there), its links and anchors resolve, and it shows only screenshots a test declares.
/// No browser needed.
/// </summary>
public sealed class GuideTests
{
    /// <summary>The guides staff and administrators read, in the order of the index.</summary>
    public static readonly string[] Guides = ["README.md", "accueil.md", "identitovigilance.md", "administration.md", "installation.md"];

    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder()
        .UsePipeTables()
        .UseAutoIdentifiers(Markdig.Extensions.AutoIdentifiers.AutoIdentifierOptions.GitHub)
        .UseEmphasisExtras()
        .Build();

    public static TheoryData<string> GuideNames => new(Guides);

    private static MarkdownDocument Parse(string path) => Markdown.Parse(File.ReadAllText(path), Pipeline);

    private static HashSet<string> Anchors(MarkdownDocument doc) =>
        doc.Descendants<HeadingBlock>().Select(h => h.GetAttributes().Id).OfType<string>().ToHashSet(StringComparer.Ordinal);

    [Theory]
    [MemberData(nameof(GuideNames))]
    public void The_guide_renders_to_html_with_one_title_and_every_link_and_anchor_resolves(string guide)
    {
        var path = Path.Combine(GuideImages.GuideFolder, guide);
        File.Exists(path).Should().BeTrue($"docs/guide/{guide} is one of the guides");
        var doc = Parse(path);
        doc.Descendants<HeadingBlock>().Count(h => h.Level == 1).Should().Be(1, $"{guide} has one title");

        var problems = new List<string>();
        foreach (var link in doc.Descendants<LinkInline>().Where(l => !l.IsImage))
        {
            var url = link.Url ?? "";
            if (url.StartsWith("https://", StringComparison.Ordinal) || url.StartsWith("http://", StringComparison.Ordinal))
            {
                if (!Uri.TryCreate(url, UriKind.Absolute, out _))
                {
                    problems.Add($"line {link.Line + 1}: malformed address {url}");
                }

                continue;
            }

            var hash = url.IndexOf('#', StringComparison.Ordinal);
            var file = hash < 0 ? url : url[..hash];
            var anchor = hash < 0 ? null : WebUtility.UrlDecode(url[(hash + 1)..]);
            var target = file.Length == 0 ? path : Path.GetFullPath(Path.Combine(GuideImages.GuideFolder, file));
            if (!File.Exists(target) && !Directory.Exists(target))
            {
                problems.Add($"line {link.Line + 1}: {url} points to nothing");
                continue;
            }

            if (anchor is not null && target.EndsWith(".md", StringComparison.Ordinal) && !Anchors(Parse(target)).Contains(anchor))
            {
                problems.Add($"line {link.Line + 1}: {url}: no heading #{anchor} in {Path.GetFileName(target)}");
            }
        }

        problems.Should().BeEmpty();
        var html = Render(doc);
        html.Should().Contain("<h1");
        Directory.CreateDirectory(GuideImages.HtmlFolder);
        File.WriteAllText(Path.Combine(GuideImages.HtmlFolder, Path.ChangeExtension(guide, ".html")), Page(doc, html));
    }

    [Theory]
    [MemberData(nameof(GuideNames))]
    public void The_guide_shows_only_screenshots_a_test_declares_each_with_a_description(string guide)
    {
        var declared = GuideImages.Declared();
        var problems = new List<string>();
        foreach (var image in Parse(Path.Combine(GuideImages.GuideFolder, guide)).Descendants<LinkInline>().Where(l => l.IsImage))
        {
            var url = image.Url ?? "";
            var name = url.StartsWith("images/", StringComparison.Ordinal) && url.EndsWith(".png", StringComparison.Ordinal) ? url["images/".Length..^".png".Length] : null;
            if (name is null || !declared.ContainsKey(name))
            {
                problems.Add($"line {image.Line + 1}: {url} is produced by no screenshot test (declare it with [GuideScreenshots])");
            }

            if (string.IsNullOrWhiteSpace(Alt(image)))
            {
                problems.Add($"line {image.Line + 1}: {url} has no description (alternative text)");
            }
        }

        problems.Should().BeEmpty();
    }

    [Fact]
    public void Every_declared_screenshot_appears_in_a_guide()
    {
        var shown = Guides
            .SelectMany(g => Parse(Path.Combine(GuideImages.GuideFolder, g)).Descendants<LinkInline>().Where(l => l.IsImage).Select(l => l.Url ?? ""))
            .ToHashSet(StringComparer.Ordinal);
        GuideImages.Declared().Keys.Where(n => !shown.Contains($"images/{n}.png")).Should().BeEmpty("a screenshot no guide shows is wasted test time");
    }

    [Fact]
    public void The_guide_check_catches_an_image_no_test_produces_and_a_link_to_a_missing_heading()
    {
        // The check itself must be able to fail.
        var doc = Markdown.Parse("# Titre\n\n![Écran](images/ecran-inexistant.png)\n\n[voir](#absent)\n", Pipeline);
        var image = doc.Descendants<LinkInline>().Single(l => l.IsImage);
        GuideImages.Declared().Should().NotContainKey(image.Url!["images/".Length..^".png".Length]);
        Anchors(doc).Should().Contain("titre").And.NotContain("absent");
        Anchors(Markdown.Parse("## Créer une identité", Pipeline)).Should().Contain("créer-une-identité", "anchors follow GitHub's rule, accents kept");
    }

    private static string Alt(LinkInline image) => string.Concat(image.Descendants<LiteralInline>().Select(l => l.Content.ToString()));

    private static string Render(MarkdownDocument doc)
    {
        // Links between guides point at the rendered pages.
        foreach (var link in doc.Descendants<LinkInline>().Where(l => !l.IsImage && l.Url is not null && !l.Url.Contains("://", StringComparison.Ordinal)))
        {
            var url = link.Url!;
            var hash = url.IndexOf('#', StringComparison.Ordinal);
            var file = hash < 0 ? url : url[..hash];
            if (file.EndsWith(".md", StringComparison.Ordinal) && !file.Contains('/', StringComparison.Ordinal))
            {
                link.Url = file[..^3] + ".html" + (hash < 0 ? "" : url[hash..]);
            }
        }

        using var writer = new StringWriter();
        var renderer = new HtmlRenderer(writer);
        Pipeline.Setup(renderer);
        renderer.Render(doc);
        return writer.ToString();
    }

    private static string Page(MarkdownDocument doc, string body)
    {
        var title = doc.Descendants<HeadingBlock>().First(h => h.Level == 1).Inline?.Descendants<LiteralInline>().Select(l => l.Content.ToString()) ?? [];
        return $$"""
            <!doctype html>
            <html lang="fr">
            <head><meta charset="utf-8"><title>{{WebUtility.HtmlEncode(string.Concat(title))}} · SanteGateway</title>
            <style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.5}img{max-width:100%;border:1px solid #ccc}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.25rem .5rem}code,pre{background:#f4f4f4}</style>
            </head>
            <body>
            {{body}}
            </body>
            </html>
            """;
    }
}
