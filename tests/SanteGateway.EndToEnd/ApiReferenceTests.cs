using System.Diagnostics;
using System.Text.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace SanteGateway.EndToEnd;

/// <summary>
/// The REST API reference: <c>/openapi/v1.json</c> passes Redocly's recommended rules, and <c>/docs</c> (Scalar, served
/// by the gateway itself) renders in headless Chromium with no console error, no failed request and no CSP refusal.
/// </summary>
public sealed class ApiReferenceTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_docs_page_renders_the_api_reference_from_the_gateway_alone_with_no_console_error_or_csp_refusal()
    {
        var context = await fixture.NewContextAsync();
        try
        {
            var page = await context.NewPageAsync();
            var problems = new List<string>();
            var foreignRequests = new List<string>();
            page.Console += (_, m) =>
            {
                if (m.Type is "error" or "warning" && (m.Type == "error" || m.Text.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase)))
                {
                    problems.Add($"console {m.Type}: {m.Text}");
                }
            };
            page.PageError += (_, e) => problems.Add("page error: " + e);
            page.RequestFailed += (_, r) => problems.Add($"request failed: {r.Url} {r.Failure}");
            page.Response += (_, r) =>
            {
                if (r.Status >= 400)
                {
                    problems.Add($"HTTP {r.Status}: {r.Url}");
                }
            };
            page.Request += (_, r) =>
            {
                if (!r.Url.StartsWith(fixture.Gateway.BaseAddress.ToString(), StringComparison.Ordinal) && !r.Url.StartsWith("data:", StringComparison.Ordinal)
                    && !r.Url.StartsWith("blob:", StringComparison.Ordinal))
                {
                    foreignRequests.Add(r.Url);
                }
            };
            // CSP refusals are also reported to the page as events: catch those that never reach the console.
            await page.AddInitScriptAsync("window.__csp = []; document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));");

            var response = await page.GotoAsync("docs/");

            response!.Status.Should().Be(200);
            (await response.HeaderValueAsync("content-security-policy")).Should().Contain("script-src 'self' 'nonce-").And.NotContain("unsafe-eval");
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "SanteGateway API" })).ToBeVisibleAsync();
            await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Identities", Exact = true })).ToBeVisibleAsync();
            await Expect(page.GetByText("X-Api-Key").First).ToBeVisibleAsync();
            await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
            var dir = Path.Combine(SanteGateway.Testing.TestPaths.RepoRoot, "artifacts", "test", "e2e");
            Directory.CreateDirectory(dir);
            await page.ScreenshotAsync(new() { Path = Path.Combine(dir, "api-reference.png"), FullPage = false });

            var csp = await page.EvaluateAsync<string[]>("window.__csp");
            csp.Should().BeEmpty();
            problems.Should().BeEmpty();
            foreignRequests.Should().BeEmpty("the reference's assets, fonts and document are served by the gateway itself");
        }
        finally
        {
            await context.DisposeAsync();
        }
    }

    [Fact]
    public async Task The_openapi_document_declares_its_security_schemes_describes_every_tag_and_passes_redocly_lint_with_no_error()
    {
        using var http = new HttpClient { BaseAddress = fixture.Gateway.BaseAddress };
        var json = await http.GetStringAsync("openapi/v1.json", Ct);
        using (var doc = JsonDocument.Parse(json))
        {
            var schemes = doc.RootElement.GetProperty("components").GetProperty("securitySchemes");
            schemes.GetProperty("apiKey").GetProperty("name").GetString().Should().Be("X-Api-Key");
            schemes.GetProperty("apiKey").GetProperty("in").GetString().Should().Be("header");
            schemes.GetProperty("cookie").GetProperty("in").GetString().Should().Be("cookie");
            schemes.GetProperty("bearer").GetProperty("scheme").GetString().Should().Be("bearer");
            var used = doc.RootElement.GetProperty("paths").EnumerateObject().SelectMany(p => p.Value.EnumerateObject())
                .Where(o => o.Value.ValueKind == JsonValueKind.Object && o.Value.TryGetProperty("tags", out _))
                .SelectMany(o => o.Value.GetProperty("tags").EnumerateArray().Select(t => t.GetString()!)).ToHashSet();
            var described = doc.RootElement.GetProperty("tags").EnumerateArray()
                .Where(t => t.TryGetProperty("description", out var d) && d.GetString() is { Length: > 20 })
                .Select(t => t.GetProperty("name").GetString()!);
            used.Should().BeSubsetOf(described, "every tag a reader browses by says what it groups");
            var search = doc.RootElement.GetProperty("paths").GetProperty("/api/identities").GetProperty("get");
            search.GetProperty("responses").TryGetProperty("401", out _).Should().BeTrue("a protected operation documents its 401 answer");
        }

        var file = Path.Combine(Path.GetTempPath(), $"santegw-openapi-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, json, Ct);
        try
        {
            var lint = await RedoclyAsync(["lint", file, "--format", "stylish"]);

            lint.ExitCode.Should().Be(0, lint.Output);
            lint.Output.Should().Contain("Your API description is valid");
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>Runs the Redocly CLI pinned in openapi-lint/package-lock.json, installing it with npm ci when missing.</summary>
    private static async Task<(int ExitCode, string Output)> RedoclyAsync(IReadOnlyList<string> args)
    {
        var folder = Path.Combine(SanteGateway.Testing.TestPaths.RepoRoot, "tests", "SanteGateway.EndToEnd", "openapi-lint");
        var cli = Path.Combine(folder, "node_modules", "@redocly", "cli", "bin", "cli.js");
        if (!File.Exists(cli))
        {
            var install = await RunAsync("npm", ["ci", "--no-audit", "--no-fund", "--loglevel=error"], folder, TimeSpan.FromMinutes(5));
            install.ExitCode.Should().Be(0, "npm ci in tests/SanteGateway.EndToEnd/openapi-lint (npm registry and the Debian packages nodejs npm needed):\n" + install.Output);
        }

        return await RunAsync("node", [cli, .. args], folder, TimeSpan.FromMinutes(2));
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string file, IEnumerable<string> args, string workingDirectory, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo(file) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["NO_COLOR"] = "1";
        psi.Environment["REDOCLY_TELEMETRY"] = "off";
        psi.Environment["REDOCLY_SUPPRESS_UPDATE_NOTICE"] = "true";
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync(Ct);
        var stderr = process.StandardError.ReadToEndAsync(Ct);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cts.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await stdout + await stderr);
    }
}
