using Microsoft.Playwright;
using SanteGateway.Insi.Sandbox;
using static Microsoft.Playwright.Assertions;

namespace SanteGateway.EndToEnd;

/// <summary>A gateway whose INSi sandbox answers slowly, like the real service does (seconds rather than microseconds).</summary>
public sealed class SlowInsiBrowserFixture : BrowserFixture
{
    /// <summary>Delay of every INSi answer: long enough to observe the waiting state, short of the client's time-outs.</summary>
    public static readonly TimeSpan Latency = TimeSpan.FromSeconds(5);

    protected override Task<GatewayServer> StartGatewayAsync() => GatewayServer.StartAsync(o => o.Latency = SandboxLatency.Fixed(Latency));
}

/// <summary>While an INSi call runs, the staff UI shows that it is waiting and prevents a second click.</summary>
public sealed class InsiWaitingStateTests(SlowInsiBrowserFixture fixture) : IClassFixture<SlowInsiBrowserFixture>, IAsyncLifetime
{
    private IBrowserContext? context;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        if (context is not null)
        {
            await context.DisposeAsync();
        }
    }

    [Fact]
    public async Task During_a_slow_INSi_search_the_button_is_busy_and_disabled_and_a_waiting_notice_shows_until_the_answer_arrives()
    {
        context = await fixture.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync("/");
        await page.GetByLabel("Identifiant", new() { Exact = true }).FillAsync(GatewayServer.FrontDesk);
        await page.GetByLabel("Mot de passe", new() { Exact = true }).FillAsync(GatewayServer.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Se connecter" }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Nouvelle identité" }).ClickAsync();
        await page.GetByLabel("Nom de naissance", new() { Exact = true }).FillAsync("ADRTROIS");
        await page.GetByLabel("Prénom(s) de naissance", new() { Exact = true }).FillAsync("DOMINIQUE");
        await page.GetByLabel("Sexe", new() { Exact = true }).SelectOptionAsync("F");
        await page.GetByLabel("Jour", new() { Exact = true }).FillAsync("26");
        await page.GetByLabel("Mois", new() { Exact = true }).FillAsync("02");
        await page.GetByLabel("Année", new() { Exact = true }).FillAsync("1997");
        await page.GetByRole(AriaRole.Button, new() { Name = "Créer l'identité" }).ClickAsync();
        await Expect(page.GetByText("Identité créée (statut PROV).")).ToBeVisibleAsync();
        var search = page.GetByRole(AriaRole.Button, new() { Name = "Interroger INSi" });

        // The page is visible before its deferred script runs (streamed rendering): wait for the script's handlers.
        await Expect(page.Locator("html[data-ui='ready']")).ToHaveCountAsync(1);

        // Playwright's click waits until the navigation it starts has committed, that is until the answer to the form post
        // has come after the sandbox's delay, when the page that showed the waiting state is gone: asserting after the
        // click can only see the answered page (the cause of this test's earlier failures). Nor does a new evaluation reach
        // the page while its navigation is pending. So one in-page watcher, started before the click, notes when the
        // waiting state appears and whether it is still there half-way through the delay.
        const string Watch =
            """
            (halfway) => new Promise((resolve) => {
              const waiting = () => {
                const b = [...document.querySelectorAll('button')].find(x => x.textContent.trim() === 'Interroger INSi');
                const n = document.querySelector('[data-busy-notice]');
                return !!b && b.getAttribute('aria-busy') === 'true' && b.disabled
                  && !!n && !n.hidden && n.textContent === 'Interrogation du téléservice INSi…';
              };
              const start = performance.now();
              const poll = () => {
                if (waiting()) {
                  const seen = performance.now() - start;
                  setTimeout(() => resolve({ seen, stillWaiting: waiting() }), halfway);
                } else if (performance.now() - start > 4000) {
                  resolve({ seen: -1, stillWaiting: false });
                } else {
                  setTimeout(poll, 20);
                }
              };
              poll();
            })
            """;
        var watch = page.EvaluateAsync<System.Text.Json.JsonElement>(Watch, (int)(SlowInsiBrowserFixture.Latency / 2).TotalMilliseconds);
        var clicked = System.Diagnostics.Stopwatch.StartNew();
        var click = search.ClickAsync();
        var seen = await watch;
        seen.GetProperty("seen").GetDouble().Should().BeGreaterThanOrEqualTo(0, "the button turns busy and disabled and the notice shows as soon as the form is sent");
        seen.GetProperty("stillWaiting").GetBoolean().Should().BeTrue("half-way through the sandbox's delay the answer cannot have come and the waiting state must still be there");
        await click;
        clicked.Elapsed.Should().BeGreaterThanOrEqualTo(SlowInsiBrowserFixture.Latency - TimeSpan.FromMilliseconds(500), "the answer waited the sandbox's delay");

        var result = page.GetByRole(AriaRole.Status, new() { Name = "Résultat de l'interrogation INSi" });
        await Expect(result).ToContainTextAsync("Identité trouvée");
        await Expect(page.GetByText("Interrogation du téléservice INSi…")).ToHaveCountAsync(0);
        await Expect(page.GetByTestId("ins-matricule")).ToHaveTextAsync("2 97 02 2A 020 778 78");
    }
}
