using System.Net;
using System.Text.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;
using static SanteGateway.EndToEnd.UiSession;

namespace SanteGateway.EndToEnd;

/// <summary>The ROR screens: the mirror is synchronised from the ROR sandbox through the API, then searched and opened in the browser.</summary>
public sealed class RorWebUiTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>, IAsyncLifetime
{
    private readonly UiSession ui = new(fixture);

    public async ValueTask InitializeAsync()
    {
        if (fixture.Unavailable is not null)
        {
            return;
        }

        // An administrator fills the mirror (full load from the sandbox's $export over mutual TLS).
        using var admin = await ui.Gateway.SignedInClientAsync(Server.GatewayApp.AdminUserName, ui.Gateway.AdminPassword);
        var start = await admin.PostAsync("api/ror/sync?mode=full", null);
        start.StatusCode.Should().BeOneOf(HttpStatusCode.Accepted, HttpStatusCode.Conflict);
        for (var i = 0; i < 3000; i++)
        {
            using var doc = JsonDocument.Parse(await admin.GetStringAsync("api/ror/sync"));
            if (!doc.RootElement.GetProperty("running").GetBoolean() && doc.RootElement.GetProperty("lastSucceededAt").ValueKind != JsonValueKind.Null)
            {
                return;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException("the ROR mirror was not loaded");
    }

    public ValueTask DisposeAsync() => ui.DisposeAsync();

    [Fact]
    public async Task A_front_desk_user_searches_the_offer_by_specialty_and_commune_opens_an_offer_and_its_establishment()
    {
        var page = await ui.SignedInPageAsync(GatewayServer.FrontDesk);
        await page.GetByRole(AriaRole.Link, new() { Name = "Offre de soins" }).ClickAsync();
        await Expect(Title(page)).ToHaveTextAsync("Offre de soins (ROR)");
        await Expect(page.GetByText("Copie locale du ROR mise à jour le")).ToBeVisibleAsync();
        await ui.CheckScreenAsync(page, "ror-search-empty");

        await page.GetByLabel("Spécialité ou activité (libellé)").FillAsync("réanimation");
        await page.GetByRole(AriaRole.Button, new() { Name = "Rechercher" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("trouvée");
        var rows = page.Locator("table tbody tr");
        (await rows.CountAsync()).Should().BeGreaterThan(0);
        await Expect(rows.First).ToContainTextAsync("Réanimation adulte");
        await ui.CheckScreenAsync(page, "ror-search-results");

        await page.GotoAsync("/ror?commune=69123");
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("trouvée");
        await Expect(page.Locator("table tbody tr").First).ToContainTextAsync("Lyon");

        await page.Locator("table tbody tr").First.GetByRole(AriaRole.Link).First.ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Lieux et capacités" })).ToBeVisibleAsync();
        await Expect(page.GetByText("Lits").First).ToBeVisibleAsync();
        await ui.CheckScreenAsync(page, "ror-offer");

        await page.GetByRole(AriaRole.Region, new() { Name = "Établissement" }).GetByRole(AriaRole.Link).First.ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Offres" })).ToBeVisibleAsync();
        await ui.CheckScreenAsync(page, "ror-organization");

        await page.GotoAsync("/ror?activite=1%3B2");
        await Expect(page.GetByText("Code d'activité : lettres et chiffres uniquement")).ToBeVisibleAsync();
        // The page says so in French (a 404 status would make the status-code pages answer with a JSON problem).
        await page.GotoAsync("/ror/offres/inconnue");
        await Expect(Title(page)).ToHaveTextAsync("Offre introuvable");
        ui.NoBrowserErrors();
    }

    [Fact]
    public async Task A_front_desk_user_updates_a_capacity_from_an_offer_and_a_wrong_count_is_refused_in_French_on_its_field()
    {
        var page = await ui.SignedInPageAsync(GatewayServer.FrontDesk);
        await page.GotoAsync("/ror?commune=69123");
        await page.Locator("table tbody tr").First.GetByRole(AriaRole.Link).First.ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Mettre à jour les capacités" }).First.ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Mettre à jour une capacité" })).ToBeVisibleAsync();
        await ui.CheckScreenAsync(page, "ror-capacity");

        // Nothing typed, then a word: each time the field names its rule in French and nothing reaches the ROR.
        await page.GetByRole(AriaRole.Button, new() { Name = "Envoyer au ROR" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("La capacité n'a pas été envoyée");
        await Expect(page.Locator("#count-error")).ToHaveTextAsync("Nombre de lits ou de places : obligatoire.");
        await Expect(page.Locator("#count")).ToHaveAttributeAsync("aria-invalid", "true");
        await page.GetByLabel("Nombre de lits ou de places").FillAsync("douze");
        await page.GetByRole(AriaRole.Button, new() { Name = "Envoyer au ROR" }).ClickAsync();
        await Expect(page.Locator("#count-error")).ToContainTextAsync("un nombre entier");
        await Expect(page.GetByLabel("Nombre de lits ou de places")).ToHaveValueAsync("douze");
        await ui.CheckScreenAsync(page, "ror-capacity-error");

        // No bed available any more (a figure the sandbox's rule "available ≤ installed" always accepts).
        await page.GetByLabel("Statut de la capacité").SelectOptionAsync("02");
        await page.GetByLabel("Nombre de lits ou de places").FillAsync("0");
        await page.GetByRole(AriaRole.Button, new() { Name = "Envoyer au ROR" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Capacité mise à jour dans le ROR.");
        await Expect(page.Locator("#count-error")).ToHaveCountAsync(0);
        ui.NoBrowserErrors();
    }
}
