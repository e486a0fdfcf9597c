using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;
using static SanteGateway.EndToEnd.UiSession;

namespace SanteGateway.EndToEnd;

/// <summary>The staff web UI (Razor components, static server rendering), driven in headless Chromium against the real gateway and INSi sandbox.</summary>
public sealed class WebUiTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>, IAsyncLifetime
{
    private readonly UiSession ui = new(fixture);

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => ui.DisposeAsync();

    [Fact]
    public async Task Signed_out_the_sign_in_page_shows_no_navigation_a_wrong_password_is_refused_and_signing_out_ends_the_session()
    {
        var page = await ui.NewPageAsync();
        await page.GotoAsync("/identites/nouvelle");
        await Expect(Title(page)).ToHaveTextAsync("Connexion");
        await Expect(page.GetByRole(AriaRole.Navigation, new() { Name = "Navigation principale" })).ToHaveCountAsync(0);
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Se déconnecter" })).ToHaveCountAsync(0);
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Rechercher" })).ToHaveCountAsync(0);
        await ui.CheckScreenAsync(page, "sign-in");

        await page.GetByLabel("Identifiant", new() { Exact = true }).FillAsync(GatewayServer.FrontDesk);
        await page.GetByLabel("Mot de passe", new() { Exact = true }).FillAsync("pas-le-bon-mot-de-passe");
        await page.GetByRole(AriaRole.Button, new() { Name = "Se connecter" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("Identifiant ou mot de passe incorrect.");

        await page.GetByLabel("Mot de passe", new() { Exact = true }).FillAsync(GatewayServer.Password);
        await page.GetByLabel("Mot de passe", new() { Exact = true }).PressAsync("Enter");
        // Back where the user was going.
        await Expect(Title(page)).ToHaveTextAsync("Nouvelle identité");
        await Expect(page.GetByText("accueil1 · Accueil")).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Navigation, new() { Name = "Navigation principale" })).ToBeVisibleAsync();

        await page.GetByRole(AriaRole.Button, new() { Name = "Se déconnecter" }).ClickAsync();
        await Expect(Title(page)).ToHaveTextAsync("Connexion");
        await Expect(page.GetByText("Vous êtes déconnecté.")).ToBeVisibleAsync();
        (await page.Context.APIRequest.GetAsync("api/auth/me")).Status.Should().Be(401);
        await page.GotoAsync("/");
        await Expect(Title(page)).ToHaveTextAsync("Connexion");
        ui.NoBrowserErrors();
    }

    [Fact]
    public async Task A_front_desk_user_takes_adrtrois_toussaint_to_qual_with_insi_and_a_passport_then_prints_the_label_and_the_a4_sheet()
    {
        var page = await ui.SignedInPageAsync(GatewayServer.FrontDesk);
        await CreateAsync(page, "ADRTROIS", "TOUSSAINT", "M", "1960-01-01", "2B020");
        await Expect(Title(page)).ToContainTextAsync("ADRTROIS TOUSSAINT");
        await Expect(Title(page)).ToContainTextAsync("PROV · Provisoire");
        await Expect(page.GetByText("Identité provisoire : ni INS récupéré")).ToBeVisibleAsync();
        await Expect(page.GetByText("Aucun INS pour cette identité.")).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Vérifier l'INS" })).ToBeDisabledAsync();

        await page.GetByRole(AriaRole.Button, new() { Name = "Interroger INSi" }).ClickAsync();
        var result = page.GetByRole(AriaRole.Status, new() { Name = "Résultat de l'interrogation INSi" });
        await Expect(result).ToContainTextAsync("Identité trouvée");
        await Expect(result).ToContainTextAsync("00 · une identité trouvée");
        await Expect(result).ToContainTextAsync("INS récupéré. Statut de l'identité : RECUP.");
        // Side by side: each strict trait, local and INSi.
        var compared = result.GetByRole(AriaRole.Table, new() { Name = "Traits comparés" });
        await Expect(compared).ToContainTextAsync("Nom de naissance");
        await Expect(compared).ToContainTextAsync("identique");
        await Expect(Title(page)).ToContainTextAsync("RECUP · Récupérée");
        await Expect(page.GetByTestId("ins-matricule")).ToHaveTextAsync("1 60 01 2B 020 777 13");
        await Expect(page.GetByText("Non transmissible tant que l'identité n'est pas qualifiée")).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Table, new() { Name = "Historique des INS" })).ToContainTextAsync("Téléservice INSi");
        var exchanges = page.GetByRole(AriaRole.Table, new() { Name = "Échanges INSi" });
        await Expect(exchanges).ToContainTextAsync("Recherche");
        await Expect(exchanges).ToContainTextAsync("00 (une identité trouvée)");
        await Expect(page.GetByText("Messages SOAP bruts (requête et réponse)")).ToHaveCountAsync(0);
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Imprimer l'étiquette" })).ToHaveCountAsync(0);

        await page.GetByRole(AriaRole.Button, new() { Name = "Vérifier l'INS" }).ClickAsync();
        var verification = page.GetByRole(AriaRole.Status, new() { Name = "Résultat de la vérification de l'INS" });
        await Expect(verification).ToContainTextAsync("INS confirmé");
        await Expect(Title(page)).ToContainTextAsync("RECUP");

        await page.GetByLabel("Type de pièce", new() { Exact = true }).SelectOptionAsync("PA");
        await page.GetByLabel("Date d'expiration", new() { Exact = true }).FillAsync("2031-05-01");
        await page.GetByRole(AriaRole.Button, new() { Name = "Ajouter le justificatif" }).ClickAsync();
        await Expect(page.GetByText("Justificatif ajouté. Statut de l'identité : QUAL.")).ToBeVisibleAsync();
        await Expect(Title(page)).ToContainTextAsync("QUAL · Qualifiée");
        await Expect(page.GetByText("Transmissible (identité qualifiée)")).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Table).Filter(new() { HasText = "Contrôlée le" })).ToContainTextAsync("Passeport (PA)");
        await Expect(page.GetByRole(AriaRole.Img, new() { Name = "DataMatrix INS de l'identité" })).ToBeVisibleAsync();
        await page.WaitForFunctionAsync("() => { const i = document.querySelector('img.datamatrix'); return i && i.complete && i.naturalWidth > 0; }");

        var audit = page.GetByRole(AriaRole.Table, new() { Name = "Journal d'audit" });
        await Expect(audit).ToContainTextAsync("Création de l'identité");
        await Expect(audit).ToContainTextAsync("INS récupéré (INSi)");
        await Expect(audit).ToContainTextAsync("Appel INSi : recherche");
        await Expect(audit).ToContainTextAsync("statut : RECUP → QUAL");
        await Expect(audit).ToContainTextAsync("Interface web");
        // Codes are shown in French words, never raw.
        var text = await page.Locator("main").InnerTextAsync();
        text.Should().NotContainAny("identity.created", "insi.search", "found", "Confirmed", "front-desk");
        await ui.CheckScreenAsync(page, "identity-qual");

        await page.GetByRole(AriaRole.Link, new() { Name = "Imprimer l'étiquette" }).ClickAsync();
        await Expect(Title(page)).ToHaveTextAsync("Étiquette de l'identité");
        var label = page.GetByRole(AriaRole.Region, new() { Name = "Étiquette" });
        await Expect(label).ToContainTextAsync("ADRTROIS TOUSSAINT");
        await Expect(label).ToContainTextAsync("1 60 01 2B 020 777 13");
        await page.WaitForFunctionAsync("() => { const i = document.querySelector('img.datamatrix'); return i && i.complete && i.naturalWidth > 0; }");
        // About 70 × 37 mm (CSS millimetres: 96 px per inch).
        var box = (await label.BoundingBoxAsync())!;
        ((double)box.Width).Should().BeApproximately(70 / 25.4 * 96, 2.0);
        ((double)box.Height).Should().BeApproximately(37 / 25.4 * 96, 2.0);
        await ui.CheckScreenAsync(page, "print-label");
        await page.EmulateMediaAsync(new() { Media = Media.Print });
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Imprimer" })).ToBeHiddenAsync();
        await Expect(label).ToBeVisibleAsync();
        await ScreenshotAsync(page, "print-label-print-media");
        await page.EmulateMediaAsync(new() { Media = Media.Screen });

        await page.GetByRole(AriaRole.Link, new() { Name = "Fiche A4" }).ClickAsync();
        await Expect(Title(page)).ToHaveTextAsync("Fiche A4 de l'identité");
        var sheet = page.GetByRole(AriaRole.Region, new() { Name = "Fiche A4" });
        await Expect(sheet).ToContainTextAsync("Matricule INS");
        await Expect(sheet).ToContainTextAsync("1.2.250.1.213.1.4.8");
        await ui.CheckScreenAsync(page, "print-a4");
        ui.NoBrowserErrors();
    }

    [Fact]
    public async Task Printing_is_refused_for_an_identity_that_is_not_qualified()
    {
        var page = await ui.SignedInPageAsync(GatewayServer.FrontDesk);
        await CreateAsync(page, "NONQUAL", "PAULINE", "F", "1982-03-04");
        var id = IdentityId(page);
        var response = await page.GotoAsync($"/identites/{id}/impression?format=etiquette");
        response!.Status.Should().Be(409);
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("Seule une identité qualifiée (QUAL) peut être imprimée");
        await Expect(page.GetByRole(AriaRole.Img, new() { Name = "DataMatrix INS de l'identité" })).ToHaveCountAsync(0);
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Imprimer" })).ToHaveCountAsync(0);
        ui.NoBrowserErrors();
    }

    [Fact]
    public async Task A_refused_form_shows_each_error_next_to_its_field_an_impossible_date_says_so_and_a_partial_date_creates_a_vali_identity()
    {
        var page = await ui.SignedInPageAsync(GatewayServer.FrontDesk);
        await FillCreationAsync(page, "DUP0NT", "JEAN", null, "1980-02-31");
        await page.GetByLabel("Type de pièce", new() { Exact = true }).SelectOptionAsync("CN");
        await page.GetByLabel("Date du contrôle", new() { Exact = true }).FillAsync("2026-01-10");
        await page.GetByLabel("Date d'expiration", new() { Exact = true }).FillAsync("2025-01-01");
        await page.GetByRole(AriaRole.Button, new() { Name = "Créer l'identité" }).ClickAsync();

        var birthName = page.GetByLabel("Nom de naissance", new() { Exact = true });
        await Expect(birthName).ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(birthName).ToHaveAccessibleDescriptionAsync(new Regex("Caractère « 0 » non autorisé en position 4"));
        await Expect(page.GetByLabel("Sexe", new() { Exact = true })).ToHaveAccessibleDescriptionAsync(new Regex("Ce champ est obligatoire\\."));
        await Expect(page.GetByRole(AriaRole.Group, new() { Name = "Date de naissance" })).ToHaveAccessibleDescriptionAsync(new Regex("Date impossible"));
        await Expect(page.GetByRole(AriaRole.Group, new() { Name = "Date de naissance" })).Not.ToContainTextAsync("obligatoire");
        await Expect(page.GetByLabel("Date d'expiration", new() { Exact = true })).ToHaveAccessibleDescriptionAsync(new Regex("La pièce était expirée à la date du contrôle"));
        await Expect(page.GetByLabel("Prénom(s) de naissance", new() { Exact = true })).Not.ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("Le formulaire contient des erreurs");
        await Expect(birthName).ToBeFocusedAsync();
        await ui.CheckScreenAsync(page, "create-errors");

        // Corrected, with a partial date (day and month unknown), the same form is accepted.
        await birthName.FillAsync("DUPONT");
        await page.GetByLabel("Sexe", new() { Exact = true }).SelectOptionAsync("M");
        await page.GetByLabel("Jour", new() { Exact = true }).FillAsync("");
        await page.GetByLabel("Mois", new() { Exact = true }).FillAsync("");
        await page.GetByLabel("Date d'expiration", new() { Exact = true }).FillAsync("2031-01-01");
        await page.GetByRole(AriaRole.Button, new() { Name = "Créer l'identité" }).ClickAsync();
        await Expect(page.GetByText("Identité créée (statut VALI).")).ToBeVisibleAsync();
        await Expect(Title(page)).ToContainTextAsync("DUPONT JEAN");
        await Expect(page.Locator("dl.traits").First).ToContainTextAsync("00/00/1980 (date partielle)");
        await Expect(page.GetByRole(AriaRole.Table).Filter(new() { HasText = "Contrôlée le" })).ToContainTextAsync("Carte nationale d'identité (CN)");
        ui.NoBrowserErrors();
    }

    [Fact]
    public async Task The_search_shows_ins_birth_place_and_creation_columns_pages_matches_by_prefix_and_offers_to_create_from_the_criteria()
    {
        using (var api = await fixture.Gateway.SignedInClientAsync(GatewayServer.FrontDesk))
        {
            for (var i = 0; i < 21; i++)
            {
                var birthDate = i < 2 ? "1950-01-01" : $"19{60 + i}-02-03";
                var r = await api.PostAsJsonAsync("api/identities", new { birthName = "LEFÈVRE", birthFirstNames = "ÉLODIE", sex = "F", birthDate, birthPlaceCog = i == 1 ? "69123" : "75056" });
                r.IsSuccessStatusCode.Should().BeTrue(await r.Content.ReadAsStringAsync());
            }
        }

        var page = await ui.SignedInPageAsync(GatewayServer.FrontDesk);
        await page.GetByLabel("Nom de naissance", new() { Exact = true }).FillAsync("lefevre");
        await page.GetByLabel("Prénom", new() { Exact = true }).FillAsync("Elodie");
        await page.GetByRole(AriaRole.Button, new() { Name = "Rechercher", Exact = true }).ClickAsync();
        await Expect(page.GetByText("21 identités trouvées · page 1 sur 2")).ToBeVisibleAsync();
        var table = page.GetByRole(AriaRole.Table, new() { Name = "Identités trouvées" });
        await Expect(table.GetByRole(AriaRole.Columnheader)).ToHaveTextAsync(["Nom de naissance", "Premier prénom", "Sexe", "Né(e) le", "Lieu (COG)", "INS", "Statut", "Créée le", "Homonymie"]);
        // The two homonyms born the same day are told apart by their birth place.
        await Expect(table.GetByRole(AriaRole.Row).Filter(new() { HasText = "01/01/1950" })).ToHaveCountAsync(2);
        await Expect(table.GetByRole(AriaRole.Row).Filter(new() { HasText = "69123" })).ToContainTextAsync("même nom et même date de naissance");
        await ui.CheckScreenAsync(page, "search-results");
        await page.GetByRole(AriaRole.Link, new() { Name = "Page suivante" }).ClickAsync();
        await Expect(page.GetByText("21 identités trouvées · page 2 sur 2")).ToBeVisibleAsync();
        await Expect(table.GetByRole(AriaRole.Row)).ToHaveCountAsync(2);

        await page.GotoAsync("/");
        await page.GetByLabel("Nom de naissance", new() { Exact = true }).FillAsync("lef");
        await page.GetByRole(AriaRole.Button, new() { Name = "Rechercher", Exact = true }).ClickAsync();
        await Expect(page.GetByText("Aucune identité trouvée.")).ToBeVisibleAsync();
        await page.GetByLabel("Rechercher sur le début du nom et du prénom").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Rechercher", Exact = true }).ClickAsync();
        await Expect(page.GetByText("21 identités trouvées · page 1 sur 2")).ToBeVisibleAsync();

        await page.GotoAsync("/");
        await page.GetByLabel("Nom de naissance", new() { Exact = true }).FillAsync("NOUVEAU");
        await page.GetByLabel("Prénom", new() { Exact = true }).FillAsync("ARRIVANT");
        await page.GetByLabel("Date de naissance", new() { Exact = true }).FillAsync("1991-09-08");
        await page.GetByLabel("Sexe", new() { Exact = true }).SelectOptionAsync("F");
        await page.GetByRole(AriaRole.Button, new() { Name = "Rechercher", Exact = true }).ClickAsync();
        await Expect(page.GetByText("Aucune identité trouvée.")).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Créer une identité avec ces critères" }).ClickAsync();
        await Expect(Title(page)).ToHaveTextAsync("Nouvelle identité");
        await Expect(page.GetByLabel("Nom de naissance", new() { Exact = true })).ToHaveValueAsync("NOUVEAU");
        await Expect(page.GetByLabel("Prénom(s) de naissance", new() { Exact = true })).ToHaveValueAsync("ARRIVANT");
        await Expect(page.GetByLabel("Jour", new() { Exact = true })).ToHaveValueAsync("08");
        await Expect(page.GetByLabel("Mois", new() { Exact = true })).ToHaveValueAsync("09");
        await Expect(page.GetByLabel("Année", new() { Exact = true })).ToHaveValueAsync("1991");
        await Expect(page.GetByLabel("Sexe", new() { Exact = true })).ToHaveValueAsync("F");
        ui.NoBrowserErrors();
    }

    [Fact]
    public async Task An_identity_found_by_its_ins_in_the_search()
    {
        var page = await ui.SignedInPageAsync(GatewayServer.FrontDesk);
        await CreateAsync(page, "ADRUN", "ZOE", "F", "1975-12-31", "63220");
        await page.GetByRole(AriaRole.Button, new() { Name = "Interroger INSi" }).ClickAsync();
        await Expect(Title(page)).ToContainTextAsync("RECUP");
        var matricule = await page.GetByTestId("ins-matricule").InnerTextAsync();

        await page.GetByRole(AriaRole.Link, new() { Name = "Rechercher" }).ClickAsync();
        await page.GetByLabel("Matricule INS", new() { Exact = true }).FillAsync(matricule);
        await page.GetByRole(AriaRole.Button, new() { Name = "Rechercher", Exact = true }).ClickAsync();
        await Expect(page.GetByText("1 identité trouvée · page 1 sur 1")).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Table, new() { Name = "Identités trouvées" })).ToContainTextAsync(matricule);
        ui.NoBrowserErrors();
    }

    [Fact]
    public async Task Several_insi_identities_ask_for_the_birth_place_and_differing_traits_are_shown_side_by_side_then_identity_vigilance_adopts_them_after_a_document_check()
    {
        var page = await ui.SignedInPageAsync(GatewayServer.FrontDesk);
        await CreateAsync(page, "DE VINCI", "LEONARDO", "M", "2014-02-01");
        await page.GetByRole(AriaRole.Button, new() { Name = "Interroger INSi" }).ClickAsync();
        var result = page.GetByRole(AriaRole.Status, new() { Name = "Résultat de l'interrogation INSi" });
        await Expect(result).ToContainTextAsync("Plusieurs identités trouvées");
        await Expect(result).ToContainTextAsync("02 · plusieurs identités trouvées");
        await Expect(result).ToContainTextAsync("complétez les traits (lieu de naissance)");

        await CreateAsync(page, "TCHITCHI", "OLA CATARINA BELLA", "F", "1936-06-21");
        await page.GetByRole(AriaRole.Button, new() { Name = "Interroger INSi" }).ClickAsync();
        await Expect(result).ToContainTextAsync("Identité trouvée");
        await Expect(result).ToContainTextAsync("AppliquéNon");
        await Expect(result).ToContainTextAsync("Les traits renvoyés par INSi diffèrent de l'identité locale");
        var differences = result.GetByRole(AriaRole.Table, new() { Name = "Traits divergents" });
        var firstNames = differences.GetByRole(AriaRole.Row).Filter(new() { HasText = "Prénom(s) de naissance" });
        await Expect(firstNames.GetByRole(AriaRole.Cell).Nth(0)).ToHaveTextAsync("OLA CATARINA BELLA");
        await Expect(firstNames.GetByRole(AriaRole.Cell).Nth(1)).ToHaveTextAsync("CATARINA BELLA (différent)");
        await Expect(Title(page)).ToContainTextAsync("PROV");
        // Only identity vigilance decides to adopt the INSi traits.
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Adopter les traits INSi" })).ToHaveCountAsync(0);
        var url = page.Url;

        var vigilance = await ui.SignedInPageAsync(GatewayServer.Vigilance);
        await vigilance.GotoAsync(url);
        await vigilance.GetByRole(AriaRole.Button, new() { Name = "Interroger INSi" }).ClickAsync();
        await Expect(vigilance.GetByRole(AriaRole.Table, new() { Name = "Traits divergents" })).ToBeVisibleAsync();
        await ui.CheckScreenAsync(vigilance, "insi-mismatch");
        await vigilance.GetByRole(AriaRole.Button, new() { Name = "Adopter les traits INSi" }).ClickAsync();
        await Expect(vigilance.GetByText("le contrôle de la pièce n'est pas confirmé")).ToBeVisibleAsync();
        await Expect(Title(vigilance)).ToContainTextAsync("PROV");
        await vigilance.GetByRole(AriaRole.Button, new() { Name = "Interroger INSi" }).ClickAsync();
        await vigilance.GetByLabel("J'ai contrôlé une pièce d'identité qui porte les traits INSi").CheckAsync();
        await vigilance.GetByRole(AriaRole.Button, new() { Name = "Adopter les traits INSi" }).ClickAsync();
        await Expect(vigilance.GetByRole(AriaRole.Status, new() { Name = "Résultat de l'interrogation INSi" })).ToContainTextAsync("INS récupéré. Statut de l'identité : RECUP.");
        await Expect(Title(vigilance)).ToContainTextAsync("TCHITCHI CATARINA");
        var adopted = vigilance.GetByRole(AriaRole.Table, new() { Name = "Journal d'audit" }).GetByRole(AriaRole.Row).Filter(new() { HasText = "Modification des traits" });
        await Expect(adopted).ToContainTextAsync("motif : Traits INSi adoptés après contrôle d'une pièce d'identité");
        await Expect(adopted).ToContainTextAsync("modifié : ");
        ui.NoBrowserErrors();
    }

    [Fact]
    public async Task A_front_desk_user_cannot_set_attributes_and_identity_vigilance_marks_an_identity_doubtful_which_blocks_insi()
    {
        var page = await ui.SignedInPageAsync(GatewayServer.FrontDesk);
        await CreateAsync(page, "MARTIN", "CLAIRE", "F", "1975-03-02");
        await Expect(page.GetByRole(AriaRole.Checkbox, new() { Name = "Douteuse" })).ToBeDisabledAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Enregistrer les attributs" })).ToHaveCountAsync(0);
        await Expect(page.GetByText("Réservé à la cellule d'identitovigilance.")).ToBeVisibleAsync();
        var id = IdentityId(page);
        (await page.Context.APIRequest.PostAsync($"api/identities/{id}/attributes", new() { DataObject = new { doubtful = true } })).Status.Should().Be(403);

        var vigilance = await ui.SignedInPageAsync(GatewayServer.Vigilance);
        await vigilance.GotoAsync($"/identites/{id}");
        await vigilance.GetByRole(AriaRole.Checkbox, new() { Name = "Douteuse" }).CheckAsync();
        await vigilance.GetByRole(AriaRole.Button, new() { Name = "Enregistrer les attributs" }).ClickAsync();
        await Expect(vigilance.GetByText("Attributs enregistrés. Statut de l'identité : PROV.")).ToBeVisibleAsync();
        await Expect(Title(vigilance)).ToContainTextAsync("Douteuse");
        await Expect(vigilance.GetByRole(AriaRole.Button, new() { Name = "Interroger INSi" })).ToBeDisabledAsync();
        await Expect(vigilance.GetByText("INSi ne peut pas être interrogé pour une identité douteuse ou fictive.")).ToBeVisibleAsync();
        await Expect(vigilance.GetByRole(AriaRole.Table, new() { Name = "Journal d'audit" })).ToContainTextAsync("Modification des attributs");

        await vigilance.GetByRole(AriaRole.Link, new() { Name = "Identitovigilance", Exact = true }).ClickAsync();
        await vigilance.GetByRole(AriaRole.Link, new() { Name = "Identités douteuses ou fictives" }).ClickAsync();
        await Expect(vigilance.GetByRole(AriaRole.Table, new() { Name = "Identités douteuses ou fictives" })).ToContainTextAsync("MARTIN CLAIRE");
        ui.NoBrowserErrors();
    }

    [Fact]
    public async Task Identity_vigilance_withdraws_a_qualification_only_with_a_reason_and_a_confirmation()
    {
        var page = await ui.SignedInPageAsync(GatewayServer.Vigilance);
        await FillCreationAsync(page, "ADRTROIS", "DOMINIQUE", "F", "1997-02-26");
        await page.GetByLabel("Type de pièce", new() { Exact = true }).SelectOptionAsync("CS");
        await page.GetByLabel("Date d'expiration", new() { Exact = true }).FillAsync("2030-06-30");
        await page.GetByRole(AriaRole.Button, new() { Name = "Créer l'identité" }).ClickAsync();
        await Expect(page.GetByText("Identité créée (statut VALI).")).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Interroger INSi" }).ClickAsync();
        await Expect(Title(page)).ToContainTextAsync("QUAL");
        await Expect(page.GetByTestId("ins-matricule")).ToHaveTextAsync("2 97 02 2A 020 778 78");

        // One click does not withdraw anything: it opens the form.
        await page.GetByRole(AriaRole.Link, new() { Name = "Retirer la qualification…" }).ClickAsync();
        await Expect(Title(page)).ToContainTextAsync("QUAL");
        await Expect(page.GetByLabel("Motif du retrait", new() { Exact = true })).ToBeFocusedAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Retirer la qualification" }).ClickAsync();
        await Expect(page.GetByLabel("Motif du retrait", new() { Exact = true })).ToHaveAccessibleDescriptionAsync("Indiquez le motif du retrait de la qualification.");
        await Expect(page.GetByText("Cochez la case pour confirmer le retrait.").First).ToBeVisibleAsync();
        await Expect(Title(page)).ToContainTextAsync("QUAL");

        await page.GetByLabel("Motif du retrait", new() { Exact = true }).FillAsync("Pièce d'identité falsifiée");
        await page.GetByLabel("Je confirme le retrait de la qualification").CheckAsync();
        await ui.CheckScreenAsync(page, "revert-reason");
        await page.GetByRole(AriaRole.Button, new() { Name = "Retirer la qualification" }).ClickAsync();
        await Expect(page.GetByText("Qualification retirée. Statut de l'identité : RECUP.")).ToBeVisibleAsync();
        await Expect(Title(page)).ToContainTextAsync("RECUP");
        await Expect(page.GetByRole(AriaRole.Img, new() { Name = "DataMatrix INS de l'identité" })).ToHaveCountAsync(0);
        var audit = page.GetByRole(AriaRole.Table, new() { Name = "Journal d'audit" });
        await Expect(audit.GetByRole(AriaRole.Row).Filter(new() { HasText = "Retrait de la qualification" })).ToContainTextAsync("statut : QUAL → RECUP ; motif : Pièce d'identité falsifiée");
        ui.NoBrowserErrors();
    }

    [Fact]
    public async Task A_duplicate_is_refused_to_the_front_desk_kept_on_purpose_by_identity_vigilance_listed_in_the_worklist_and_merged_field_by_field()
    {
        var page = await ui.SignedInPageAsync(GatewayServer.FrontDesk);
        await CreateAsync(page, "DOUBLON", "JEANNE", "F", "1970-01-01", "75056");
        var first = IdentityId(page);
        await FillCreationAsync(page, "DOUBLON", "JEANNE", "F", "1970-01-01", "75056");
        await page.GetByRole(AriaRole.Button, new() { Name = "Créer l'identité" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("Une identité avec les mêmes traits stricts existe déjà");
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Ouvrir l'identité existante (mêmes traits stricts)" })).ToHaveAttributeAsync("href", $"/identites/{first}");
        await Expect(page.GetByLabel("Créer quand même une seconde identité avec ces traits")).ToHaveCountAsync(0);

        var vigilance = await ui.SignedInPageAsync(GatewayServer.Vigilance);
        await FillCreationAsync(vigilance, "DOUBLON", "JEANNE", "F", "1970-01-01", "75056");
        await vigilance.GetByLabel("Nom utilisé", new() { Exact = true }).FillAsync("MARTIN");
        await vigilance.GetByRole(AriaRole.Button, new() { Name = "Créer l'identité" }).ClickAsync();
        await Expect(vigilance.GetByRole(AriaRole.Alert)).ToContainTextAsync("Une identité avec les mêmes traits stricts existe déjà");
        await vigilance.GetByLabel("Créer quand même une seconde identité avec ces traits").CheckAsync();
        await vigilance.GetByLabel("Motif", new() { Exact = true }).FillAsync("Deux dossiers papier à rapprocher après contrôle");
        await vigilance.GetByRole(AriaRole.Button, new() { Name = "Créer l'identité" }).ClickAsync();
        await Expect(vigilance.GetByText("Identité créée (statut PROV).")).ToBeVisibleAsync();
        var second = IdentityId(vigilance);

        await vigilance.GetByRole(AriaRole.Link, new() { Name = "Identitovigilance", Exact = true }).ClickAsync();
        await Expect(Title(vigilance)).ToHaveTextAsync("Tableau de bord d'identitovigilance");
        await ui.CheckScreenAsync(vigilance, "vigilance-dashboard");
        await vigilance.GetByRole(AriaRole.Link, new() { Name = "Doublons potentiels" }).ClickAsync();
        var list = vigilance.GetByRole(AriaRole.Table, new() { Name = "Doublons potentiels" });
        // Other tests share this gateway and raise their own alerts: pick this test's row by name, then check its reason.
        var row = list.GetByRole(AriaRole.Row).Filter(new() { HasText = "DOUBLON JEANNE" }).First;
        await Expect(row).ToContainTextAsync("Doublon forcé");
        await ui.CheckScreenAsync(vigilance, "worklist-duplicates");
        await row.GetByRole(AriaRole.Link, new() { Name = "comparer et fusionner" }).ClickAsync();

        await Expect(Title(vigilance)).ToHaveTextAsync("Comparer et fusionner deux identités");
        var comparison = vigilance.GetByRole(AriaRole.Table, new() { Name = "Comparaison champ par champ" });
        await Expect(comparison.GetByRole(AriaRole.Rowheader, new() { Name = "Nom utilisé (différent)", Exact = true })).ToBeVisibleAsync();
        await Expect(comparison.GetByRole(AriaRole.Rowheader, new() { Name = "Nom de naissance", Exact = true })).ToBeVisibleAsync();
        await ui.CheckScreenAsync(vigilance, "merge");
        await vigilance.GetByRole(AriaRole.Button, new() { Name = "Fusionner" }).ClickAsync();
        await Expect(vigilance.GetByRole(AriaRole.Alert)).ToContainTextAsync("Cochez la case pour confirmer la fusion.");
        await vigilance.GetByLabel("Je confirme la fusion").CheckAsync();
        await vigilance.GetByRole(AriaRole.Button, new() { Name = "Fusionner" }).ClickAsync();
        await Expect(vigilance.GetByRole(AriaRole.Alert)).ToContainTextAsync("le motif est obligatoire");
        await vigilance.GetByLabel("Motif de la fusion", new() { Exact = true }).FillAsync("Même personne : pièce contrôlée");
        await vigilance.GetByLabel("Je confirme la fusion").CheckAsync();
        await vigilance.GetByRole(AriaRole.Button, new() { Name = "Fusionner" }).ClickAsync();
        await Expect(vigilance.GetByText("Identités fusionnées : cette identité est conservée")).ToBeVisibleAsync();
        var kept = IdentityId(vigilance);
        new[] { first, second }.Should().Contain(kept);

        await vigilance.GotoAsync($"/identites/{(kept == first ? second : first)}");
        await Expect(vigilance.GetByText("Cette identité a été fusionnée")).ToBeVisibleAsync();
        await Expect(vigilance.GetByRole(AriaRole.Button, new() { Name = "Interroger INSi" })).ToBeDisabledAsync();
        ui.NoBrowserErrors();
    }

    [Fact]
    public async Task An_ins_returned_for_a_second_identity_is_a_collision_in_the_worklist_and_nothing_is_applied()
    {
        var vigilance = await ui.SignedInPageAsync(GatewayServer.Vigilance);
        await CreateAsync(vigilance, "NESSI", "NATHALIE", "F", "1977-07-14", "63220");
        await vigilance.GetByRole(AriaRole.Button, new() { Name = "Interroger INSi" }).ClickAsync();
        await Expect(Title(vigilance)).ToContainTextAsync("RECUP");
        var holder = IdentityId(vigilance);

        // A second record of the same person, kept on purpose, then sent to INSi.
        await FillCreationAsync(vigilance, "NESSI", "NATHALIE", "F", "1977-07-14", "63220");
        await vigilance.GetByRole(AriaRole.Button, new() { Name = "Créer l'identité" }).ClickAsync();
        await vigilance.GetByLabel("Créer quand même une seconde identité avec ces traits").CheckAsync();
        await vigilance.GetByLabel("Motif", new() { Exact = true }).FillAsync("Dossier des urgences à rapprocher");
        await vigilance.GetByRole(AriaRole.Button, new() { Name = "Créer l'identité" }).ClickAsync();
        await Expect(vigilance.GetByText("Identité créée (statut PROV).")).ToBeVisibleAsync();
        await vigilance.GetByRole(AriaRole.Button, new() { Name = "Interroger INSi" }).ClickAsync();
        var result = vigilance.GetByRole(AriaRole.Status, new() { Name = "Résultat de l'interrogation INSi" });
        await Expect(result).ToContainTextAsync("Collision");
        await Expect(result.GetByRole(AriaRole.Link, new() { Name = "une autre identité" })).ToHaveAttributeAsync("href", $"/identites/{holder}");
        await Expect(Title(vigilance)).ToContainTextAsync("PROV");
        await Expect(vigilance.GetByText("Aucun INS pour cette identité.")).ToBeVisibleAsync();

        await vigilance.GotoAsync("/vigilance?liste=collisions");
        var list = vigilance.GetByRole(AriaRole.Table, new() { Name = "Collisions d'INS" });
        var row = list.GetByRole(AriaRole.Row).Filter(new() { HasText = "NESSI NATHALIE" });
        await Expect(row).ToContainTextAsync("Collision d'INS");
        await ui.CheckScreenAsync(vigilance, "worklist-collisions");
        await row.GetByLabel("Ce qui a été fait").FillAsync("Fusion prévue avec le dossier principal");
        await row.GetByRole(AriaRole.Button, new() { Name = "Clore l'alerte" }).ClickAsync();
        await Expect(vigilance.GetByText("Alerte close.")).ToBeVisibleAsync();
        await Expect(vigilance.GetByRole(AriaRole.Table, new() { Name = "Collisions d'INS" })).ToHaveCountAsync(0);
        ui.NoBrowserErrors();
    }

    [Fact]
    public async Task An_administrator_manages_users_and_api_keys_a_revoked_key_stops_working_and_the_audit_chain_is_intact()
    {
        var admin = await ui.SignedInPageAsync(SanteGateway.Server.GatewayApp.AdminUserName, fixture.Gateway.AdminPassword);
        await Expect(admin.GetByRole(AriaRole.Link, new() { Name = "Nouvelle identité" })).ToHaveCountAsync(0);
        await admin.GetByRole(AriaRole.Link, new() { Name = "Administration", Exact = true }).ClickAsync();
        await Expect(Title(admin)).ToHaveTextAsync("Administration");

        // A new front-desk account.
        var create = admin.GetByRole(AriaRole.Form, new() { Name = "Créer un utilisateur" });
        await create.GetByLabel("Identifiant", new() { Exact = true }).FillAsync("accueil9");
        await create.GetByLabel("Mot de passe initial", new() { Exact = true }).FillAsync("court");
        await create.GetByLabel("Accueil").CheckAsync();
        await create.GetByRole(AriaRole.Button, new() { Name = "Créer l'utilisateur" }).ClickAsync();
        await Expect(admin.GetByRole(AriaRole.Alert)).ToContainTextAsync("Mot de passe refusé");
        await create.GetByLabel("Mot de passe initial", new() { Exact = true }).FillAsync(GatewayServer.Password);
        await create.GetByLabel("Accueil").CheckAsync();
        await create.GetByRole(AriaRole.Button, new() { Name = "Créer l'utilisateur" }).ClickAsync();
        await Expect(admin.GetByText("Utilisateur accueil9 créé.")).ToBeVisibleAsync();
        var users = admin.GetByRole(AriaRole.Table, new() { Name = "Utilisateurs" });
        await Expect(users.GetByRole(AriaRole.Row).Filter(new() { HasText = "accueil9" })).ToContainTextAsync("Actif");
        await ui.CheckScreenAsync(admin, "admin");

        var agent = await ui.SignedInPageAsync("accueil9");
        await Expect(agent.GetByText("accueil9 · Accueil")).ToBeVisibleAsync();

        // Roles: identity vigilance added; a password reset shows the new one once; disabling ends the account's use.
        var row = users.GetByRole(AriaRole.Row).Filter(new() { HasText = "accueil9" });
        await row.GetByLabel("Identitovigilance").CheckAsync();
        await row.GetByRole(AriaRole.Button, new() { Name = "Enregistrer les rôles" }).ClickAsync();
        await Expect(admin.GetByText("Rôles de accueil9 enregistrés")).ToBeVisibleAsync();
        await agent.ReloadAsync();
        await Expect(Title(agent)).ToHaveTextAsync("Connexion");
        await Expect(agent.GetByText("Votre session a expiré. Reconnectez-vous.")).ToBeVisibleAsync();

        await users.GetByRole(AriaRole.Row).Filter(new() { HasText = "accueil9" }).GetByRole(AriaRole.Button, new() { Name = "Réinitialiser le mot de passe de accueil9" }).ClickAsync();
        var secret = (await admin.GetByTestId("secret").InnerTextAsync()).Trim();
        secret.Length.Should().BeGreaterThanOrEqualTo(12);
        var again = await ui.SignedInPageAsync("accueil9", secret);
        await Expect(again.GetByText("accueil9 · Accueil, Identitovigilance")).ToBeVisibleAsync();

        await users.GetByRole(AriaRole.Row).Filter(new() { HasText = "accueil9" }).GetByRole(AriaRole.Button, new() { Name = "Désactiver accueil9" }).ClickAsync();
        await Expect(admin.GetByText("Compte accueil9 désactivé")).ToBeVisibleAsync();
        var refused = await ui.NewPageAsync();
        await refused.GotoAsync("/connexion");
        await refused.GetByLabel("Identifiant", new() { Exact = true }).FillAsync("accueil9");
        await refused.GetByLabel("Mot de passe", new() { Exact = true }).FillAsync(secret);
        await refused.GetByRole(AriaRole.Button, new() { Name = "Se connecter" }).ClickAsync();
        await Expect(refused.GetByRole(AriaRole.Alert)).ToHaveTextAsync("Identifiant ou mot de passe incorrect.");

        // An API key: shown once, works, revoked, stops working.
        var keyForm = admin.GetByRole(AriaRole.Form, new() { Name = "Créer une clé d'API" });
        await keyForm.GetByLabel("Nom de la clé", new() { Exact = true }).FillAsync("Logiciel de laboratoire");
        await keyForm.GetByLabel("Accueil").CheckAsync();
        await keyForm.GetByRole(AriaRole.Button, new() { Name = "Créer la clé" }).ClickAsync();
        await Expect(admin.GetByText("Clé d'API « Logiciel de laboratoire » créée.")).ToBeVisibleAsync();
        var key = (await admin.GetByTestId("secret").InnerTextAsync()).Trim();
        using var http = new HttpClient { BaseAddress = fixture.Gateway.BaseAddress };
        using (var ok = new HttpRequestMessage(HttpMethod.Get, "api/identities?birthName=PERSONNE"))
        {
            ok.Headers.Add("X-Api-Key", key);
            (await http.SendAsync(ok)).StatusCode.Should().Be(HttpStatusCode.OK);
        }

        var keys = admin.GetByRole(AriaRole.Table, new() { Name = "Clés d'API" });
        await Expect(keys.GetByRole(AriaRole.Row).Filter(new() { HasText = "Logiciel de laboratoire" })).ToContainTextAsync("Active");
        await admin.GetByRole(AriaRole.Button, new() { Name = "Révoquer la clé Logiciel de laboratoire" }).ClickAsync();
        await Expect(admin.GetByText("révoquée : elle ne donne plus accès")).ToBeVisibleAsync();
        await Expect(keys.GetByRole(AriaRole.Row).Filter(new() { HasText = "Logiciel de laboratoire" })).ToContainTextAsync("Révoquée");
        using (var revoked = new HttpRequestMessage(HttpMethod.Get, "api/identities?birthName=PERSONNE"))
        {
            revoked.Headers.Add("X-Api-Key", key);
            (await http.SendAsync(revoked)).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        }

        await admin.GetByRole(AriaRole.Button, new() { Name = "Vérifier la chaîne d'audit" }).ClickAsync();
        await Expect(admin.GetByText(new Regex("Chaîne d'audit intègre : \\d+ événements vérifiés\\."))).ToBeVisibleAsync();

        // Other roles do not reach the administration.
        var frontDesk = await ui.SignedInPageAsync(GatewayServer.FrontDesk);
        await Expect(frontDesk.GetByRole(AriaRole.Link, new() { Name = "Administration", Exact = true })).ToHaveCountAsync(0);
        await frontDesk.GotoAsync("/admin");
        await Expect(Title(frontDesk)).ToHaveTextAsync("Accès refusé");
        await frontDesk.GotoAsync("/vigilance");
        await Expect(Title(frontDesk)).ToHaveTextAsync("Accès refusé");
        ui.NoBrowserErrors();
    }

    [Fact]
    public async Task A_user_changes_their_own_password_and_signs_in_with_the_new_one()
    {
        using (var admin = await fixture.Gateway.SignedInClientAsync(SanteGateway.Server.GatewayApp.AdminUserName, fixture.Gateway.AdminPassword))
        {
            var r = await admin.PostAsJsonAsync("api/admin/users", new { userName = "accueil7", password = GatewayServer.Password, roles = new[] { "front-desk" } });
            r.StatusCode.Should().Be(HttpStatusCode.Created);
        }

        var page = await ui.SignedInPageAsync("accueil7");
        await page.GetByRole(AriaRole.Link, new() { Name = "accueil7 · Accueil" }).ClickAsync();
        await Expect(Title(page)).ToHaveTextAsync("Changer mon mot de passe");
        await ui.CheckScreenAsync(page, "password");
        await page.GetByLabel("Mot de passe actuel", new() { Exact = true }).FillAsync("pas-le-bon");
        await page.GetByLabel("Nouveau mot de passe", new() { Exact = true }).FillAsync("Nouveau-mot-2026!");
        await page.GetByLabel("Nouveau mot de passe (confirmation)", new() { Exact = true }).FillAsync("Nouveau-mot-2026!");
        await page.GetByRole(AriaRole.Button, new() { Name = "Changer le mot de passe" }).ClickAsync();
        await Expect(page.GetByLabel("Mot de passe actuel", new() { Exact = true })).ToHaveAccessibleDescriptionAsync("Mot de passe actuel incorrect.");

        await page.GetByLabel("Mot de passe actuel", new() { Exact = true }).FillAsync(GatewayServer.Password);
        await page.GetByLabel("Nouveau mot de passe", new() { Exact = true }).FillAsync("Nouveau-mot-2026!");
        await page.GetByLabel("Nouveau mot de passe (confirmation)", new() { Exact = true }).FillAsync("Nouveau-mot-2026!");
        await page.GetByRole(AriaRole.Button, new() { Name = "Changer le mot de passe" }).ClickAsync();
        await Expect(page.GetByText("Mot de passe changé.")).ToBeVisibleAsync();
        // The session that changed it continues.
        await page.GetByRole(AriaRole.Link, new() { Name = "Rechercher" }).ClickAsync();
        await Expect(Title(page)).ToHaveTextAsync("Rechercher une identité");
        await page.GetByRole(AriaRole.Button, new() { Name = "Se déconnecter" }).ClickAsync();
        var again = await ui.SignedInPageAsync("accueil7", "Nouveau-mot-2026!");
        await Expect(again.GetByText("accueil7 · Accueil")).ToBeVisibleAsync();
        ui.NoBrowserErrors();
    }

    [Fact]
    public async Task The_keyboard_alone_signs_in_searches_and_opens_an_identity()
    {
        using (var api = await fixture.Gateway.SignedInClientAsync(GatewayServer.FrontDesk))
        {
            (await api.PostAsJsonAsync("api/identities", new { birthName = "CLAVIER", birthFirstNames = "ANNE", sex = "F", birthDate = "1988-08-08" })).IsSuccessStatusCode.Should().BeTrue();
        }

        var page = await ui.NewPageAsync();
        await page.GotoAsync("/");
        await Expect(page.GetByLabel("Identifiant", new() { Exact = true })).ToBeFocusedAsync();
        await page.Keyboard.TypeAsync(GatewayServer.FrontDesk);
        await page.Keyboard.PressAsync("Tab");
        await Expect(page.GetByLabel("Mot de passe", new() { Exact = true })).ToBeFocusedAsync();
        await page.Keyboard.TypeAsync(GatewayServer.Password);
        await page.Keyboard.PressAsync("Enter");
        await Expect(Title(page)).ToHaveTextAsync("Rechercher une identité");
        await Expect(page.GetByLabel("Nom de naissance", new() { Exact = true })).ToBeFocusedAsync();
        await page.Keyboard.TypeAsync("Clavier");
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.GetByText("1 identité trouvée · page 1 sur 1")).ToBeVisibleAsync();

        // From the top of the results page: the skip link first, then Tab until the result's link.
        await page.Keyboard.PressAsync("Tab");
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Aller au contenu" })).ToBeFocusedAsync();
        var link = page.GetByRole(AriaRole.Link, new() { Name = "CLAVIER" });
        for (var i = 0; i < 40 && !await link.EvaluateAsync<bool>("e => e === document.activeElement"); i++)
        {
            await page.Keyboard.PressAsync("Tab");
        }

        await Expect(link).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Enter");
        await Expect(Title(page)).ToContainTextAsync("CLAVIER ANNE");

        // After an action the focus lands on its outcome.
        await page.GetByRole(AriaRole.Button, new() { Name = "Interroger INSi" }).FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.GetByRole(AriaRole.Status, new() { Name = "Résultat de l'interrogation INSi" })).ToBeFocusedAsync();
        ui.NoBrowserErrors();
    }

    [Fact]
    public async Task An_expired_session_leads_to_the_sign_in_page_and_back_to_the_same_identity()
    {
        var page = await ui.SignedInPageAsync(GatewayServer.FrontDesk);
        await CreateAsync(page, "SESSION", "EXPIREE", "F", "1985-04-04");
        var identityUrl = page.Url.Split('?')[0];

        // The session ends behind the page's back: the same user signs out on another computer, which ends all their sessions.
        var elsewhere = await ui.SignedInPageAsync(GatewayServer.FrontDesk);
        await elsewhere.GetByRole(AriaRole.Button, new() { Name = "Se déconnecter" }).ClickAsync();
        await Expect(elsewhere.GetByText("Vous êtes déconnecté.")).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Interroger INSi" }).ClickAsync();

        await Expect(Title(page)).ToHaveTextAsync("Connexion");
        await Expect(page.GetByText("Votre session a expiré. Reconnectez-vous.")).ToBeVisibleAsync();
        await page.GetByLabel("Identifiant", new() { Exact = true }).FillAsync(GatewayServer.FrontDesk);
        await page.GetByLabel("Mot de passe", new() { Exact = true }).FillAsync(GatewayServer.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Se connecter" }).ClickAsync();
        await Expect(Title(page)).ToContainTextAsync("SESSION EXPIREE");
        page.Url.Split('?')[0].Should().Be(identityUrl);
        ui.NoBrowserErrors();
    }

    [Fact]
    public async Task A_concurrent_edit_in_a_second_page_is_refused_with_the_modified_by_someone_else_message()
    {
        var first = await ui.SignedInPageAsync(GatewayServer.FrontDesk);
        await CreateAsync(first, "BERNARD", "LUC", "M", "1990-07-14");
        var second = await ui.SignedInPageAsync(GatewayServer.FrontDesk2);
        await second.GotoAsync(first.Url.Split('?')[0]);
        await first.GetByRole(AriaRole.Link, new() { Name = "Modifier les traits" }).ClickAsync();
        await second.GetByRole(AriaRole.Link, new() { Name = "Modifier les traits" }).ClickAsync();
        await first.GetByLabel("Nom utilisé", new() { Exact = true }).FillAsync("DURAND");
        await first.GetByRole(AriaRole.Button, new() { Name = "Enregistrer les traits" }).ClickAsync();
        await Expect(first.GetByText("Traits enregistrés.")).ToBeVisibleAsync();

        await second.GetByLabel("Nom utilisé", new() { Exact = true }).FillAsync("PETIT");
        await second.GetByRole(AriaRole.Button, new() { Name = "Enregistrer les traits" }).ClickAsync();
        await Expect(second.GetByRole(AriaRole.Alert).First).ToContainTextAsync("modifiée par quelqu'un d'autre");
        await second.GetByRole(AriaRole.Link, new() { Name = "Recharger l'identité" }).ClickAsync();
        await Expect(second.GetByText("Identité rechargée")).ToBeVisibleAsync();
        await Expect(second.Locator("dl.traits").First).ToContainTextAsync("DURAND");
        ui.NoBrowserErrors();
    }

    [Fact]
    public async Task Strict_traits_of_a_recup_identity_are_locked_for_the_front_desk_who_still_edits_the_used_first_name()
    {
        var page = await ui.SignedInPageAsync(GatewayServer.FrontDesk);
        await CreateAsync(page, "VERROU", "LUCIE", "F", "1975-12-30");
        // The lock applies to every status above PROV: a checked identity card makes it VALI.
        await page.GetByLabel("Type de pièce", new() { Exact = true }).SelectOptionAsync("CN");
        await page.GetByLabel("Date d'expiration", new() { Exact = true }).FillAsync("2031-12-31");
        await page.GetByRole(AriaRole.Button, new() { Name = "Ajouter le justificatif" }).ClickAsync();
        await Expect(Title(page)).ToContainTextAsync("VALI");
        await page.GetByRole(AriaRole.Link, new() { Name = "Modifier les traits" }).ClickAsync();
        await Expect(page.GetByText("Les traits stricts d'une identité VALI sont verrouillés")).ToBeVisibleAsync();
        await Expect(page.GetByLabel("Nom de naissance", new() { Exact = true })).ToBeDisabledAsync();
        await page.GetByLabel("Prénom utilisé", new() { Exact = true }).FillAsync("TOTO");
        await page.GetByRole(AriaRole.Button, new() { Name = "Enregistrer les traits" }).ClickAsync();
        await Expect(page.GetByText("Traits enregistrés.")).ToBeVisibleAsync();
        await Expect(page.Locator("dl.traits").First).ToContainTextAsync("TOTO");
        ui.NoBrowserErrors();
    }

    [Fact]
    public async Task The_help_page_explains_statuses_attributes_documents_and_insi_answers_on_every_screen_size()
    {
        var page = await ui.SignedInPageAsync(GatewayServer.FrontDesk);
        await page.GetByRole(AriaRole.Link, new() { Name = "Aide" }).ClickAsync();
        await Expect(Title(page)).ToHaveTextAsync("Aide");
        await Expect(page.GetByText("QUAL · Qualifiée")).ToBeVisibleAsync();
        await Expect(page.GetByText("Plusieurs identités trouvées (code 02)")).ToBeVisibleAsync();
        await ui.CheckScreenAsync(page, "help");
        await page.GotoAsync("/");
        await ui.CheckScreenAsync(page, "search-empty");
        await page.GotoAsync("/identites/nouvelle");
        await ui.CheckScreenAsync(page, "create");
        ui.NoBrowserErrors();
    }

    [Fact]
    public async Task Pages_and_assets_carry_the_security_headers_the_api_still_answers_401_and_a_form_without_its_token_is_refused()
    {
        var context = await ui.NewContextAsync();
        var home = await context.APIRequest.GetAsync("/", new() { MaxRedirects = 0 });
        home.Status.Should().Be(302);
        home.Headers["location"].Should().StartWith("/connexion?retour=");
        var signIn = await context.APIRequest.GetAsync("/connexion");
        signIn.Status.Should().Be(200);
        signIn.Headers["content-type"].Should().StartWith("text/html");
        signIn.Headers["content-security-policy"].Should().Contain("default-src 'self'");
        (await signIn.TextAsync()).Should().NotContain("<script>").And.NotContain("style=");
        var css = await context.APIRequest.GetAsync("/ui/app.css");
        css.Headers["content-type"].Should().StartWith("text/css");
        css.Headers["cache-control"].Should().Be("no-cache");
        var again = await context.APIRequest.GetAsync("/ui/app.css", new() { Headers = new Dictionary<string, string> { ["If-None-Match"] = css.Headers["etag"] } });
        again.Status.Should().Be(304);
        (await context.APIRequest.GetAsync("/ui/missing.js")).Status.Should().Be(404);
        (await context.APIRequest.GetAsync("/ui/..%2FWebUi.cs")).Status.Should().Be(404);

        // The REST API keeps its answers: 401, never a redirect to the sign-in page.
        (await context.APIRequest.GetAsync("/api/identities?birthName=X", new() { MaxRedirects = 0 })).Status.Should().Be(401);
        // Sign-out and sign-in forms need their antiforgery token.
        (await context.APIRequest.PostAsync("/deconnexion", new() { Form = context.APIRequest.CreateFormData().Set("x", "y"), MaxRedirects = 0 })).Status.Should().Be(400);
        (await context.APIRequest.PostAsync("/connexion", new() { Form = context.APIRequest.CreateFormData().Set("_handler", "signin").Set("userName", GatewayServer.FrontDesk).Set("password", GatewayServer.Password), MaxRedirects = 0 })).Status.Should().Be(400);
    }
}
