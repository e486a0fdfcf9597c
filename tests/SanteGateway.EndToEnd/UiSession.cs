using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace SanteGateway.EndToEnd;

/// <summary>
/// What every web UI test does with its browser: contexts with axe-core preloaded, sign-in, identity creation, and the
/// checks run on every screen (no console error or CSP refusal, no horizontal scroll at 1280 × 800 and 390 × 844,
/// no serious or critical axe-core violation), plus screenshots when SANTEGW_SCREENSHOTS names a folder.
/// </summary>
public sealed partial class UiSession(BrowserFixture fixture) : IAsyncDisposable
{
    public static readonly (int Width, int Height) Desktop = (1280, 800);
    public static readonly (int Width, int Height) Phone = (390, 844);

    private readonly List<string> browserErrors = [];
    private readonly List<IBrowserContext> contexts = [];

    public GatewayServer Gateway => fixture.Gateway;

    /// <summary>axe-core from tests/SanteGateway.EndToEnd/axe (npm ci when missing).</summary>
    public static string AxePath => Path.Combine(SanteGateway.Testing.TestPaths.RepoRoot, "tests", "SanteGateway.EndToEnd", "axe", "node_modules", "axe-core", "axe.min.js");

    public IReadOnlyList<string> BrowserErrors => browserErrors;

    public static ILocator Title(IPage page) => page.GetByRole(AriaRole.Heading, new() { Level = 1 });

    public static Guid IdentityId(IPage page) => Guid.Parse(IdRegex().Match(page.Url).Groups[1].Value);

    [GeneratedRegex("/identites/([0-9a-f-]{36})")]
    private static partial Regex IdRegex();

    public async Task<IBrowserContext> NewContextAsync()
    {
        var context = await fixture.NewContextAsync();
        // An init script is injected by the browser itself, so the page's CSP (no inline script) does not stop it.
        await context.AddInitScriptAsync(scriptPath: await AxeScriptAsync());
        contexts.Add(context);
        return context;
    }

    public async Task<IPage> NewPageAsync()
    {
        var context = await NewContextAsync();
        var page = await context.NewPageAsync();
        Watch(page);
        return page;
    }

    /// <summary>Collects uncaught script errors and console errors (CSP refusals are console errors).</summary>
    public void Watch(IPage page)
    {
        page.PageError += (_, error) => browserErrors.Add($"page error on {page.Url}: {error}");
        page.Console += (_, message) =>
        {
            // A document answered with 4xx (a refused print, an unknown identity) logs "Failed to load resource": expected.
            if (message.Type == "error" && !message.Text.StartsWith("Failed to load resource", StringComparison.Ordinal))
            {
                browserErrors.Add($"console on {page.Url}: {message.Text}");
            }
        };
    }

    public async Task<IPage> SignedInPageAsync(string user, string password = GatewayServer.Password)
    {
        var page = await NewPageAsync();
        await page.GotoAsync("/");
        await Expect(Title(page)).ToHaveTextAsync("Connexion");
        await page.GetByLabel("Identifiant", new() { Exact = true }).FillAsync(user);
        await page.GetByLabel("Mot de passe", new() { Exact = true }).FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Se connecter" }).ClickAsync();
        await Expect(Title(page)).ToHaveTextAsync("Rechercher une identité");
        return page;
    }

    /// <summary>Fills the creation form; <paramref name="birthDate"/> is <c>YYYY-MM-DD</c> with <c>00</c> for an unknown part.</summary>
    public static async Task FillCreationAsync(IPage page, string birthName, string firstNames, string? sex, string birthDate, string? cog = null)
    {
        await page.GetByRole(AriaRole.Link, new() { Name = "Nouvelle identité" }).ClickAsync();
        await Expect(Title(page)).ToHaveTextAsync("Nouvelle identité");
        await page.GetByLabel("Nom de naissance", new() { Exact = true }).FillAsync(birthName);
        await page.GetByLabel("Prénom(s) de naissance", new() { Exact = true }).FillAsync(firstNames);
        if (sex is not null)
        {
            await page.GetByLabel("Sexe", new() { Exact = true }).SelectOptionAsync(sex);
        }

        var parts = birthDate.Split('-');
        await page.GetByLabel("Année", new() { Exact = true }).FillAsync(parts[0]);
        await page.GetByLabel("Mois", new() { Exact = true }).FillAsync(parts[1] == "00" ? "" : parts[1]);
        await page.GetByLabel("Jour", new() { Exact = true }).FillAsync(parts[2] == "00" ? "" : parts[2]);
        if (cog is not null)
        {
            await page.GetByLabel("Lieu de naissance (code COG)", new() { Exact = true }).FillAsync(cog);
        }
    }

    public static async Task CreateAsync(IPage page, string birthName, string firstNames, string sex, string birthDate, string? cog = null, string expectedStatus = "PROV")
    {
        await FillCreationAsync(page, birthName, firstNames, sex, birthDate, cog);
        await page.GetByRole(AriaRole.Button, new() { Name = "Créer l'identité" }).ClickAsync();
        await Expect(page.GetByText($"Identité créée (statut {expectedStatus}).")).ToBeVisibleAsync();
    }

    /// <summary>
    /// The checks every screen must pass: the document is no wider than the viewport (no sideways scroll) and the top bar
    /// does not cover the content, at desktop and phone sizes; no serious or critical axe-core violation at either size.
    /// </summary>
    public async Task CheckScreenAsync(IPage page, string screen)
    {
        foreach (var (width, height) in new[] { Desktop, Phone })
        {
            await page.SetViewportSizeAsync(width, height);
            var m = await page.EvaluateAsync<JsonElement>(
                """
                () => {
                  const bar = document.querySelector('.topbar');
                  const main = document.querySelector('main');
                  return {
                    doc: document.documentElement.scrollWidth,
                    body: document.body.scrollWidth,
                    viewport: window.innerWidth,
                    barBottom: bar ? bar.getBoundingClientRect().bottom : 0,
                    mainTop: main ? main.getBoundingClientRect().top : 0,
                  };
                }
                """);
            var viewport = m.GetProperty("viewport").GetInt32();
            m.GetProperty("doc").GetInt32().Should().BeLessThanOrEqualTo(viewport, $"{screen} at {width} × {height} must not scroll sideways");
            m.GetProperty("body").GetInt32().Should().BeLessThanOrEqualTo(viewport, $"{screen} at {width} × {height} must not scroll sideways");
            m.GetProperty("mainTop").GetDouble().Should().BeGreaterThanOrEqualTo(m.GetProperty("barBottom").GetDouble() - 0.5, $"the top bar of {screen} must not cover the content at {width} px");
            await ScreenshotAsync(page, $"{screen}-{width}");
            var violations = await page.EvaluateAsync<string>(
                """
                async () => {
                  const r = await window.axe.run(document, { resultTypes: ['violations'] });
                  return JSON.stringify(r.violations
                    .filter(v => v.impact === 'serious' || v.impact === 'critical')
                    .map(v => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ')) })));
                }
                """);
            violations.Should().Be("[]", $"axe-core must find no serious or critical violation on {screen} at {width} px");
        }

        await page.SetViewportSizeAsync(Desktop.Width, Desktop.Height);
    }

    /// <summary>Screenshots for a human look: only when SANTEGW_SCREENSHOTS names a folder.</summary>
    public static async Task ScreenshotAsync(IPage page, string name)
    {
        var dir = Environment.GetEnvironmentVariable("SANTEGW_SCREENSHOTS");
        if (!string.IsNullOrEmpty(dir))
        {
            Directory.CreateDirectory(dir);
            await page.ScreenshotAsync(new() { Path = Path.Combine(dir, name + ".png"), FullPage = true });
        }
    }

    public void NoBrowserErrors() => browserErrors.Should().BeEmpty();

    public async ValueTask DisposeAsync()
    {
        var failed = TestContext.Current.TestState?.Result == TestResult.Failed;
        foreach (var c in contexts)
        {
            if (failed)
            {
                await SaveFailureScreenshotsAsync(c);
            }

            await c.DisposeAsync();
        }
    }

    private static async Task SaveFailureScreenshotsAsync(IBrowserContext context)
    {
        var dir = Path.Combine(SanteGateway.Testing.TestPaths.RepoRoot, "artifacts", "test", "e2e");
        Directory.CreateDirectory(dir);
        var name = TestContext.Current.TestMethod?.MethodName ?? "test";
        foreach (var page in context.Pages)
        {
            try
            {
                await page.ScreenshotAsync(new() { Path = Path.Combine(dir, $"{name}-{Guid.NewGuid():N}.png"), FullPage = true });
            }
            catch (PlaywrightException)
            {
            }
        }
    }

    private static readonly SemaphoreSlim InstallLock = new(1, 1);

    /// <summary>Installs axe-core from the lockfile with npm ci when node_modules is missing (registry access only).</summary>
    private static async Task<string> AxeScriptAsync()
    {
        if (File.Exists(AxePath))
        {
            return AxePath;
        }

        await InstallLock.WaitAsync();
        try
        {
            if (!File.Exists(AxePath))
            {
                var folder = Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(AxePath)))!;
                var psi = new System.Diagnostics.ProcessStartInfo("npm") { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
                foreach (var a in new[] { "ci", "--no-audit", "--no-fund", "--loglevel=error" })
                {
                    psi.ArgumentList.Add(a);
                }

                using var process = System.Diagnostics.Process.Start(psi) ?? throw new InvalidOperationException("npm is required (Debian packages nodejs npm).");
                var stderr = process.StandardError.ReadToEndAsync();
                await process.StandardOutput.ReadToEndAsync();
                await process.WaitForExitAsync();
                process.ExitCode.Should().Be(0, "npm ci in tests/SanteGateway.EndToEnd/axe must install axe-core: " + await stderr);
            }
        }
        finally
        {
            InstallLock.Release();
        }

        return AxePath;
    }
}
