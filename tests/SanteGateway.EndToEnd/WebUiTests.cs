using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace SanteGateway.EndToEnd;

/// <summary>The staff web UI, driven in headless Chromium against the real gateway and INSi sandbox.</summary>
public sealed partial class WebUiTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>, IAsyncLifetime
{
    private readonly List<string> browserErrors = [];
    private readonly List<IBrowserContext> contexts = [];

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        // A failed test leaves a screenshot of each of its pages in artifacts/test/e2e (kept by CI, ignored by git).
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
                // The page may be gone; the assertion message is the primary evidence anyway.
            }
        }
    }

    [Fact]
    public async Task A_front_desk_user_creates_adrtrois_toussaint_and_the_insi_call_makes_it_recup_with_its_ins_shown()
    {
        var page = await SignedInPageAsync(GatewayServer.FrontDesk);

        await CreateAsync(page, "ADRTROIS", "TOUSSAINT", "M", "1960-01-01", "2B020");
        await Expect(Title(page)).ToContainTextAsync("ADRTROIS TOUSSAINT");
        await Expect(Title(page)).ToContainTextAsync("PROV");
        await Expect(page.GetByText("Aucun INS pour cette identité.")).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Vérifier l'INS" })).ToBeDisabledAsync();

        await page.GetByRole(AriaRole.Button, new() { Name = "Interroger INSi" }).ClickAsync();

        var result = page.GetByRole(AriaRole.Status, new() { Name = "Résultat de l'interrogation INSi" });
        await Expect(result).ToContainTextAsync("Identité trouvée");
        await Expect(result).ToContainTextAsync("Code retour (CR)00");
        await Expect(result).ToContainTextAsync("INS récupéré. Statut de l'identité : RECUP.");
        await Expect(Title(page)).ToContainTextAsync("RECUP");
        await Expect(page.GetByTestId("ins-matricule")).ToHaveTextAsync("1 60 01 2B 020 777 13");
        await Expect(page.GetByText("Non transmissible tant que l'identité n'est pas qualifiée")).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Table).Filter(new() { HasText = "Matricule" })).ToContainTextAsync("1.2.250.1.213.1.4.8");
        await Expect(page.GetByRole(AriaRole.Table, new() { Name = "Échanges INSi" })).ToContainTextAsync("Identité trouvée");
        await Expect(page.GetByText("Messages SOAP bruts (requête et réponse)")).ToHaveCountAsync(0);
        await ScreenshotAsync(page, "identity-recup");

        // The INS is verified against the stored traits: confirmed, status unchanged.
        await page.GetByRole(AriaRole.Button, new() { Name = "Vérifier l'INS" }).ClickAsync();
        var verification = page.GetByRole(AriaRole.Status, new() { Name = "Résultat de la vérification de l'INS" });
        await Expect(verification).ToContainTextAsync("Identité trouvée");
        await Expect(Title(page)).ToContainTextAsync("RECUP");

        // A checked passport (high-trust device) on top of the INS qualifies the identity.
        await page.GetByLabel("Type de pièce", new() { Exact = true }).SelectOptionAsync("PA");
        await page.GetByLabel("Date d'expiration", new() { Exact = true }).FillAsync("2031-05-01");
        await page.GetByRole(AriaRole.Button, new() { Name = "Ajouter le justificatif" }).ClickAsync();
        await Expect(Title(page)).ToContainTextAsync("QUAL");
        await Expect(page.GetByText("Transmissible (identité qualifiée)")).ToBeVisibleAsync();
        await Expect(verification).ToHaveCountAsync(0);
        var dataMatrix = page.GetByRole(AriaRole.Img, new() { Name = "DataMatrix INS de l'identité" });
        await Expect(dataMatrix).ToBeVisibleAsync();
        await page.WaitForFunctionAsync("() => { const i = document.querySelector('img.datamatrix'); return i && i.complete && i.naturalWidth > 0; }");
        await Expect(page.GetByText("Identité créée (statut PROV).")).ToHaveCountAsync(0);
        await Expect(page.GetByRole(AriaRole.Table).Filter(new() { HasText = "Contrôlée le" })).ToContainTextAsync("Passeport (PA)");

        var audit = page.GetByRole(AriaRole.Table).Filter(new() { HasText = "Canal" });
        await Expect(audit).ToContainTextAsync("Création de l'identité");
        await Expect(audit).ToContainTextAsync("INS récupéré (INSi)");
        await Expect(audit).ToContainTextAsync("Appel INSi : recherche");
        await Expect(audit).ToContainTextAsync("statut : RECUP → QUAL");
        await ScreenshotAsync(page, "identity-qual");
        NoBrowserErrors();
    }

    [Fact]
    public async Task A_refused_form_shows_each_error_next_to_the_field_it_names_and_the_corrected_one_creates_a_vali_identity()
    {
        var page = await SignedInPageAsync(GatewayServer.FrontDesk);
        await page.GetByRole(AriaRole.Link, new() { Name = "Nouvelle identité" }).ClickAsync();

        await page.GetByLabel("Nom de naissance", new() { Exact = true }).FillAsync("DUP0NT");
        await page.GetByLabel("Prénom(s) de naissance", new() { Exact = true }).FillAsync("JEAN");
        await page.GetByLabel("Date de naissance", new() { Exact = true }).FillAsync("1980-05-17");
        await page.GetByLabel("Type de pièce", new() { Exact = true }).SelectOptionAsync("CN");
        await page.GetByLabel("Date du contrôle", new() { Exact = true }).FillAsync("2026-01-10");
        await page.GetByLabel("Date d'expiration", new() { Exact = true }).FillAsync("2025-01-01");
        await page.GetByRole(AriaRole.Button, new() { Name = "Créer l'identité" }).ClickAsync();

        await Expect(page.GetByLabel("Nom de naissance", new() { Exact = true })).ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(page.GetByLabel("Nom de naissance", new() { Exact = true })).ToHaveAccessibleDescriptionAsync(new Regex("Caractère « 0 » non autorisé en position 4"));
        await Expect(page.GetByLabel("Sexe", new() { Exact = true })).ToHaveAccessibleDescriptionAsync(new Regex("Ce champ est obligatoire\\."));
        await Expect(page.GetByLabel("Date d'expiration", new() { Exact = true })).ToHaveAccessibleDescriptionAsync(new Regex("La pièce était expirée à la date du contrôle"));
        await Expect(page.GetByLabel("Prénom(s) de naissance", new() { Exact = true })).Not.ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("Le formulaire contient des erreurs");
        await Expect(page.GetByLabel("Nom de naissance", new() { Exact = true })).ToBeFocusedAsync();
        await ScreenshotAsync(page, "form-errors");

        // Corrected, the same form is accepted and the errors are gone.
        await page.GetByLabel("Nom de naissance", new() { Exact = true }).FillAsync("DUPONT");
        await page.GetByLabel("Sexe", new() { Exact = true }).SelectOptionAsync("M");
        await page.GetByLabel("Date d'expiration", new() { Exact = true }).FillAsync("2031-01-01");
        await page.GetByRole(AriaRole.Button, new() { Name = "Créer l'identité" }).ClickAsync();
        await Expect(Title(page)).ToContainTextAsync("DUPONT JEAN");
        await Expect(Title(page)).ToContainTextAsync("VALI · Validée");
        await Expect(page.GetByRole(AriaRole.Table).Filter(new() { HasText = "Contrôlée le" })).ToContainTextAsync("Carte nationale d'identité (CN)");
        NoBrowserErrors();
    }

    [Fact]
    public async Task A_person_unknown_to_insi_gets_the_not_found_answer_and_the_identity_stays_prov()
    {
        var page = await SignedInPageAsync(GatewayServer.FrontDesk);
        await CreateAsync(page, "INCONNU", "PERSONNE", "F", "1999-09-09", null);

        await page.GetByRole(AriaRole.Button, new() { Name = "Interroger INSi" }).ClickAsync();

        var result = page.GetByRole(AriaRole.Status, new() { Name = "Résultat de l'interrogation INSi" });
        await Expect(result).ToContainTextAsync("Aucune identité trouvée");
        await Expect(result).ToContainTextAsync("Code retour (CR)01");
        await Expect(result).ToContainTextAsync("AppliquéNon");
        await Expect(result).ToContainTextAsync("INSi n'a trouvé aucune identité pour ces traits ; rien n'a été modifié.");
        await Expect(Title(page)).ToContainTextAsync("PROV");
        await Expect(page.GetByText("Aucun INS pour cette identité.")).ToBeVisibleAsync();
        NoBrowserErrors();
    }

    [Fact]
    public async Task Several_insi_identities_ask_for_the_birth_place_and_differing_insi_traits_are_listed_and_not_applied()
    {
        var page = await SignedInPageAsync(GatewayServer.FrontDesk);
        await CreateAsync(page, "DE VINCI", "LEONARDO", "M", "2014-02-01", null);
        await page.GetByRole(AriaRole.Button, new() { Name = "Interroger INSi" }).ClickAsync();
        var result = page.GetByRole(AriaRole.Status, new() { Name = "Résultat de l'interrogation INSi" });
        await Expect(result).ToContainTextAsync("Plusieurs identités trouvées");
        await Expect(result).ToContainTextAsync("Code retour (CR)02");
        await Expect(result).ToContainTextAsync("complétez les traits (lieu de naissance)");
        await Expect(Title(page)).ToContainTextAsync("PROV");

        // Her birth certificate lists OLA first, INSi knows CATARINA BELLA: found on a listed first name, but not applied.
        await CreateAsync(page, "TCHITCHI", "OLA CATARINA BELLA", "F", "1936-06-21", null);
        await page.GetByRole(AriaRole.Button, new() { Name = "Interroger INSi" }).ClickAsync();
        await Expect(result).ToContainTextAsync("Identité trouvée");
        await Expect(result).ToContainTextAsync("AppliquéNon");
        await Expect(result).ToContainTextAsync("Les traits renvoyés par INSi diffèrent de l'identité locale");
        var differences = result.GetByRole(AriaRole.Table, new() { Name = "Traits divergents" });
        await Expect(differences).ToContainTextAsync("Prénom(s) de naissance");
        await Expect(differences).ToContainTextAsync("OLA CATARINA BELLA");
        await Expect(differences).ToContainTextAsync("CATARINA BELLA");
        await Expect(Title(page)).ToContainTextAsync("PROV");
        await Expect(page.GetByText("Aucun INS pour cette identité.")).ToBeVisibleAsync();
        await ScreenshotAsync(page, "insi-mismatch");
        NoBrowserErrors();
    }

    [Fact]
    public async Task A_document_expired_when_checked_is_refused_next_to_its_expiry_date_and_the_strict_traits_of_a_recup_identity_are_locked_for_front_desk()
    {
        var page = await SignedInPageAsync(GatewayServer.FrontDesk);
        // Each test uses its own sandbox person: one INS is active on one identity only.
        await CreateAsync(page, "ADRUN", "ZOE", "F", "1975-12-31", "63220");

        await page.GetByLabel("Type de pièce", new() { Exact = true }).SelectOptionAsync("CN");
        await page.GetByLabel("Date du contrôle", new() { Exact = true }).FillAsync("2026-01-10");
        await page.GetByLabel("Date d'expiration", new() { Exact = true }).FillAsync("2025-12-31");
        await page.GetByRole(AriaRole.Button, new() { Name = "Ajouter le justificatif" }).ClickAsync();
        await Expect(page.GetByLabel("Date d'expiration", new() { Exact = true })).ToHaveAccessibleDescriptionAsync(new Regex("La pièce était expirée à la date du contrôle"));
        await Expect(Title(page)).ToContainTextAsync("PROV");

        await page.GetByRole(AriaRole.Button, new() { Name = "Interroger INSi" }).ClickAsync();
        await Expect(Title(page)).ToContainTextAsync("RECUP");
        await page.GetByRole(AriaRole.Button, new() { Name = "Modifier les traits" }).ClickAsync();
        await Expect(page.GetByText("Les traits stricts d'une identité RECUP sont verrouillés")).ToBeVisibleAsync();
        await Expect(page.GetByLabel("Nom de naissance", new() { Exact = true })).ToBeDisabledAsync();
        await Expect(page.GetByLabel("Date de naissance", new() { Exact = true })).ToBeDisabledAsync();
        await page.GetByLabel("Prénom utilisé", new() { Exact = true }).FillAsync("TOTO");
        await page.GetByRole(AriaRole.Button, new() { Name = "Enregistrer les traits" }).ClickAsync();
        await Expect(page.GetByText("Traits enregistrés.")).ToBeVisibleAsync();
        await Expect(page.Locator("dl.traits").First).ToContainTextAsync("TOTO");
        await Expect(Title(page)).ToContainTextAsync("RECUP");
        NoBrowserErrors();
    }

    [Fact]
    public async Task An_expired_session_leads_to_the_sign_in_page_and_back_to_the_same_identity()
    {
        var page = await SignedInPageAsync(GatewayServer.FrontDesk);
        await CreateAsync(page, "SESSION", "EXPIREE", "F", "1985-04-04", null);
        var identityUrl = page.Url;
        // Let the page finish loading (its audit trail) so that the click below is what meets the ended session.
        await Expect(page.GetByRole(AriaRole.Table).Filter(new() { HasText = "Canal" })).ToContainTextAsync("Création de l'identité");

        // The session ends behind the page's back (as after 8 hours, or a sign-out in another tab).
        (await page.Context.APIRequest.PostAsync("api/auth/logout")).Status.Should().Be(204);
        await page.GetByRole(AriaRole.Button, new() { Name = "Interroger INSi" }).ClickAsync();

        await Expect(Title(page)).ToHaveTextAsync("Connexion");
        await Expect(page.GetByText("Votre session a expiré. Reconnectez-vous.")).ToBeVisibleAsync();
        await page.GetByLabel("Identifiant", new() { Exact = true }).FillAsync(GatewayServer.FrontDesk);
        await page.GetByLabel("Mot de passe", new() { Exact = true }).FillAsync(GatewayServer.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Se connecter" }).ClickAsync();

        await Expect(Title(page)).ToContainTextAsync("SESSION EXPIREE");
        page.Url.Should().Be(identityUrl);
        NoBrowserErrors();
    }

    [Fact]
    public async Task A_front_desk_user_cannot_set_attributes_and_the_gateway_refuses_it_with_403()
    {
        var page = await SignedInPageAsync(GatewayServer.FrontDesk);
        await CreateAsync(page, "MARTIN", "CLAIRE", "F", "1975-03-02", null);

        await Expect(page.GetByRole(AriaRole.Checkbox, new() { Name = "Douteuse" })).ToBeDisabledAsync();
        await Expect(page.GetByRole(AriaRole.Checkbox, new() { Name = "Fictive" })).ToBeDisabledAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Enregistrer les attributs" })).ToHaveCountAsync(0);
        await Expect(page.GetByText("Réservé à la cellule d'identitovigilance.")).ToBeVisibleAsync();

        // The gateway, not only the page, refuses it for this session.
        var id = IdentityId(page);
        var response = await page.Context.APIRequest.PostAsync($"api/identities/{id}/attributes", new() { DataObject = new { doubtful = true } });
        response.Status.Should().Be(403);
        await page.ReloadAsync();
        await Expect(Title(page)).ToContainTextAsync("PROV");
        await Expect(Title(page)).Not.ToContainTextAsync("Douteuse");
        NoBrowserErrors();
    }

    [Fact]
    public async Task An_identity_vigilance_user_marks_a_recup_identity_doubtful_and_its_status_falls_to_prov()
    {
        var page = await SignedInPageAsync(GatewayServer.Vigilance);
        await CreateAsync(page, "NESSI", "NATHALIE", "F", "1977-07-14", "63220");
        await page.GetByRole(AriaRole.Button, new() { Name = "Interroger INSi" }).ClickAsync();
        await Expect(Title(page)).ToContainTextAsync("RECUP");

        // Identity vigilance sees the recorded INSi exchange with its raw SOAP messages.
        var exchanges = page.GetByRole(AriaRole.Table, new() { Name = "Échanges INSi" });
        await Expect(exchanges).ToContainTextAsync("Recherche");
        await Expect(exchanges).ToContainTextAsync("INSI-MANU");
        await page.GetByText("Messages SOAP bruts (requête et réponse)").ClickAsync();
        await Expect(exchanges.Locator("pre.xml").First).ToContainTextAsync("NESSI");

        await page.GetByRole(AriaRole.Checkbox, new() { Name = "Douteuse" }).CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Enregistrer les attributs" }).ClickAsync();

        await Expect(page.GetByText("Attributs enregistrés. Statut de l'identité : PROV.")).ToBeVisibleAsync();
        await Expect(Title(page)).ToContainTextAsync("PROV");
        await Expect(Title(page)).ToContainTextAsync("Douteuse");
        await Expect(page.GetByText("Aucun INS pour cette identité.")).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Table).Filter(new() { HasText = "Matricule" })).ToContainTextAsync("Non");
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Interroger INSi" })).ToBeDisabledAsync();
        await Expect(page.GetByText("INSi ne peut pas être interrogé pour une identité douteuse ou fictive.")).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Table).Filter(new() { HasText = "Canal" })).ToContainTextAsync("Modification des attributs");
        await ScreenshotAsync(page, "identity-doubtful");
        NoBrowserErrors();
    }

    [Fact]
    public async Task An_identity_vigilance_user_withdraws_the_qualification_of_a_qual_identity_which_returns_to_recup()
    {
        var page = await SignedInPageAsync(GatewayServer.Vigilance);
        await page.GetByRole(AriaRole.Link, new() { Name = "Nouvelle identité" }).ClickAsync();
        await page.GetByLabel("Nom de naissance", new() { Exact = true }).FillAsync("ADRTROIS");
        await page.GetByLabel("Prénom(s) de naissance", new() { Exact = true }).FillAsync("DOMINIQUE");
        await page.GetByLabel("Sexe", new() { Exact = true }).SelectOptionAsync("F");
        await page.GetByLabel("Date de naissance", new() { Exact = true }).FillAsync("1997-02-26");
        await page.GetByLabel("Type de pièce", new() { Exact = true }).SelectOptionAsync("CS");
        await page.GetByLabel("Date d'expiration", new() { Exact = true }).FillAsync("2030-06-30");
        await page.GetByRole(AriaRole.Button, new() { Name = "Créer l'identité" }).ClickAsync();
        await Expect(page.GetByText("Identité créée (statut VALI).")).ToBeVisibleAsync();

        await page.GetByRole(AriaRole.Button, new() { Name = "Interroger INSi" }).ClickAsync();
        await Expect(Title(page)).ToContainTextAsync("QUAL");
        await Expect(page.GetByTestId("ins-matricule")).ToHaveTextAsync("2 97 02 2A 020 778 78");

        await page.GetByRole(AriaRole.Button, new() { Name = "Retirer la qualification" }).ClickAsync();
        await Expect(page.GetByText("Indiquez le motif du retrait de la qualification.")).ToBeVisibleAsync();
        await page.GetByLabel("Motif du retrait", new() { Exact = true }).FillAsync("Pièce d'identité falsifiée");
        var viewport = page.ViewportSize;
        await ScreenshotAsync(page, "revert-reason-desktop");
        await page.SetViewportSizeAsync(390, 844);
        await ScreenshotAsync(page, "revert-reason-phone");
        if (viewport is not null)
        {
            await page.SetViewportSizeAsync(viewport.Width, viewport.Height);
        }

        await page.GetByRole(AriaRole.Button, new() { Name = "Retirer la qualification" }).ClickAsync();
        await Expect(page.GetByText("Qualification retirée. Statut de l'identité : RECUP.")).ToBeVisibleAsync();
        await Expect(Title(page)).ToContainTextAsync("RECUP");
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Retirer la qualification" })).ToHaveCountAsync(0);
        await Expect(page.GetByRole(AriaRole.Img, new() { Name = "DataMatrix INS de l'identité" })).ToHaveCountAsync(0);
        NoBrowserErrors();
    }

    [Fact]
    public async Task A_concurrent_edit_in_a_second_page_is_refused_with_the_modified_by_someone_else_message()
    {
        var first = await SignedInPageAsync(GatewayServer.FrontDesk);
        await CreateAsync(first, "BERNARD", "LUC", "M", "1990-07-14", null);
        var second = await SignedInPageAsync(GatewayServer.FrontDesk2);
        await second.GotoAsync(first.Url);
        await Expect(Title(second)).ToContainTextAsync("BERNARD LUC");

        await first.GetByRole(AriaRole.Button, new() { Name = "Modifier les traits" }).ClickAsync();
        await second.GetByRole(AriaRole.Button, new() { Name = "Modifier les traits" }).ClickAsync();
        await first.GetByLabel("Nom utilisé", new() { Exact = true }).FillAsync("DURAND");
        await first.GetByRole(AriaRole.Button, new() { Name = "Enregistrer les traits" }).ClickAsync();
        await Expect(first.GetByText("Traits enregistrés.")).ToBeVisibleAsync();

        await second.GetByLabel("Nom utilisé", new() { Exact = true }).FillAsync("PETIT");
        await second.GetByRole(AriaRole.Button, new() { Name = "Enregistrer les traits" }).ClickAsync();
        await Expect(second.GetByRole(AriaRole.Alert).First).ToContainTextAsync("modifiée par quelqu'un d'autre");
        await ScreenshotAsync(second, "concurrent-edit");

        await second.GetByRole(AriaRole.Button, new() { Name = "Recharger l'identité" }).ClickAsync();
        await Expect(second.GetByText("Identité rechargée")).ToBeVisibleAsync();
        await Expect(second.Locator("dl.traits").First).ToContainTextAsync("DURAND");
        await Expect(second.Locator("dl.traits").First).Not.ToContainTextAsync("PETIT");
        NoBrowserErrors();
    }

    [Fact]
    public async Task The_search_ignores_case_and_accents_marks_homonyms_and_pages_through_results()
    {
        using (var api = await fixture.Gateway.SignedInClientAsync(GatewayServer.FrontDesk))
        {
            for (var i = 0; i < 21; i++)
            {
                var birthDate = i < 2 ? "1950-01-01" : $"19{60 + i}-02-03";
                // The two born the same day are homonyms born in different places (otherwise the second would be a duplicate).
                var r = await api.PostAsJsonAsync("api/identities", new { birthName = "LEFÈVRE", birthFirstNames = "ÉLODIE", sex = "F", birthDate, birthPlaceCog = i == 1 ? "69123" : "75056" });
                r.IsSuccessStatusCode.Should().BeTrue(await r.Content.ReadAsStringAsync());
            }
        }

        var page = await SignedInPageAsync(GatewayServer.FrontDesk);
        await page.GetByLabel("Nom de naissance", new() { Exact = true }).FillAsync("lefevre");
        await page.GetByLabel("Prénom", new() { Exact = true }).FillAsync("Elodie");
        await page.GetByRole(AriaRole.Button, new() { Name = "Rechercher", Exact = true }).ClickAsync();

        await Expect(page.GetByText("21 identités trouvées · page 1 sur 2")).ToBeVisibleAsync();
        var rows = page.GetByRole(AriaRole.Table).Locator("tbody tr");
        await Expect(rows).ToHaveCountAsync(20);
        await Expect(rows.First).ToContainTextAsync("LEFÈVRE");
        await Expect(rows.First).ToContainTextAsync("PROV · Provisoire");
        await Expect(page.GetByText("même nom et même date de naissance").First).ToBeVisibleAsync();
        await ScreenshotAsync(page, "search");

        await page.GetByRole(AriaRole.Link, new() { Name = "Page suivante →" }).ClickAsync();
        await Expect(page.GetByText("21 identités trouvées · page 2 sur 2")).ToBeVisibleAsync();
        await Expect(rows).ToHaveCountAsync(1);

        await page.GetByLabel("Nom de naissance", new() { Exact = true }).FillAsync("PERSONNE-INCONNUE");
        await page.GetByLabel("Prénom", new() { Exact = true }).FillAsync("");
        await page.GetByRole(AriaRole.Button, new() { Name = "Rechercher", Exact = true }).ClickAsync();
        await Expect(page.GetByText("Aucune identité ne correspond à ces critères.")).ToBeVisibleAsync();
        NoBrowserErrors();
    }

    [Fact]
    public async Task A_wrong_password_is_refused_and_signing_out_ends_the_session()
    {
        var context = await NewContextAsync();
        var page = await context.NewPageAsync();
        Watch(page);
        await page.GotoAsync("/");
        await page.GetByLabel("Identifiant", new() { Exact = true }).FillAsync(GatewayServer.FrontDesk);
        await page.GetByLabel("Mot de passe", new() { Exact = true }).FillAsync("pas-le-bon-mot-de-passe");
        await page.GetByRole(AriaRole.Button, new() { Name = "Se connecter" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("Identifiant ou mot de passe incorrect.");

        await page.GetByLabel("Mot de passe", new() { Exact = true }).FillAsync(GatewayServer.Password);
        await page.GetByLabel("Mot de passe", new() { Exact = true }).PressAsync("Enter");
        await Expect(Title(page)).ToHaveTextAsync("Rechercher une identité");
        await Expect(page.GetByText("accueil1 · Accueil")).ToBeVisibleAsync();

        await page.GetByRole(AriaRole.Button, new() { Name = "Se déconnecter" }).ClickAsync();
        await Expect(Title(page)).ToHaveTextAsync("Connexion");
        await Expect(page.GetByText("Vous êtes déconnecté.")).ToBeVisibleAsync();
        (await context.APIRequest.GetAsync("api/auth/me")).Status.Should().Be(401);

        // A bookmarked page asks for the sign-in again.
        await page.GotoAsync("/#/new");
        await Expect(Title(page)).ToHaveTextAsync("Connexion");
        NoBrowserErrors();
    }

    [Fact]
    public async Task The_keyboard_alone_signs_in_searches_and_opens_an_identity()
    {
        using (var api = await fixture.Gateway.SignedInClientAsync(GatewayServer.FrontDesk))
        {
            (await api.PostAsJsonAsync("api/identities", new { birthName = "CLAVIER", birthFirstNames = "ANNE", sex = "F", birthDate = "1988-08-08" })).IsSuccessStatusCode.Should().BeTrue();
        }

        var context = await NewContextAsync();
        var page = await context.NewPageAsync();
        Watch(page);
        await page.GotoAsync("/");
        await Expect(Title(page)).ToBeFocusedAsync();

        await page.Keyboard.PressAsync("Tab");
        await Expect(page.GetByLabel("Identifiant", new() { Exact = true })).ToBeFocusedAsync();
        await page.Keyboard.TypeAsync(GatewayServer.FrontDesk);
        await page.Keyboard.PressAsync("Tab");
        await page.Keyboard.TypeAsync(GatewayServer.Password);
        await page.Keyboard.PressAsync("Enter");
        await Expect(Title(page)).ToHaveTextAsync("Rechercher une identité");
        await Expect(Title(page)).ToBeFocusedAsync();

        await page.Keyboard.PressAsync("Tab");
        await Expect(page.GetByLabel("Nom de naissance", new() { Exact = true })).ToBeFocusedAsync();
        await page.Keyboard.TypeAsync("Clavier");
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.GetByText("1 identité trouvée · page 1 sur 1")).ToBeVisibleAsync();

        var link = page.GetByRole(AriaRole.Link, new() { Name = "CLAVIER" });
        await link.FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await Expect(Title(page)).ToContainTextAsync("CLAVIER ANNE");
        await Expect(Title(page)).ToBeFocusedAsync();

        // After an action the focus lands on its outcome, not back at the top of the page.
        await page.GetByRole(AriaRole.Button, new() { Name = "Interroger INSi" }).FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.GetByRole(AriaRole.Status, new() { Name = "Résultat de l'interrogation INSi" })).ToBeFocusedAsync();

        await page.GetByRole(AriaRole.Button, new() { Name = "Modifier les traits" }).FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.GetByLabel("Nom de naissance", new() { Exact = true })).ToBeFocusedAsync();
        await page.GetByLabel("Nom utilisé", new() { Exact = true }).FocusAsync();
        await page.Keyboard.TypeAsync("MARTIN");
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "Traits enregistrés." })).ToBeFocusedAsync();
        NoBrowserErrors();
    }

    [Fact]
    public async Task An_administrator_reads_identities_but_is_offered_no_change()
    {
        using (var api = await fixture.Gateway.SignedInClientAsync(GatewayServer.FrontDesk))
        {
            (await api.PostAsJsonAsync("api/identities", new { birthName = "LECTURE", birthFirstNames = "PAUL", sex = "M", birthDate = "1970-10-10" })).IsSuccessStatusCode.Should().BeTrue();
        }

        var page = await SignedInPageAsync(SanteGateway.Server.GatewayApp.AdminUserName, fixture.Gateway.AdminPassword);
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Nouvelle identité" })).ToBeHiddenAsync();
        await page.GetByLabel("Nom de naissance", new() { Exact = true }).FillAsync("lecture");
        await page.GetByRole(AriaRole.Button, new() { Name = "Rechercher", Exact = true }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "LECTURE" }).ClickAsync();

        await Expect(Title(page)).ToContainTextAsync("LECTURE PAUL");
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Interroger INSi" })).ToBeDisabledAsync();
        await Expect(page.GetByText("Votre profil permet la consultation uniquement.")).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Modifier les traits" })).ToHaveCountAsync(0);
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Ajouter le justificatif" })).ToHaveCountAsync(0);
        await Expect(page.GetByRole(AriaRole.Table).Filter(new() { HasText = "Canal" })).ToContainTextAsync("Création de l'identité");
        NoBrowserErrors();
    }

    [Fact]
    public async Task The_page_and_its_assets_are_served_with_the_gateway_security_headers_and_revalidated_by_etag()
    {
        var context = await NewContextAsync();
        var response = await context.APIRequest.GetAsync("/");
        response.Status.Should().Be(200);
        response.Headers["content-type"].Should().StartWith("text/html");
        response.Headers["content-security-policy"].Should().Contain("default-src 'self'");
        (await response.TextAsync()).Should().Contain("<script type=\"module\" src=\"/ui/js/app.js\">");
        var script = await context.APIRequest.GetAsync("/ui/js/app.js");
        script.Headers["content-type"].Should().StartWith("text/javascript");
        script.Headers["cache-control"].Should().Be("no-cache");
        (await context.APIRequest.GetAsync("/ui/missing.js")).Status.Should().Be(404);
        (await context.APIRequest.GetAsync("/ui/../GatewayApp.cs")).Status.Should().Be(404);
        (await context.APIRequest.GetAsync("/ui/WebUiEndpoints.cs")).Status.Should().Be(404);

        // Revalidation: the same content answers 304 to its ETag.
        var etag = script.Headers["etag"];
        var again = await context.APIRequest.GetAsync("/ui/js/app.js", new() { Headers = new Dictionary<string, string> { ["If-None-Match"] = etag } });
        again.Status.Should().Be(304);

        // The installation settings need a session, then list the configured high-trust documents.
        (await context.APIRequest.GetAsync("/api/ui/settings")).Status.Should().Be(401);
        using var api = await fixture.Gateway.SignedInClientAsync(GatewayServer.FrontDesk);
        var settings = await api.GetFromJsonAsync<System.Text.Json.JsonElement>("api/ui/settings");
        settings.GetProperty("highTrustDocuments").EnumerateArray().Select(e => e.GetString()).Should().Contain(["CN", "PA", "CS"]);
        settings.GetProperty("dataMatrix").GetBoolean().Should().BeTrue();
    }

    private static ILocator Title(IPage page) => page.GetByRole(AriaRole.Heading, new() { Level = 1 });

    private static string IdentityId(IPage page) => IdRegex().Match(page.Url).Groups[1].Value;

    [GeneratedRegex("#/identities/([0-9a-f-]{36})")]
    private static partial Regex IdRegex();

    private async Task<IBrowserContext> NewContextAsync()
    {
        var context = await fixture.NewContextAsync();
        contexts.Add(context);
        return context;
    }

    /// <summary>Collects uncaught script errors and CSP refusals: a page that works only by luck fails the test.</summary>
    private void Watch(IPage page)
    {
        page.PageError += (_, error) => browserErrors.Add("page error: " + error);
        page.Console += (_, message) =>
        {
            if (message.Type == "error" && !message.Text.StartsWith("Failed to load resource", StringComparison.Ordinal))
            {
                browserErrors.Add("console: " + message.Text);
            }
        };
    }

    private void NoBrowserErrors() => browserErrors.Should().BeEmpty();

    private async Task<IPage> SignedInPageAsync(string user, string password = GatewayServer.Password)
    {
        var context = await NewContextAsync();
        var page = await context.NewPageAsync();
        Watch(page);
        await page.GotoAsync("/");
        await page.GetByLabel("Identifiant", new() { Exact = true }).FillAsync(user);
        await page.GetByLabel("Mot de passe", new() { Exact = true }).FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Se connecter" }).ClickAsync();
        await Expect(Title(page)).ToHaveTextAsync("Rechercher une identité");
        return page;
    }

    private static async Task CreateAsync(IPage page, string birthName, string firstNames, string sex, string birthDate, string? cog)
    {
        await page.GetByRole(AriaRole.Link, new() { Name = "Nouvelle identité" }).ClickAsync();
        await Expect(Title(page)).ToHaveTextAsync("Nouvelle identité");
        await page.GetByLabel("Nom de naissance", new() { Exact = true }).FillAsync(birthName);
        await page.GetByLabel("Prénom(s) de naissance", new() { Exact = true }).FillAsync(firstNames);
        await page.GetByLabel("Sexe", new() { Exact = true }).SelectOptionAsync(sex);
        await page.GetByLabel("Date de naissance", new() { Exact = true }).FillAsync(birthDate);
        if (cog is not null)
        {
            await page.GetByLabel("Lieu de naissance (code COG)", new() { Exact = true }).FillAsync(cog);
        }

        await page.GetByRole(AriaRole.Button, new() { Name = "Créer l'identité" }).ClickAsync();
        await Expect(page.GetByText("Identité créée (statut PROV).")).ToBeVisibleAsync();
    }

    /// <summary>Screenshots for a human look during development: only when SANTEGW_SCREENSHOTS names a folder.</summary>
    private static async Task ScreenshotAsync(IPage page, string name)
    {
        var dir = Environment.GetEnvironmentVariable("SANTEGW_SCREENSHOTS");
        if (!string.IsNullOrEmpty(dir))
        {
            Directory.CreateDirectory(dir);
            await page.ScreenshotAsync(new() { Path = Path.Combine(dir, name + ".png"), FullPage = true });
        }
    }
}
