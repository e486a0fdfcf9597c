using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;
using static SanteGateway.EndToEnd.UiSession;

namespace SanteGateway.EndToEnd.Guide;

/// <summary>
/// The journeys the French guides (docs/guide) describe, walked in the browser against the real gateway and INSi sandbox,
/// taking the guides' screenshots on the way. Screens are reached by roles and labels, as a user finds them.
/// </summary>
public sealed class GuideScreenshotTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>, IAsyncLifetime
{
    private static readonly PageGetByLabelOptions Exact = new() { Exact = true };

    private readonly UiSession ui = new(fixture);

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => ui.DisposeAsync();

    private static ILocator Region(IPage page, string name) => page.GetByRole(AriaRole.Region, new() { Name = name, Exact = true });

    private static ILocator InsiResult(IPage page) => page.GetByRole(AriaRole.Status, new() { Name = "Résultat de l'interrogation INSi" });

    private static Task DataMatrixLoadedAsync(IPage page) =>
        page.WaitForFunctionAsync("() => { const i = document.querySelector('img.datamatrix'); return i && i.complete && i.naturalWidth > 0; }");

    [Fact]
    [GuideScreenshots("accueil-connexion", "accueil-recherche", "accueil-creation", "accueil-identite-provisoire", "accueil-insi-trouvee",
        "accueil-justificatif", "accueil-identite-qualifiee", "accueil-etiquette", "iv-attributs", "iv-retrait-qualification")]
    public async Task The_front_desk_searches_first_creates_the_identity_calls_insi_records_the_passport_and_prints_the_label()
    {
        var camera = new GuideCamera(GetType());
        var page = await ui.NewPageAsync();
        await page.GotoAsync("/");
        await Expect(Title(page)).ToHaveTextAsync("Connexion");
        await page.GetByLabel("Identifiant", Exact).FillAsync(GatewayServer.FrontDesk);
        await camera.ShootAsync(page, "accueil-connexion");
        await page.GetByLabel("Mot de passe", Exact).FillAsync(GatewayServer.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Se connecter" }).ClickAsync();
        await Expect(Title(page)).ToHaveTextAsync("Rechercher une identité");

        // Search before create.
        await page.GetByLabel("Nom de naissance", Exact).FillAsync("ADRTROIS");
        await page.GetByLabel("Prénom", Exact).FillAsync("TOUSSAINT");
        await page.GetByLabel("Date de naissance", Exact).FillAsync("1960-01-01");
        await page.GetByLabel("Sexe", Exact).SelectOptionAsync("M");
        await page.GetByRole(AriaRole.Button, new() { Name = "Rechercher", Exact = true }).ClickAsync();
        await Expect(page.GetByText("Aucune identité trouvée.")).ToBeVisibleAsync();
        await camera.ShootAsync(page, "accueil-recherche");

        // Create from the search criteria, completed from the document.
        await page.GetByRole(AriaRole.Link, new() { Name = "Créer une identité avec ces critères" }).ClickAsync();
        await Expect(Title(page)).ToHaveTextAsync("Nouvelle identité");
        await Expect(page.GetByLabel("Nom de naissance", Exact)).ToHaveValueAsync("ADRTROIS");
        await page.GetByLabel("Lieu de naissance (code COG)", Exact).FillAsync("2B020");
        await camera.ShootAsync(page.Locator("main"), "accueil-creation");
        await page.GetByRole(AriaRole.Button, new() { Name = "Créer l'identité" }).ClickAsync();
        await Expect(page.GetByText("Identité créée (statut PROV).")).ToBeVisibleAsync();
        await camera.ShootAsync(page, "accueil-identite-provisoire");

        // INSi.
        await page.GetByRole(AriaRole.Button, new() { Name = "Interroger INSi" }).ClickAsync();
        await Expect(InsiResult(page)).ToContainTextAsync("INS récupéré. Statut de l'identité : RECUP.");
        await camera.ShootAsync(InsiResult(page), "accueil-insi-trouvee");

        // The document check.
        var evidence = Region(page, "Justificatifs d'identité");
        await evidence.GetByLabel("Type de pièce", new() { Exact = true }).SelectOptionAsync("PA");
        await evidence.GetByLabel("Date d'expiration", new() { Exact = true }).FillAsync("2031-05-01");
        await camera.ShootAsync(evidence, "accueil-justificatif");
        await evidence.GetByRole(AriaRole.Button, new() { Name = "Ajouter le justificatif" }).ClickAsync();
        await Expect(page.GetByText("Justificatif ajouté. Statut de l'identité : QUAL.")).ToBeVisibleAsync();
        await DataMatrixLoadedAsync(page);
        await camera.ShootAsync(Region(page, "INS"), "accueil-identite-qualifiee");
        var identityUrl = page.Url;

        // The label.
        await page.GetByRole(AriaRole.Link, new() { Name = "Imprimer l'étiquette" }).ClickAsync();
        await Expect(Title(page)).ToHaveTextAsync("Étiquette de l'identité");
        await DataMatrixLoadedAsync(page);
        await camera.ShootAsync(page, "accueil-etiquette");

        // What identity vigilance sees on the same identity: attributes, and withdrawing the qualification.
        var vigilance = await ui.SignedInPageAsync(GatewayServer.Vigilance);
        await vigilance.GotoAsync(identityUrl);
        await Expect(Title(vigilance)).ToContainTextAsync("QUAL");
        await camera.ShootAsync(Region(vigilance, "Attributs"), "iv-attributs");
        await vigilance.GetByRole(AriaRole.Link, new() { Name = "Retirer la qualification…" }).ClickAsync();
        var revert = Region(vigilance, "Retrait de la qualification");
        await Expect(revert.GetByRole(AriaRole.Button, new() { Name = "Retirer la qualification" })).ToBeVisibleAsync();
        await revert.GetByLabel("Motif du retrait", new() { Exact = true }).FillAsync("Passeport signalé perdu");
        await camera.ShootAsync(revert, "iv-retrait-qualification");

        camera.AllTaken();
        ui.NoBrowserErrors();
    }

    [Fact]
    [GuideScreenshots("accueil-insi-plusieurs", "accueil-insi-aucune", "accueil-insi-divergence", "accueil-doublon", "accueil-resultats", "iv-divergence-adopter")]
    public async Task The_front_desk_reads_every_insi_answer_meets_a_duplicate_and_identity_vigilance_adopts_the_insi_traits()
    {
        var camera = new GuideCamera(GetType());
        var page = await ui.SignedInPageAsync(GatewayServer.FrontDesk);

        await CreateAsync(page, "DE VINCI", "LEONARDO", "M", "2014-02-01");
        await page.GetByRole(AriaRole.Button, new() { Name = "Interroger INSi" }).ClickAsync();
        await Expect(InsiResult(page)).ToContainTextAsync("complétez les traits (lieu de naissance)");
        await camera.ShootAsync(InsiResult(page), "accueil-insi-plusieurs");

        await CreateAsync(page, "GUIDEINCONNU", "ALICE", "F", "1990-05-05");
        await page.GetByRole(AriaRole.Button, new() { Name = "Interroger INSi" }).ClickAsync();
        await Expect(InsiResult(page)).ToContainTextAsync("INSi n'a trouvé aucune identité pour ces traits");
        await camera.ShootAsync(InsiResult(page), "accueil-insi-aucune");

        await CreateAsync(page, "TCHITCHI", "OLA CATARINA BELLA", "F", "1936-06-21");
        await page.GetByRole(AriaRole.Button, new() { Name = "Interroger INSi" }).ClickAsync();
        await Expect(InsiResult(page)).ToContainTextAsync("Les traits renvoyés par INSi diffèrent de l'identité locale");
        await camera.ShootAsync(InsiResult(page), "accueil-insi-divergence");
        var mismatchUrl = page.Url;

        // The same strict traits again: refused, with a link to the existing identity.
        await FillCreationAsync(page, "DE VINCI", "LEONARDO", "M", "2014-02-01");
        await page.GetByRole(AriaRole.Button, new() { Name = "Créer l'identité" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("Une identité avec les mêmes traits stricts existe déjà");
        await camera.ShootAsync(page, "accueil-doublon");

        await page.GetByRole(AriaRole.Link, new() { Name = "Rechercher", Exact = true }).ClickAsync();
        await page.GetByLabel("Nom de naissance", Exact).FillAsync("tchitchi");
        await page.GetByRole(AriaRole.Button, new() { Name = "Rechercher", Exact = true }).ClickAsync();
        await Expect(page.GetByText("1 identité trouvée · page 1 sur 1")).ToBeVisibleAsync();
        await camera.ShootAsync(page, "accueil-resultats");

        // Identity vigilance checks the document, then adopts the traits INSi returned.
        var vigilance = await ui.SignedInPageAsync(GatewayServer.Vigilance);
        await vigilance.GotoAsync(mismatchUrl);
        await vigilance.GetByRole(AriaRole.Button, new() { Name = "Interroger INSi" }).ClickAsync();
        var adopt = vigilance.GetByRole(AriaRole.Form, new() { Name = "Adopter les traits INSi" });
        await adopt.GetByLabel("J'ai contrôlé une pièce d'identité qui porte les traits INSi").CheckAsync();
        await camera.ShootAsync(Region(vigilance, "INS"), "iv-divergence-adopter");
        await adopt.GetByRole(AriaRole.Button, new() { Name = "Adopter les traits INSi" }).ClickAsync();
        await Expect(InsiResult(vigilance)).ToContainTextAsync("INS récupéré. Statut de l'identité : RECUP.");

        camera.AllTaken();
        ui.NoBrowserErrors();
    }

    [Fact]
    [GuideScreenshots("iv-doublon-assume", "iv-collision", "iv-tableau-de-bord", "iv-doublons", "iv-fusion", "iv-collisions")]
    public async Task Identity_vigilance_keeps_a_duplicate_on_purpose_meets_a_collision_works_the_lists_and_merges()
    {
        var camera = new GuideCamera(GetType());
        var vigilance = await ui.SignedInPageAsync(GatewayServer.Vigilance);

        await CreateAsync(vigilance, "DOUBLON", "JEANNE", "F", "1970-01-01", "75056");
        await FillCreationAsync(vigilance, "DOUBLON", "JEANNE", "F", "1970-01-01", "75056");
        await vigilance.GetByLabel("Nom utilisé", Exact).FillAsync("MARTIN");
        await vigilance.GetByRole(AriaRole.Button, new() { Name = "Créer l'identité" }).ClickAsync();
        await Expect(vigilance.GetByRole(AriaRole.Alert)).ToContainTextAsync("Une identité avec les mêmes traits stricts existe déjà");
        await vigilance.GetByLabel("Créer quand même une seconde identité avec ces traits").CheckAsync();
        await vigilance.GetByLabel("Motif", Exact).FillAsync("Deux dossiers papier à rapprocher après contrôle");
        await camera.ShootAsync(vigilance.GetByRole(AriaRole.Group, new() { Name = "Doublon assumé (identitovigilance)" }), "iv-doublon-assume");
        await vigilance.GetByRole(AriaRole.Button, new() { Name = "Créer l'identité" }).ClickAsync();
        await Expect(vigilance.GetByText("Identité créée (statut PROV).")).ToBeVisibleAsync();

        // The INS INSi returns for a second record of the same person is already held: a collision, nothing applied.
        await CreateAsync(vigilance, "NESSI", "NATHALIE", "F", "1977-07-14", "63220");
        await vigilance.GetByRole(AriaRole.Button, new() { Name = "Interroger INSi" }).ClickAsync();
        await Expect(Title(vigilance)).ToContainTextAsync("RECUP");
        await FillCreationAsync(vigilance, "NESSI", "NATHALIE", "F", "1977-07-14", "63220");
        await vigilance.GetByRole(AriaRole.Button, new() { Name = "Créer l'identité" }).ClickAsync();
        await vigilance.GetByLabel("Créer quand même une seconde identité avec ces traits").CheckAsync();
        await vigilance.GetByLabel("Motif", Exact).FillAsync("Dossier des urgences à rapprocher");
        await vigilance.GetByRole(AriaRole.Button, new() { Name = "Créer l'identité" }).ClickAsync();
        await Expect(vigilance.GetByText("Identité créée (statut PROV).")).ToBeVisibleAsync();
        await vigilance.GetByRole(AriaRole.Button, new() { Name = "Interroger INSi" }).ClickAsync();
        await Expect(InsiResult(vigilance)).ToContainTextAsync("Collision");
        await camera.ShootAsync(InsiResult(vigilance), "iv-collision");

        await vigilance.GetByRole(AriaRole.Link, new() { Name = "Identitovigilance", Exact = true }).ClickAsync();
        await Expect(Title(vigilance)).ToHaveTextAsync("Tableau de bord d'identitovigilance");
        await camera.ShootAsync(vigilance, "iv-tableau-de-bord");

        await vigilance.GetByRole(AriaRole.Link, new() { Name = "Doublons potentiels" }).ClickAsync();
        var duplicates = Region(vigilance, "Doublons potentiels");
        var row = duplicates.GetByRole(AriaRole.Row).Filter(new() { HasText = "DOUBLON JEANNE" }).First;
        await Expect(row).ToContainTextAsync("Doublon forcé");
        await camera.ShootAsync(duplicates, "iv-doublons");

        await row.GetByRole(AriaRole.Link, new() { Name = "comparer et fusionner" }).ClickAsync();
        await Expect(Title(vigilance)).ToHaveTextAsync("Comparer et fusionner deux identités");
        await vigilance.GetByLabel("Motif de la fusion", Exact).FillAsync("Même personne : carte d'identité contrôlée");
        await vigilance.GetByLabel("Je confirme la fusion").CheckAsync();
        await camera.ShootAsync(vigilance.Locator("main"), "iv-fusion");
        await vigilance.GetByRole(AriaRole.Button, new() { Name = "Fusionner" }).ClickAsync();
        await Expect(vigilance.GetByText("Identités fusionnées : cette identité est conservée")).ToBeVisibleAsync();

        await vigilance.GetByRole(AriaRole.Link, new() { Name = "Identitovigilance", Exact = true }).ClickAsync();
        await vigilance.GetByRole(AriaRole.Link, new() { Name = "Collisions d'INS" }).ClickAsync();
        var collisions = Region(vigilance, "Collisions d'INS");
        await Expect(collisions.GetByRole(AriaRole.Row).Filter(new() { HasText = "NESSI NATHALIE" })).ToContainTextAsync("Collision d'INS");
        await camera.ShootAsync(collisions, "iv-collisions");

        camera.AllTaken();
        ui.NoBrowserErrors();
    }

    [Fact]
    [GuideScreenshots("iv-flux-entrants", "iv-flux-entrant")]
    public async Task Identity_vigilance_reviews_results_a_laboratory_sent_for_an_unknown_patient()
    {
        var camera = new GuideCamera(GetType());
        const string partner = "LABO-BIO";
        using (var vigilanceApi = await ui.Gateway.SignedInClientAsync(GatewayServer.Vigilance))
        {
            var put = await vigilanceApi.PutAsJsonAsync($"api/inbound/partners/{partner}", new
            {
                name = "Laboratoire de biologie",
                assigningAuthority = "000897406",
                transport = "api",
                verifyInsWithInsi = false,
                allowCreate = false,
                qualifiedCode = "VALI",
            });
            put.StatusCode.Should().Be(HttpStatusCode.OK, await put.Content.ReadAsStringAsync());
        }

        using (var sender = await ui.Gateway.SignedInClientAsync(GatewayServer.FrontDesk))
        {
            var body = File.ReadAllText(SanteGateway.Testing.TestPaths.SharedFile("data", "hl7v2", "oru-r01-cr-bio-init.hl7"))
                .Replace("PAT-TROIS", "MARCHAND", StringComparison.Ordinal)
                .Replace("63220", "75056", StringComparison.Ordinal);
            using var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
            content.Headers.ContentType = MediaTypeHeaderValue.Parse("x-application/hl7-v2+er7");
            using var request = new HttpRequestMessage(HttpMethod.Post, "api/inbound") { Content = content };
            request.Headers.Add("X-Partner", partner);
            var sent = await sender.SendAsync(request);
            sent.StatusCode.Should().Be(HttpStatusCode.Accepted, await sent.Content.ReadAsStringAsync());
        }

        var page = await ui.SignedInPageAsync(GatewayServer.Vigilance);
        await page.GetByRole(AriaRole.Link, new() { Name = "Flux entrants" }).ClickAsync();
        var queue = page.GetByRole(AriaRole.Table, new() { Name = "Éléments en attente de revue" });
        var row = queue.GetByRole(AriaRole.Row).Filter(new() { HasText = partner });
        await Expect(row).ToContainTextAsync("Aucune identité locale ne correspond");
        await camera.ShootAsync(page, "iv-flux-entrants");
        await row.GetByRole(AriaRole.Link).ClickAsync();
        await Expect(Title(page)).ToHaveTextAsync($"Flux entrant de {partner}");
        await camera.ShootAsync(page, "iv-flux-entrant");

        camera.AllTaken();
        ui.NoBrowserErrors();
    }

    [Fact]
    [GuideScreenshots("admin-utilisateurs", "admin-cle-api", "admin-certificats")]
    public async Task The_administrator_creates_an_account_and_an_api_key_and_reads_the_certificate_inventory()
    {
        var camera = new GuideCamera(GetType());
        var admin = await ui.SignedInPageAsync(Server.GatewayApp.AdminUserName, ui.Gateway.AdminPassword);
        await admin.GetByRole(AriaRole.Link, new() { Name = "Administration", Exact = true }).ClickAsync();
        await Expect(Title(admin)).ToHaveTextAsync("Administration");

        var createUser = admin.GetByRole(AriaRole.Form, new() { Name = "Créer un utilisateur" });
        await createUser.GetByLabel("Identifiant", new() { Exact = true }).FillAsync("m.durand");
        await createUser.GetByLabel("Mot de passe initial", new() { Exact = true }).FillAsync(GatewayServer.Password);
        await createUser.GetByLabel("Accueil").CheckAsync();
        await createUser.GetByRole(AriaRole.Button, new() { Name = "Créer l'utilisateur" }).ClickAsync();
        await Expect(admin.GetByText("Utilisateur m.durand créé.")).ToBeVisibleAsync();
        await camera.ShootAsync(Region(admin, "Utilisateurs"), "admin-utilisateurs");

        var createKey = admin.GetByRole(AriaRole.Form, new() { Name = "Créer une clé d'API" });
        await createKey.GetByLabel("Nom de la clé", new() { Exact = true }).FillAsync("Logiciel de radiologie");
        await createKey.GetByLabel("Accueil").CheckAsync();
        await createKey.GetByRole(AriaRole.Button, new() { Name = "Créer la clé" }).ClickAsync();
        await Expect(admin.GetByTestId("secret")).ToContainTextAsync("sgw_");
        await camera.ShootAsync(admin, "admin-cle-api");

        await admin.GetByRole(AriaRole.Link, new() { Name = "Certificats", Exact = true }).ClickAsync();
        await Expect(Title(admin)).ToHaveTextAsync("Certificats");
        await camera.ShootAsync(admin, "admin-certificats");

        camera.AllTaken();
        ui.NoBrowserErrors();
    }
}
