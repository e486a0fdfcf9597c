using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;
using static SanteGateway.EndToEnd.UiSession;

namespace SanteGateway.EndToEnd;

/// <summary>The screens of the later capabilities: batch jobs (#12), the inbound review queue (#15), the certificate inventory (#18).</summary>
public sealed class OperationsUiTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>, IAsyncLifetime
{
    private readonly UiSession ui = new(fixture);

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => ui.DisposeAsync();

    private static string Letters() => new(Guid.NewGuid().ToString("N").Where(char.IsLetter).Take(8).Select(char.ToUpperInvariant).ToArray());

    /// <summary>The newest job's row (first of the table), by its test id: two jobs can be created within the same minute.</summary>
    private static async Task<ILocator> NewestJobAsync(IPage page)
    {
        var id = await page.GetByRole(AriaRole.Table, new() { Name = "Traitements" }).GetByRole(AriaRole.Row).Nth(1).GetAttributeAsync("data-testid");
        return page.GetByTestId(id!);
    }

    /// <summary>Reloads the jobs page until the job's row shows <paramref name="status"/> (the worker runs in the background).</summary>
    private static async Task WaitForStatusAsync(IPage page, ILocator row, string status)
    {
        for (var i = 0; i < 60; i++)
        {
            await page.GetByRole(AriaRole.Link, new() { Name = "Actualiser la progression" }).ClickAsync();
            if (await row.Filter(new() { HasText = status }).CountAsync() == 1)
            {
                return;
            }

            await Task.Delay(500, TestContext.Current.CancellationToken);
        }

        throw new TimeoutException($"the job never became {status}");
    }

    [Fact]
    public async Task Identity_vigilance_runs_a_search_job_from_a_csv_file_sees_the_refused_row_downloads_the_report_and_pauses_resumes_and_cancels_a_slow_job()
    {
        var frontDesk = await ui.SignedInPageAsync(GatewayServer.FrontDesk);
        await Expect(frontDesk.GetByRole(AriaRole.Link, new() { Name = "Traitements de masse" })).ToHaveCountAsync(0);
        await frontDesk.GotoAsync("/traitements");
        await Expect(Title(frontDesk)).ToHaveTextAsync("Accès refusé");

        var page = await ui.SignedInPageAsync(GatewayServer.Vigilance);
        await page.GetByRole(AriaRole.Link, new() { Name = "Traitements de masse" }).ClickAsync();
        await Expect(Title(page)).ToHaveTextAsync("Traitements de masse");

        var dir = Directory.CreateTempSubdirectory("santegw-e2e-csv").FullName;
        var csv = Path.Combine(dir, "patients.csv");
        await File.WriteAllTextAsync(csv, "localId;birthName;birthFirstNames;sex;birthDate\nP1;ADRTROIS;DOMINIQUE;F;1997-02-26\nP2;SANSSEXE;MARIE;;1990-01-01\n", TestContext.Current.CancellationToken);
        await page.GetByLabel("Traitement", new() { Exact = true }).SelectOptionAsync("search");
        await page.GetByLabel("Fichier CSV (facultatif)").SetInputFilesAsync(csv);
        await page.GetByLabel("Appels INSi par seconde (0 : sans limite)").FillAsync("0");
        await page.GetByRole(AriaRole.Button, new() { Name = "Lancer le traitement" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Traitement lancé : recherche d'ins de 2 élément(s).");

        var row = await NewestJobAsync(page);
        await WaitForStatusAsync(page, row, "Terminé");
        await Expect(row).ToContainTextAsync("2 / 2");
        await Expect(row).ToContainTextAsync("Lignes refusées : 1");
        await Expect(row).ToContainTextAsync("Fichier CSV");
        await ui.CheckScreenAsync(page, "jobs");

        var download = await page.RunAndWaitForDownloadAsync(() => row.GetByRole(AriaRole.Link, new() { Name = "Télécharger le rapport" }).ClickAsync());
        var report = await File.ReadAllTextAsync(await download.PathAsync(), TestContext.Current.CancellationToken);
        report.Should().StartWith("line;localId;identityId;outcome;rule;detail;ins");
        report.Should().Contain("3;P2;;input-refused", "the row without sex is reported with its line number");
        report.Should().Contain("2;P1;", "the good row has its outcome");
        report.Should().StartWith("line;localId;identityId;outcome;rule;detail;ins;motif").And.Contain("\"Sexe manquant (M ou F).\"", "the refusal is given in French");

        // The refused rows, with their reason in French words (not the application's English message).
        await row.GetByRole(AriaRole.Link, new() { Name = "Voir les lignes refusées" }).ClickAsync();
        await Expect(Title(page)).ToHaveTextAsync("Lignes refusées");
        var refused = page.GetByRole(AriaRole.Table, new() { Name = "Lignes refusées (1)" });
        await Expect(refused.GetByRole(AriaRole.Row).Filter(new() { HasText = "P2" })).ToContainTextAsync("Sexe manquant (M ou F).");
        await Expect(page.GetByText("is required")).ToHaveCountAsync(0);
        await ui.CheckScreenAsync(page, "jobs-refused-rows");
        await page.GetByRole(AriaRole.Link, new() { Name = "Retour aux traitements de masse" }).ClickAsync();

        // A file refused as a whole: the reason in French.
        await File.WriteAllTextAsync(csv, "localId;nom;birthDate\nP1;X;1990-01-01\n", TestContext.Current.CancellationToken);
        await page.GetByLabel("Traitement", new() { Exact = true }).SelectOptionAsync("search");
        await page.GetByLabel("Fichier CSV (facultatif)").SetInputFilesAsync(csv);
        await page.GetByRole(AriaRole.Button, new() { Name = "Lancer le traitement" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("Fichier CSV refusé : Ligne 1 : colonne(s) inconnue(s) nom ; colonnes connues : localId, ins");
        await Expect(page.GetByText("unknown column")).ToHaveCountAsync(0);

        // A slow job (one call every five seconds) stays running long enough to be paused, resumed and cancelled.
        var many = new StringBuilder("localId;birthName;birthFirstNames;sex;birthDate\n");
        for (var i = 0; i < 20; i++)
        {
            many.Append("L").Append(i).Append(";LENT").Append(Letters()).Append(";PAUL;M;1980-01-01\n");
        }

        await File.WriteAllTextAsync(csv, many.ToString(), TestContext.Current.CancellationToken);
        await page.GetByLabel("Traitement", new() { Exact = true }).SelectOptionAsync("search");
        await page.GetByLabel("Fichier CSV (facultatif)").SetInputFilesAsync(csv);
        await page.GetByLabel("Appels INSi par seconde (0 : sans limite)").FillAsync("0,2");
        await page.GetByRole(AriaRole.Button, new() { Name = "Lancer le traitement" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("de 20 élément(s)");
        var slow = await NewestJobAsync(page);
        await Expect(slow).ToContainTextAsync(" / 20");
        await Expect(slow).ToContainTextAsync("En cours");
        // Live progress while it runs: the row changes without a reload (what is typed in the form stays).
        await page.GetByLabel("Appels simultanés").FillAsync("3");
        var before = await slow.Locator("progress").GetAttributeAsync("value");
        await Expect(slow.Locator("progress")).Not.ToHaveAttributeAsync("value", before!, new() { Timeout = 30_000 });
        await Expect(page.GetByLabel("Appels simultanés")).ToHaveValueAsync("3");
        await slow.GetByRole(AriaRole.Button, new() { Name = "Mettre en pause" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("mis en pause");
        await Expect(slow).ToContainTextAsync("En pause");
        await slow.GetByRole(AriaRole.Button, new() { Name = "Reprendre" }).ClickAsync();
        await Expect(slow).ToContainTextAsync("En cours");
        await slow.GetByRole(AriaRole.Button, new() { Name = "Annuler" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("annulé");
        await Expect(slow).ToContainTextAsync("Annulé");
        await Expect(slow.GetByRole(AriaRole.Button)).ToHaveCountAsync(0);
        await ui.CheckScreenAsync(page, "jobs-cancelled");
        ui.NoBrowserErrors();
    }

    /// <summary>The ANS ORU^R01 (CR de biologie, INS 279035121518989 sent with VALI) for a patient named <paramref name="name"/>; returns the item id.</summary>
    private static async Task<string> SendOruAsync(HttpClient client, string partner, string name)
    {
        var body = File.ReadAllText(SanteGateway.Testing.TestPaths.SharedFile("data", "hl7v2", "oru-r01-cr-bio-init.hl7"))
            .Replace("PAT-TROIS", name, StringComparison.Ordinal)
            .Replace("63220", "75056", StringComparison.Ordinal);
        var json = await SendInboundAsync(client, partner, body);
        json.GetProperty("decision").GetString().Should().Be("hold", "nobody matches and the partner may not create identities");
        return json.GetProperty("id").GetString()!;
    }

    private static async Task<System.Text.Json.JsonElement> SendInboundAsync(HttpClient client, string partner, string body)
    {
        using var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("x-application/hl7-v2+er7");
        using var req = new HttpRequestMessage(HttpMethod.Post, "api/inbound") { Content = content };
        req.Headers.Add("X-Partner", partner);
        var r = await client.SendAsync(req);
        var json = await r.Content.ReadAsStringAsync();
        r.StatusCode.Should().Be(HttpStatusCode.Accepted, json);
        return System.Text.Json.JsonDocument.Parse(json).RootElement.Clone();
    }

    private static async Task PutPartnerAsync(HttpClient vigilanceApi, string partner)
    {
        var put = await vigilanceApi.PutAsJsonAsync($"api/inbound/partners/{partner}", new
        {
            name = "Laboratoire " + partner,
            assigningAuthority = "000897406",
            transport = "api",
            verifyInsWithInsi = false,
            allowCreate = false,
            qualifiedCode = "VALI",
        });
        put.StatusCode.Should().Be(HttpStatusCode.OK, await put.Content.ReadAsStringAsync());
    }

    /// <summary>The file the folder route writes for an item (named by the item id, its idempotency key), once the delivery worker has run.</summary>
    private async Task<string> DeliveredAsync(string itemId)
    {
        var path = Path.Combine(ui.Gateway.DeliveryFolder, Guid.Parse(itemId).ToString("N") + ".hl7");
        for (var i = 0; i < 120 && !File.Exists(path); i++)
        {
            await Task.Delay(250, TestContext.Current.CancellationToken);
        }

        File.Exists(path).Should().BeTrue($"the accepted item {itemId} must be delivered to the local route");
        return await File.ReadAllTextAsync(path, TestContext.Current.CancellationToken);
    }

    private static string[] Pid(string hl7) =>
        hl7.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries).Single(l => l.StartsWith("PID|", StringComparison.Ordinal)).Split('|');

    [Fact]
    public async Task A_partners_ORU_with_an_INS_for_an_unknown_patient_waits_for_review_is_attached_in_the_browser_and_delivered_to_the_local_route_with_the_local_identity_and_the_dashboard_counts_it()
    {
        var partner = GatewayServer.DeliveryPartner;
        var name = "LIVR" + Letters();
        var other = "AUTRE" + Letters();
        string otherItem;
        string secondItem;
        using (var vigilanceApi = await ui.Gateway.SignedInClientAsync(GatewayServer.Vigilance))
        {
            await PutPartnerAsync(vigilanceApi, partner);
        }

        using (var sender = await ui.Gateway.SignedInClientAsync(GatewayServer.FrontDesk))
        {
            await SendOruAsync(sender, partner, name);
            secondItem = await SendOruAsync(sender, partner, name);
            await SendOruAsync(sender, partner, name);
            otherItem = await SendOruAsync(sender, partner, other);
            var garbage = await SendInboundAsync(sender, partner, "PID|1||000003^^^CHU-X&000897406&M^PI");
            garbage.GetProperty("decision").GetString().Should().Be("reject", "an unreadable message is stored and rejected by the gate");
        }

        // Identity vigilance knows the patient locally (created after the results arrived, so none was attached by the gate).
        var page = await ui.SignedInPageAsync(GatewayServer.Vigilance);
        await CreateAsync(page, name, "DOMINIQUE", "F", "1979-03-28", "75056");
        var local = IdentityId(page);

        // The oldest held item of the partner: the received identity and its INS, attached to the local identity found by a search.
        await page.GotoAsync("/flux-entrants?partenaire=" + partner);
        var queue = page.GetByRole(AriaRole.Table, new() { Name = $"Éléments en attente de revue · partenaire {partner}" });
        await Expect(queue.GetByRole(AriaRole.Row).Filter(new() { HasText = partner })).ToHaveCountAsync(4);
        await queue.GetByRole(AriaRole.Row).Filter(new() { HasText = partner }).First.GetByRole(AriaRole.Link).ClickAsync();
        await Expect(Title(page)).ToHaveTextAsync($"Flux entrant de {partner}");
        var item = System.Text.RegularExpressions.Regex.Match(page.Url, "/flux-entrants/([0-9a-f-]{36})").Groups[1].Value;
        var received = page.GetByRole(AriaRole.Region, new() { Name = "Identité reçue" });
        await Expect(received).ToContainTextAsync(name);
        await Expect(received).ToContainTextAsync("2 79 03 51 215 189 89");
        var search = page.GetByRole(AriaRole.Search, new() { Name = "Rechercher une autre identité" });
        await search.GetByRole(AriaRole.Button, new() { Name = "Rechercher une identité" }).ClickAsync();
        var attach = page.GetByRole(AriaRole.Form, new() { Name = "Rattacher à une identité trouvée" });
        await attach.GetByRole(AriaRole.Radio).First.CheckAsync();
        await attach.GetByLabel("Motif du rattachement", new() { Exact = true }).FillAsync("Patiente connue, même date et lieu de naissance");
        await attach.GetByRole(AriaRole.Button, new() { Name = "Rattacher à l'identité choisie" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "Données rattachées" })).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Status).Filter(new() { HasText = "Données rattachées" }).GetByRole(AriaRole.Link, new() { Name = "Ouvrir l'identité" }).ClickAsync();
        IdentityId(page).Should().Be(local);

        // Delivered to the publisher's software: the results as received, PID rebuilt with the local identity (its id under
        // the local authority), not the partner's; the INS is not sent since the local identity is not qualified.
        var delivered = await DeliveredAsync(item);
        var pid = Pid(delivered);
        pid[3].Should().Be($"{local:N}^^^SANTEGW^PI", "PID-3 carries the local identity");
        pid[3].Should().NotContain("279035121518989");
        pid[5].Should().StartWith(name + "^DOMINIQUE");
        delivered.Should().Contain("OBX|1|ED|11502-2^CR d'examens biologiques^LN", "the results travel unchanged");

        // Two more decisions through the API: one rejected, one with an identity created (delivered with that identity).
        using (var reviewer = await ui.Gateway.SignedInClientAsync(GatewayServer.Vigilance))
        {
            var r = await reviewer.PostAsJsonAsync($"api/inbound/{secondItem}/reject", new { reason = "Envoi en double" });
            r.StatusCode.Should().Be(HttpStatusCode.OK, await r.Content.ReadAsStringAsync());
            r = await reviewer.PostAsJsonAsync($"api/inbound/{otherItem}/create", new { reason = "Nouveau patient du laboratoire" });
            var created = System.Text.Json.JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement;
            r.StatusCode.Should().Be(HttpStatusCode.OK, created.ToString());
            Pid(await DeliveredAsync(otherItem))[3].Should().Be($"{Guid.Parse(created.GetProperty("identityId").GetString()!):N}^^^SANTEGW^PI");
        }

        // The vigilance dashboard: received 5, attached 1, created 1, held 1, rejected 2 (one by the gate, one by review).
        await page.GetByRole(AriaRole.Link, new() { Name = "Identitovigilance", Exact = true }).ClickAsync();
        var row = page.GetByRole(AriaRole.Table, new() { Name = "Flux reçus de chaque partenaire, par décision" }).GetByTestId($"inbound-{partner}");
        await Expect(row.GetByRole(AriaRole.Rowheader)).ToHaveTextAsync($"Laboratoire {partner} ({partner})");
        foreach (var link in new[] { $"5 flux reçus de {partner}", $"1 flux de {partner} rattachés", $"1 flux de {partner} avec identité créée", $"1 flux de {partner} en attente de revue", $"2 flux de {partner} rejetés" })
        {
            await Expect(row.GetByRole(AriaRole.Link, new() { Name = link, Exact = true })).ToBeVisibleAsync();
        }

        await Expect(row.Locator("td[data-label='Décision en attente']")).ToHaveTextAsync("0");
        await ui.CheckScreenAsync(page, "vigilance-inbound");

        // Each count opens the queue filtered accordingly.
        await row.GetByRole(AriaRole.Link, new() { Name = $"2 flux de {partner} rejetés", Exact = true }).ClickAsync();
        var rejected = page.GetByRole(AriaRole.Table, new() { Name = $"Flux rejetés · partenaire {partner} (2)" });
        await Expect(rejected.GetByRole(AriaRole.Row).Filter(new() { HasText = partner })).ToHaveCountAsync(2);
        await ui.CheckScreenAsync(page, "inbound-queue-filtered");
        await page.GotoAsync("/vigilance");
        await row.GetByRole(AriaRole.Link, new() { Name = $"1 flux de {partner} en attente de revue", Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Table, new() { Name = $"Éléments en attente de revue · partenaire {partner} (1)" }).GetByRole(AriaRole.Row).Filter(new() { HasText = partner })).ToHaveCountAsync(1);
        await page.GotoAsync("/vigilance");
        await row.GetByRole(AriaRole.Link, new() { Name = $"1 flux de {partner} rattachés", Exact = true }).ClickAsync();
        var attached = page.GetByRole(AriaRole.Table, new() { Name = $"Flux rattachés · partenaire {partner} (1)" });
        await Expect(attached.GetByRole(AriaRole.Row).Filter(new() { HasText = partner })).ToContainTextAsync("Rattaché");
        await page.GetByRole(AriaRole.Link, new() { Name = "Retirer le filtre" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Table, new() { NameRegex = new System.Text.RegularExpressions.Regex("^Tous les flux reçus") })).ToBeVisibleAsync();
        ui.NoBrowserErrors();
    }

    [Fact]
    public async Task A_partners_results_for_an_unknown_patient_wait_in_the_review_queue_where_identity_vigilance_creates_attaches_and_rejects_with_a_reason()
    {
        var partner = "LAB-" + Letters();
        var name = "FLUX" + Letters();
        using (var vigilanceApi = await ui.Gateway.SignedInClientAsync(GatewayServer.Vigilance))
        {
            await PutPartnerAsync(vigilanceApi, partner);
        }

        using (var sender = await ui.Gateway.SignedInClientAsync(GatewayServer.FrontDesk))
        {
            for (var i = 0; i < 3; i++)
            {
                await SendOruAsync(sender, partner, name);
            }
        }

        var frontDesk = await ui.SignedInPageAsync(GatewayServer.FrontDesk);
        await Expect(frontDesk.GetByRole(AriaRole.Link, new() { Name = "Flux entrants" })).ToHaveCountAsync(0);
        await frontDesk.GotoAsync("/flux-entrants");
        await Expect(Title(frontDesk)).ToHaveTextAsync("Accès refusé");

        var page = await ui.SignedInPageAsync(GatewayServer.Vigilance);
        await page.GetByRole(AriaRole.Link, new() { Name = "Flux entrants" }).ClickAsync();
        await Expect(Title(page)).ToHaveTextAsync("Flux entrants");
        var queue = page.GetByRole(AriaRole.Table, new() { Name = "Éléments en attente de revue" });
        var rows = queue.GetByRole(AriaRole.Row).Filter(new() { HasText = partner });
        await Expect(rows).ToHaveCountAsync(3);
        await Expect(rows.First).ToContainTextAsync("Aucune identité locale ne correspond");
        await ui.CheckScreenAsync(page, "inbound-queue");

        // First item: a provisional identity is created from the received traits.
        await rows.First.GetByRole(AriaRole.Link).ClickAsync();
        await Expect(Title(page)).ToHaveTextAsync($"Flux entrant de {partner}");
        await Expect(page.GetByRole(AriaRole.Region, new() { Name = "Identité reçue" })).ToContainTextAsync(name);
        await ui.CheckScreenAsync(page, "inbound-item");
        await page.GetByLabel("Motif de la création", new() { Exact = true }).FillAsync("Patient inconnu, résultats attendus");
        await page.GetByRole(AriaRole.Button, new() { Name = "Créer l'identité et rattacher" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "Identité provisoire créée" })).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Ouvrir l'identité" }).First.ClickAsync();
        await Expect(Title(page)).ToContainTextAsync(name);
        var identityUrl = page.Url;

        // Second item: attached to that identity, found by a trait search on the item page (it is no proposed candidate).
        await page.GotoAsync("/flux-entrants");
        await Expect(rows).ToHaveCountAsync(2);
        await rows.First.GetByRole(AriaRole.Link).ClickAsync();
        var search = page.GetByRole(AriaRole.Search, new() { Name = "Rechercher une autre identité" });
        await Expect(search.GetByLabel("Nom de naissance recherché")).ToHaveValueAsync(name);
        await search.GetByRole(AriaRole.Button, new() { Name = "Rechercher une identité" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "1 identité(s) trouvée(s)." })).ToBeVisibleAsync();
        var attach = page.GetByRole(AriaRole.Form, new() { Name = "Rattacher à une identité trouvée" });
        await attach.GetByRole(AriaRole.Button, new() { Name = "Rattacher à l'identité choisie" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("Choisissez l'identité dans les résultats de la recherche.");
        await attach.GetByRole(AriaRole.Radio).First.CheckAsync();
        await attach.GetByRole(AriaRole.Button, new() { Name = "Rattacher à l'identité choisie" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("Indiquez le motif de la décision");
        await ui.CheckScreenAsync(page, "inbound-item-search");
        await attach.GetByRole(AriaRole.Radio).First.CheckAsync();
        await attach.GetByLabel("Motif du rattachement", new() { Exact = true }).FillAsync("Même patient que le flux précédent");
        await attach.GetByRole(AriaRole.Button, new() { Name = "Rattacher à l'identité choisie" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "Données rattachées" })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Table, new() { Name = "Historique" })).ToContainTextAsync("Rattaché par l'identitovigilance : Même patient que le flux précédent");
        await page.GetByRole(AriaRole.Status).Filter(new() { HasText = "Données rattachées" }).GetByRole(AriaRole.Link, new() { Name = "Ouvrir l'identité" }).ClickAsync();
        page.Url.Should().Be(identityUrl, "the data went to the identity chosen in the search results");

        // Third item: rejected with a reason.
        await page.GotoAsync("/flux-entrants");
        await Expect(rows).ToHaveCountAsync(1);
        await rows.First.GetByRole(AriaRole.Link).ClickAsync();
        await page.GetByLabel("Motif du rejet", new() { Exact = true }).FillAsync("Envoi en double du laboratoire");
        await page.GetByRole(AriaRole.Button, new() { Name = "Rejeter le flux" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "Flux rejeté" })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Rejeter le flux" })).ToHaveCountAsync(0);

        await page.GotoAsync("/flux-entrants");
        await Expect(rows).ToHaveCountAsync(0);
        await page.GetByRole(AriaRole.Link, new() { Name = "Tous les flux" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Table, new() { Name = "Tous les flux reçus" }).GetByRole(AriaRole.Row).Filter(new() { HasText = partner })).ToHaveCountAsync(3);
        ui.NoBrowserErrors();
    }

    [Fact]
    public async Task An_administrator_sees_the_certificate_inventory_with_expiry_chain_and_findings_and_others_are_refused()
    {
        var vigilance = await ui.SignedInPageAsync(GatewayServer.Vigilance);
        await Expect(vigilance.GetByRole(AriaRole.Link, new() { Name = "Certificats" })).ToHaveCountAsync(0);
        await vigilance.GotoAsync("/certificats");
        await Expect(Title(vigilance)).ToHaveTextAsync("Accès refusé");

        var page = await ui.NewPageAsync();
        await page.GotoAsync("/");
        await page.GetByLabel("Identifiant", new() { Exact = true }).FillAsync(Server.GatewayApp.AdminUserName);
        await page.GetByLabel("Mot de passe", new() { Exact = true }).FillAsync(ui.Gateway.AdminPassword);
        await page.GetByRole(AriaRole.Button, new() { Name = "Se connecter" }).ClickAsync();
        // The administrators' banner, on every page: the tracked certificate 20 days from expiry (30-day threshold).
        var banner = page.GetByRole(AriaRole.Region, new() { Name = "Alerte certificats" });
        await Expect(banner).ToContainTextAsync($"Le certificat {GatewayServer.ExpiringCertificate} arrive à expiration");
        await page.GetByRole(AriaRole.Link, new() { Name = "Administration", Exact = true }).ClickAsync();
        await Expect(Title(page)).ToHaveTextAsync("Administration");
        await Expect(banner).ToBeVisibleAsync();
        await Expect(vigilance.GetByRole(AriaRole.Region, new() { Name = "Alerte certificats" })).ToHaveCountAsync(0);
        await banner.GetByRole(AriaRole.Link, new() { Name = "Voir les certificats" }).ClickAsync();
        await Expect(Title(page)).ToHaveTextAsync("Certificats");
        await Expect(page.GetByRole(AriaRole.Table, new() { Name = "Inventaire (3)" }).GetByRole(AriaRole.Row).Filter(new() { HasText = GatewayServer.ExpiringCertificate }))
            .ToContainTextAsync("seuil de 30 jours atteint");
        await Expect(page.GetByText("Seuils d'alerte : 60 jours, 30 jours, 7 jours")).ToBeVisibleAsync();
        var inventory = page.GetByRole(AriaRole.Table, new() { Name = "Inventaire (3)" });
        await Expect(inventory.GetByRole(AriaRole.Row).Filter(new() { HasText = "insi-auto" })).ToContainTextAsync("INSi, appels automatiques (INSI-AUTO)");
        await Expect(inventory.GetByRole(AriaRole.Row).Filter(new() { HasText = "insi-manu" })).ToContainTextAsync("INSi, appels par un utilisateur (INSI-MANU)");
        var auto = page.GetByRole(AriaRole.Region, new() { Name = "Certificat insi-auto" });
        await Expect(auto).ToContainTextAsync("CN=INSI-AUTO");
        await Expect(auto).ToContainTextAsync("Chaîne de confiance");
        await Expect(auto).ToContainTextAsync("Constats");
        await ui.CheckScreenAsync(page, "certificates");
        await page.GetByRole(AriaRole.Link, new() { Name = "Relire les fichiers" }).ClickAsync();
        await Expect(page.GetByText("Fichiers relus à l'instant.")).ToBeVisibleAsync();
        ui.NoBrowserErrors();
    }

    [Fact]
    public async Task Identity_vigilance_sees_received_and_sent_hl7_messages_in_french_and_puts_a_dead_letter_back_in_the_queue()
    {
        var subscriber = "DPI-" + Letters();
        var messageId = "MSG" + Letters();
        var patient = Guid.NewGuid();
        long deadId;
        await using (var scope = ui.Gateway.Services.CreateAsyncScope())
        {
            // A received message with a mapping finding, and a notification the outbox gave up: no screen makes these.
            var db = scope.ServiceProvider.GetRequiredService<SanteGateway.Store.GatewayDbContext>();
            var now = DateTimeOffset.UtcNow;
            var raw = Encoding.UTF8.GetBytes("MSH|^~\\&|LAB|X|GW|Y|20260101||ADT^A28|" + messageId + "R|P|2.5\r");
            db.ReceivedMessages.Add(new SanteGateway.Store.Entities.ReceivedMessage { Channel = "hl7v2-mllp", Partner = "127.0.0.1:40001", ReceivedAt = now, Raw = raw, MessageId = messageId + "R", Kind = "ADT^A28", AckCode = "AE", Error = "pid-7: birth date 2026-13-01 is not a date" });
            var dead = new SanteGateway.Store.Entities.OutboxMessage
            {
                Channel = "hl7v2-mllp", Destination = subscriber, OrderingKey = patient.ToString(), Kind = "ADT^A31", MessageId = messageId, Payload = raw,
                State = SanteGateway.Store.Entities.OutboxStates.DeadLetter, Attempts = 8, CreatedAt = now, NextAttemptAt = now, LastError = "connection refused",
            };
            db.Outbox.Add(dead);
            await db.SaveChangesAsync(TestContext.Current.CancellationToken);
            deadId = dead.Id;
        }

        var frontDesk = await ui.SignedInPageAsync(GatewayServer.FrontDesk);
        await Expect(frontDesk.GetByRole(AriaRole.Link, new() { Name = "Messages HL7" })).ToHaveCountAsync(0);
        await frontDesk.GotoAsync("/messages-hl7");
        await Expect(Title(frontDesk)).ToHaveTextAsync("Accès refusé");

        var page = await ui.SignedInPageAsync(GatewayServer.Vigilance);
        await page.GetByRole(AriaRole.Link, new() { Name = "Messages HL7" }).ClickAsync();
        await Expect(Title(page)).ToHaveTextAsync("Messages HL7");
        var tabs = page.GetByRole(AriaRole.Navigation, new() { Name = "Vues des messages HL7" });
        await tabs.GetByRole(AriaRole.Link, new() { NameRegex = new System.Text.RegularExpressions.Regex("^Reçus en erreur") }).ClickAsync();
        var receivedRow = page.GetByRole(AriaRole.Table, new() { Name = "Reçus en erreur" }).GetByRole(AriaRole.Row).Filter(new() { HasText = messageId + "R" });
        await Expect(receivedRow).ToContainTextAsync("Création d'identité (ADT^A28)");
        await Expect(receivedRow).ToContainTextAsync("Refusé : erreur (AE)");
        await Expect(receivedRow).ToContainTextAsync("Erreur de lecture ou de correspondance");
        await Expect(receivedRow).Not.ToContainTextAsync("MSH|", new() { Timeout = 1000 });
        await ui.CheckScreenAsync(page, "hl7-received");

        await tabs.GetByRole(AriaRole.Link, new() { NameRegex = new System.Text.RegularExpressions.Regex("^Lettres mortes") }).ClickAsync();
        var row = page.GetByTestId($"outbox-{deadId}");
        await Expect(row).ToContainTextAsync(subscriber);
        await Expect(row).ToContainTextAsync("Lettre morte (abandonné)");
        await Expect(row).ToContainTextAsync("Mise à jour d'identité (ADT^A31)");
        await Expect(row.GetByRole(AriaRole.Link, new() { Name = "Ouvrir l'identité" })).ToHaveAttributeAsync("href", $"/identites/{patient}");
        await ui.CheckScreenAsync(page, "hl7-dead-letters");
        await row.GetByRole(AriaRole.Button, new() { Name = $"Remettre en file le message {messageId} pour {subscriber}" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync($"Message {messageId} remis en file pour {subscriber}");

        await using (var scope = ui.Gateway.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<SanteGateway.Store.GatewayDbContext>();
            var audit = db.AuditEvents.Where(e => e.Action == "hl7.outbox.replay" && e.EntityId == deadId.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList();
            audit.Should().ContainSingle().Which.Actor.Should().Be(GatewayServer.Vigilance);
        }

        ui.NoBrowserErrors();
    }

    [Fact]
    public async Task Identity_vigilance_downloads_an_insi_exchange_support_bundle_masked_unless_identity_data_is_ticked_and_each_download_is_audited()
    {
        var page = await ui.SignedInPageAsync(GatewayServer.Vigilance);
        await page.GetByRole(AriaRole.Link, new() { Name = "Nouvelle identité" }).ClickAsync();
        await CreateAsync(page, "ADRTROIS", "DOMINIQUE", "F", "1997-02-26", "63220");
        await page.GetByRole(AriaRole.Button, new() { Name = "Interroger INSi" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Table, new() { Name = "Échanges INSi" })).ToBeVisibleAsync();
        var identity = IdentityId(page);
        var bundle = page.GetByRole(AriaRole.Form).Filter(new() { HasText = "Télécharger le dossier de support" }).First;

        var masked = await page.RunAndWaitForDownloadAsync(() => bundle.GetByRole(AriaRole.Button, new() { Name = "Télécharger le dossier de support" }).ClickAsync());
        masked.SuggestedFilename.Should().StartWith("santegw-support-").And.EndWith(".zip");
        var maskedRequest = ZipEntry(await masked.PathAsync(), "request.xml");
        maskedRequest.Should().NotContain("ADRTROIS").And.Contain("***");

        await bundle.GetByRole(AriaRole.Checkbox).CheckAsync();
        var full = await page.RunAndWaitForDownloadAsync(() => bundle.GetByRole(AriaRole.Button, new() { Name = "Télécharger le dossier de support" }).ClickAsync());
        ZipEntry(await full.PathAsync(), "request.xml").Should().Contain("ADRTROIS");
        await ui.CheckScreenAsync(page, "identity-support-bundle");

        await page.GotoAsync($"/identites/{identity}");
        var audit = page.GetByRole(AriaRole.Table, new() { Name = "Journal d'audit" }).GetByRole(AriaRole.Row).Filter(new() { HasText = "Dossier de support INSi téléchargé" });
        await Expect(audit).ToHaveCountAsync(2);
        await Expect(audit.Filter(new() { HasText = "données d'identité masquées" })).ToHaveCountAsync(1);
        await Expect(audit.Filter(new() { HasText = "données d'identité incluses" })).ToHaveCountAsync(1);
        await Expect(audit.First).ToContainTextAsync(GatewayServer.Vigilance);

        var frontDesk = await ui.SignedInPageAsync(GatewayServer.FrontDesk);
        await frontDesk.GotoAsync($"/identites/{identity}");
        await Expect(frontDesk.GetByRole(AriaRole.Button, new() { Name = "Télécharger le dossier de support" })).ToHaveCountAsync(0);
        ui.NoBrowserErrors();
    }

    private static string ZipEntry(string zipPath, string name)
    {
        using var zip = System.IO.Compression.ZipFile.OpenRead(zipPath);
        using var reader = new StreamReader(zip.GetEntry(name)!.Open());
        return reader.ReadToEnd();
    }
}
