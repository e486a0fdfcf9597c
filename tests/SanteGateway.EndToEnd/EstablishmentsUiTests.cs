using System.Net;
using System.Net.Http.Json;
using Microsoft.Playwright;
using SanteGateway.Server.Security;
using SanteGateway.Server.Tests;
using static Microsoft.Playwright.Assertions;
using static SanteGateway.EndToEnd.UiSession;

namespace SanteGateway.EndToEnd;

/// <summary>
/// The gateway with two establishments — the main site on the gateway's own INSi certificates, and Lyon with its own
/// INSI-MANU and INSI-AUTO — in front of an INSi sandbox that notes the client certificate of every TLS connection.
/// </summary>
public sealed class EstablishmentsFixture : BrowserFixture
{
    public const string Main = "750000017";
    public const string Lyon = "690000123";
    public const string LyonStructure = "1690000123";
    private const string PasswordEnv = "SANTEGW_E2E_UI_ESTAB_PWD";

    public ObservingSandbox Insi { get; } = new();

    protected override async Task<GatewayServer> StartGatewayAsync()
    {
        await Insi.InitializeAsync();
        var manual = Insi.Issue("ui-lyon-manu.p12", LyonStructure, "INSI-MANU");
        var automatic = Insi.Issue("ui-lyon-auto.p12", LyonStructure, "INSI-AUTO");
        Environment.SetEnvironmentVariable(PasswordEnv, ObservingSandbox.Password);
        return await GatewayServer.StartAsync(insi: Insi.Options(), arguments:
        [
            $"--Gateway:Establishments:0:Finess={Main}",
            "--Gateway:Establishments:0:Name=Site principal",
            "--Gateway:Establishments:0:Default=true",
            $"--Gateway:Establishments:1:Finess={Lyon}",
            "--Gateway:Establishments:1:Name=Site de Lyon",
            $"--Gateway:Establishments:1:Certificates:InsiManu:Path={manual}",
            $"--Gateway:Establishments:1:Certificates:InsiManu:PasswordEnv={PasswordEnv}",
            $"--Gateway:Establishments:1:Certificates:InsiAuto:Path={automatic}",
            $"--Gateway:Establishments:1:Certificates:InsiAuto:PasswordEnv={PasswordEnv}",
        ]);
    }

    /// <summary>Structure ids (certificate OU) the INSi service saw since the last call.</summary>
    public List<string> Seen()
    {
        var seen = new List<string>();
        while (Insi.SeenStructureIds.TryDequeue(out var s))
        {
            seen.Add(s);
        }

        return seen;
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await Insi.DisposeAsync();
    }
}

/// <summary>The administrators' establishments screen, and the certificate each call then presents, seen by the INSi service.</summary>
public sealed class EstablishmentsUiTests(EstablishmentsFixture fixture) : IClassFixture<EstablishmentsFixture>, IAsyncLifetime
{
    private const string LyonUser = "accueil-lyon";

    private readonly UiSession ui = new(fixture);

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => ui.DisposeAsync();

    private async Task<IPage> AdminPageAsync()
    {
        var page = await ui.NewPageAsync();
        await page.GotoAsync("/");
        await page.GetByLabel("Identifiant", new() { Exact = true }).FillAsync(Server.GatewayApp.AdminUserName);
        await page.GetByLabel("Mot de passe", new() { Exact = true }).FillAsync(ui.Gateway.AdminPassword);
        await page.GetByRole(AriaRole.Button, new() { Name = "Se connecter" }).ClickAsync();
        await Expect(Title(page)).ToHaveTextAsync("Rechercher une identité");
        return page;
    }

    [Fact]
    public async Task An_administrator_binds_an_account_to_the_Lyon_site_and_that_users_INSi_search_presents_Lyons_certificate_as_does_a_job_chosen_for_Lyon()
    {
        using (var api = await ui.Gateway.SignedInClientAsync(Server.GatewayApp.AdminUserName, ui.Gateway.AdminPassword))
        {
            var created = await api.PostAsJsonAsync("api/admin/users", new { userName = LyonUser, password = GatewayServer.Password, roles = new[] { GatewayRoles.FrontDesk } });
            created.StatusCode.Should().Be(HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        }

        // Others do not see the screen.
        var desk = await ui.SignedInPageAsync(GatewayServer.FrontDesk);
        await Expect(desk.GetByRole(AriaRole.Link, new() { Name = "Établissements" })).ToHaveCountAsync(0);
        await desk.GotoAsync("/etablissements");
        await Expect(Title(desk)).ToHaveTextAsync("Accès refusé");

        var page = await AdminPageAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Établissements", Exact = true }).ClickAsync();
        await Expect(Title(page)).ToHaveTextAsync("Établissements");
        var lyon = page.GetByRole(AriaRole.Region, new() { Name = "Site de Lyon" });
        var main = page.GetByRole(AriaRole.Region, new() { Name = "Site principal" });
        await Expect(lyon).ToContainTextAsync(EstablishmentsFixture.Lyon);
        await Expect(main).ToContainTextAsync("Oui : les appels qui ne désignent aucun établissement agissent pour lui.");
        await Expect(main).ToContainTextAsync("Aucun certificat propre");
        var certificates = lyon.GetByRole(AriaRole.Table, new() { Name = "Site de Lyon Certificats" });
        await Expect(certificates.GetByRole(AriaRole.Row).Filter(new() { HasText = $"insi-manu@{EstablishmentsFixture.Lyon}" })).ToContainTextAsync("Valide");
        await Expect(certificates.GetByRole(AriaRole.Row).Filter(new() { HasText = $"insi-auto@{EstablishmentsFixture.Lyon}" })).ToContainTextAsync("INSi, appels automatiques (INSI-AUTO)");
        await Expect(certificates.GetByRole(AriaRole.Link, new() { Name = $"insi-manu@{EstablishmentsFixture.Lyon}" })).ToHaveAttributeAsync("href", $"/certificats#cert-insi-manu@{EstablishmentsFixture.Lyon}");
        await Expect(lyon).ToContainTextAsync("Aucun compte, clé d'API ni partenaire.");
        var unbound = page.GetByRole(AriaRole.Region, new() { Name = "Sans établissement désigné" });
        await Expect(unbound).ToContainTextAsync($"Ils agissent pour l'établissement par défaut : Site principal ({EstablishmentsFixture.Main}).");
        await Expect(unbound.GetByRole(AriaRole.Row).Filter(new() { HasText = LyonUser })).ToContainTextAsync("Compte");
        await ui.CheckScreenAsync(page, "establishments");

        // A FINESS that is not configured is refused naming the field (the select offers only configured ones: a
        // hand-made post stands for a stale page or a forged request).
        var form = page.GetByRole(AriaRole.Form, new() { Name = "Un compte" });
        await form.GetByLabel("Compte", new() { Exact = true }).SelectOptionAsync(new SelectOptionValue { Label = $"{LyonUser} — actuellement : l'établissement par défaut" });
        await form.GetByLabel("Établissement", new() { Exact = true }).SelectOptionAsync(EstablishmentsFixture.Lyon);
        await form.GetByRole(AriaRole.Button, new() { Name = "Rattacher le compte" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "rattaché" }))
            .ToHaveTextAsync($"Compte {LyonUser} rattaché à Site de Lyon ({EstablishmentsFixture.Lyon}) ; ses sessions en cours sont fermées.");
        await Expect(lyon.GetByRole(AriaRole.Row).Filter(new() { HasText = LyonUser })).ToContainTextAsync("Détacher");
        await Expect(unbound.GetByRole(AriaRole.Row).Filter(new() { HasText = LyonUser })).ToHaveCountAsync(0);
        await ui.CheckScreenAsync(page, "establishments-bound");

        // That user's INSi search, from the UI, presents Lyon's INSI-MANU: the service sees Lyon's structure id.
        var user = await ui.SignedInPageAsync(LyonUser);
        await CreateAsync(user, "ADRTROIS", "TOUSSAINT", "M", "1960-01-01", "2B020");
        fixture.Seen();
        await user.GetByRole(AriaRole.Button, new() { Name = "Interroger INSi" }).ClickAsync();
        await Expect(user.GetByRole(AriaRole.Status, new() { Name = "Résultat de l'interrogation INSi" })).ToContainTextAsync("Identité trouvée");
        fixture.Seen().Should().NotBeEmpty().And.OnlyContain(ou => ou == EstablishmentsFixture.LyonStructure, "the account acts for Lyon: INSi sees Lyon's certificate");

        // A verification job the administrator chooses for Lyon presents Lyon's INSI-AUTO.
        await page.GetByRole(AriaRole.Link, new() { Name = "Traitements de masse" }).ClickAsync();
        await page.GetByLabel("Traitement", new() { Exact = true }).SelectOptionAsync("verify");
        var choice = page.GetByLabel("Établissement", new() { Exact = true });
        await Expect(choice.Locator("option").First).ToHaveTextAsync($"Établissement par défaut : Site principal ({EstablishmentsFixture.Main})");
        await choice.SelectOptionAsync(EstablishmentsFixture.Lyon);
        await page.GetByLabel("Appels INSi par seconde (0 : sans limite)").FillAsync("0");
        await page.GetByRole(AriaRole.Button, new() { Name = "Lancer le traitement" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "Traitement lancé" })).ToContainTextAsync("1 élément(s)");
        await Expect(page.GetByRole(AriaRole.Table, new() { Name = "Traitements" }).GetByRole(AriaRole.Row).Nth(1))
            .ToContainTextAsync($"établissement Site de Lyon ({EstablishmentsFixture.Lyon})");
        var jobSeen = new List<string>();
        for (var i = 0; i < 120 && jobSeen.Count == 0; i++)
        {
            await Task.Delay(500, TestContext.Current.CancellationToken);
            jobSeen.AddRange(fixture.Seen());
        }

        jobSeen.Should().NotBeEmpty().And.OnlyContain(ou => ou == EstablishmentsFixture.LyonStructure, "the job acts for Lyon: its unattended calls present Lyon's INSI-AUTO");

        // Detached, the account acts for the default establishment again.
        await page.GetByRole(AriaRole.Link, new() { Name = "Établissements", Exact = true }).ClickAsync();
        await lyon.GetByRole(AriaRole.Button, new() { Name = $"Détacher {LyonUser} de son établissement" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "rattaché" })).ToContainTextAsync("l'établissement par défaut");
        await Expect(unbound.GetByRole(AriaRole.Row).Filter(new() { HasText = LyonUser })).ToHaveCountAsync(1);
        ui.NoBrowserErrors();
    }

    [Fact]
    public async Task Binding_to_an_establishment_that_is_not_configured_is_refused_in_french_naming_the_field()
    {
        var page = await AdminPageAsync();
        await page.GotoAsync("/etablissements");
        var form = page.GetByRole(AriaRole.Form, new() { Name = "Un compte" });
        // A stale page or a forged post: the select offers only configured establishments, so add one that is not.
        await form.GetByLabel("Établissement", new() { Exact = true }).EvaluateAsync("(s, v) => { const o = document.createElement('option'); o.value = v; o.text = v; s.add(o); s.value = v; }", "750000999");
        await form.GetByRole(AriaRole.Button, new() { Name = "Rattacher le compte" }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("Refusé : cet établissement n'est pas configuré (Gateway:Establishments).");
        var refused = page.GetByRole(AriaRole.Form, new() { Name = "Un compte" }).GetByLabel("Établissement", new() { Exact = true });
        await Expect(refused).ToHaveAttributeAsync("aria-invalid", "true");
        ui.NoBrowserErrors();
    }
}
