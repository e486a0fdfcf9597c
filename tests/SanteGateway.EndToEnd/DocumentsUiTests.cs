using System.Text.Json;
using System.Xml.Linq;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;
using static SanteGateway.EndToEnd.UiSession;

namespace SanteGateway.EndToEnd;

/// <summary>The identity's DMP documents screen, in headless Chromium against the real gateway, INSi and documents sandboxes.</summary>
public sealed class DocumentsUiTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>, IAsyncLifetime
{
    private static readonly XNamespace V3 = "urn:hl7-org:v3";
    private readonly UiSession ui = new(fixture);
    private readonly string dir = Path.Combine(Path.GetTempPath(), "santegw-e2e-cda-" + Guid.NewGuid().ToString("N"));

    public ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(dir);
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await ui.DisposeAsync();
        try
        {
            Directory.Delete(dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>An official CI-SIS CDA example whose recordTarget is rewritten with the identity's INS and strict traits.</summary>
    private async Task<string> CdaForAsync(Guid id)
    {
        using var api = await ui.Gateway.SignedInClientAsync(GatewayServer.FrontDesk);
        using var identity = JsonDocument.Parse(await api.GetStringAsync($"api/identities/{id}"));
        var r = identity.RootElement;
        var doc = XDocument.Load(SanteGateway.Testing.TestPaths.SharedFile("data", "cda", "TestContenuCDA-3-0", "ExemplesCDA", "BIO-TROD_2024.01_Angine.xml"), LoadOptions.PreserveWhitespace);
        doc.Root!.Element(V3 + "id")!.SetAttributeValue("extension", Guid.NewGuid().ToString("N"));
        var role = doc.Root.Element(V3 + "recordTarget")!.Element(V3 + "patientRole")!;
        var ins = r.GetProperty("ins");
        role.Element(V3 + "id")!.SetAttributeValue("root", ins.GetProperty("oid").GetString());
        role.Element(V3 + "id")!.SetAttributeValue("extension", ins.GetProperty("matricule").GetString());
        var patient = role.Element(V3 + "patient")!;
        var name = patient.Element(V3 + "name")!;
        foreach (var family in name.Elements(V3 + "family"))
        {
            family.Value = r.GetProperty("birthName").GetString()!;
        }

        var givens = name.Elements(V3 + "given").ToList();
        givens[0].Value = r.GetProperty("birthFirstNames").GetString()!;
        givens[1].Value = r.GetProperty("firstFirstName").GetString()!;
        givens[2].Value = r.GetProperty("firstFirstName").GetString()!;
        patient.Element(V3 + "administrativeGenderCode")!.SetAttributeValue("code", r.GetProperty("sex").GetString());
        patient.Element(V3 + "birthTime")!.SetAttributeValue("value", r.GetProperty("birthDate").GetString()!.Replace("-", string.Empty, StringComparison.Ordinal));
        patient.Descendants(V3 + "county").Single().Value = r.GetProperty("birthPlaceCog").GetString()!;
        var path = Path.Combine(dir, Guid.NewGuid().ToString("N") + ".xml");
        doc.Save(path);
        return path;
    }

    // ADRTROIS TOUSSAINT was born in Haute-Corse: his matricule carries "2B" (160012B020777 13), which the documents
    // sandbox once refused as "not an INS" (soap:Sender), and the gateway then queued as if the DMP were down.
    [Fact]
    public async Task A_document_is_refused_in_French_before_qualification_then_sent_to_the_DMP_and_listed_with_its_state_and_attempts()
    {
        var page = await ui.SignedInPageAsync(GatewayServer.FrontDesk);
        await CreateAsync(page, "ADRTROIS", "TOUSSAINT", "M", "1960-01-01", "2B020");
        var id = IdentityId(page);

        await page.GetByRole(AriaRole.Link, new() { Name = "Documents partagés (DMP / Mon espace santé)" }).ClickAsync();
        await Expect(Title(page)).ToHaveTextAsync("Documents partagés (DMP / Mon espace santé)");
        await Expect(page.GetByText("Envoi impossible : seule une identité qualifiée (statut QUAL, avec son INS) peut alimenter le DMP.")).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Envoyer au DMP" })).ToHaveCountAsync(0);
        await Expect(page.GetByText("Aucun document envoyé pour cette identité.")).ToBeVisibleAsync();
        await ui.CheckScreenAsync(page, "documents-not-qualified");

        await page.GotoAsync($"/identites/{id}");
        await page.GetByRole(AriaRole.Button, new() { Name = "Interroger INSi" }).ClickAsync();
        await Expect(Title(page)).ToContainTextAsync("RECUP");
        await page.GetByLabel("Type de pièce", new() { Exact = true }).SelectOptionAsync("PA");
        await page.GetByLabel("Date d'expiration", new() { Exact = true }).FillAsync("2031-05-01");
        await page.GetByRole(AriaRole.Button, new() { Name = "Ajouter le justificatif" }).ClickAsync();
        await Expect(Title(page)).ToContainTextAsync("QUAL");
        var cda = await CdaForAsync(id);

        await page.GetByRole(AriaRole.Link, new() { Name = "Documents partagés (DMP / Mon espace santé)" }).ClickAsync();
        await page.GetByLabel("Document CDA R2 (fichier XML)").SetInputFilesAsync(cda);
        await page.GetByLabel("Transport").SelectOptionAsync("xds");
        await page.GetByRole(AriaRole.Button, new() { Name = "Envoyer au DMP" }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "Document accepté par le DMP" })).ToBeVisibleAsync();
        var table = page.GetByRole(AriaRole.Table, new() { Name = "Documents envoyés, du plus récent au plus ancien" });
        await Expect(table).ToContainTextAsync("Accepté");
        await Expect(table).ToContainTextAsync("DMP (XDS.b)");
        await Expect(table.Locator("td[data-label='Tentatives']")).ToHaveTextAsync("1");
        ui.Gateway.Documents.Handler.Store.All().Should().ContainSingle(d => d.Entry.PatientId.Contains("^^^&1.2.250.1.213.1.4.", StringComparison.Ordinal) && d.Content.Length == new FileInfo(cda).Length);

        // The same document again: refused in French, nothing sent twice.
        await page.GetByLabel("Document CDA R2 (fichier XML)").SetInputFilesAsync(cda);
        await page.GetByRole(AriaRole.Button, new() { Name = "Envoyer au DMP" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("Ce document a déjà été accepté par le DMP");
        ui.Gateway.Documents.Handler.Store.Count.Should().Be(1);

        // Over PDSm, another version of the document.
        var v2 = await CdaForAsync(id);
        await page.GetByLabel("Document CDA R2 (fichier XML)").SetInputFilesAsync(v2);
        await page.GetByLabel("Transport").SelectOptionAsync("pdsm");
        await page.GetByRole(AriaRole.Button, new() { Name = "Envoyer au DMP" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "Document accepté par le DMP" })).ToBeVisibleAsync();
        await Expect(table).ToContainTextAsync("PDSm (FHIR)");
        await ui.CheckScreenAsync(page, "documents");
        var text = await page.Locator("main").InnerTextAsync();
        text.Should().NotContainAny("accepted", "retrying", "rniv.", "document.");
        ui.NoBrowserErrors();
    }
}
