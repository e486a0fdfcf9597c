using System.Globalization;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Http;

namespace SanteGateway.Web.Components.Pages.Documents;

/// <summary>
/// Documents shared with the DMP / Mon espace santé for one identity: the submissions with their state and attempts,
/// sending a CDA (qualified identities only; the application layer applies every rule anyway) and re-sending a
/// failed, queued or refused submission.
/// </summary>
public partial class DocumentsPage
{
    private static readonly Dictionary<string, string> Rules = new(StringComparer.Ordinal)
    {
        ["rniv.not-qualified"] = Texts.DocumentsEnvoiRefuseSeuleUneIdentite,
        ["document.ins-mismatch"] = Texts.DocumentsEnvoiRefuseLInsPorte,
        ["document.ins-missing"] = Texts.DocumentsEnvoiRefuseLEnteteDu,
        ["document.ins-invalid"] = Texts.DocumentsEnvoiRefuseLInsDu,
        ["document.traits-mismatch"] = Texts.DocumentsEnvoiRefuseLesTraitsStricts,
        ["document.traits-missing"] = Texts.DocumentsEnvoiRefuseLEnteteDuDocument,
        ["document.test-ins-to-production"] = Texts.DocumentsEnvoiRefuseUnInsDe,
        ["document.metadata-missing"] = Texts.DocumentsEnvoiRefuseDesMetadonneesManquent,
        ["document.authenticator-unsupported"] = Texts.DocumentsEnvoiRefuseResponsablePatient,
        ["document.cda-unreadable"] = Texts.DocumentsEnvoiRefuseLeFichierN,
        ["document.cda-header"] = Texts.DocumentsEnvoiRefuseLEnteteCda,
        ["document.empty"] = Texts.DocumentsChoisissezUnFichierCdaA,
        ["document.size"] = Texts.DocumentsLeDocumentEstTropVolumineux,
        ["document.already-shared"] = Texts.DocumentsCeDocumentADejaEte,
        ["document.in-progress"] = Texts.DocumentsCeDocumentEstEnCours,
        ["document.unique-id-taken"] = Texts.DocumentsCetIdentifiantDeDocumentA,
        ["document.replaced-unknown"] = Texts.DocumentsAucunDocumentAccepteAvecCet,
        ["dmp.none"] = Texts.DocumentsEnvoiRefuseLePatientN,
        ["dmp.closed"] = Texts.DocumentsEnvoiRefuseLeDmpDu,
        ["dmp.patient-opposed"] = Texts.DocumentsEnvoiRefuseLePatientS,
        ["dmp.status-refused"] = Texts.DocumentsEnvoiRefuseLeServiceDmp,
        ["registry.refused"] = Texts.DocumentsLeDmpARefuseLe,
        ["registry.unavailable"] = Texts.DocumentsLeDocumentNAPas,
        ["documents.not-configured"] = Texts.DocumentsAucuneCibleDePartageDeDocuments,
        ["documents.transport-unknown"] = Texts.DocumentsCeTransportNEstPas,
        ["identity.merged"] = Texts.DocumentsCetteIdentiteAEteFusionnee,
    };

    private IdentityView? identity;
    private IReadOnlyList<DocumentSubmissionView> submissions = [];
    private string? message;
    private string messageKind = "success";
    private List<string> details = [];

    /// <summary>Identity id.</summary>
    [Parameter]
    public Guid Id { get; set; }

    [CascadingParameter]
    private HttpContext HttpContext { get; set; } = null!;

    private StaffUser User => new(HttpContext.User);

    private bool Qualified => identity is { CanTransmitIns: true, Ins: not null, MergedInto: null };

    private static string TransportLabel(string transport) => transport switch
    {
        "xds" => "DMP (XDS.b)",
        "pdsm" => "PDSm (FHIR)",
        _ => string.Format(CultureInfo.InvariantCulture, Texts.LabelsAutre, transport),
    };

    private static string StateLabel(string state) => state switch
    {
        "accepted" => Texts.DocumentsAccepte,
        "refused" => Texts.DocumentsRefuse,
        "retrying" => Texts.DocumentsNouvelEssaiPrevu,
        "sending" => Texts.DocumentsEnvoiEnCours,
        "failed" => Texts.DocumentsEchecARenvoyer,
        _ => string.Format(CultureInfo.InvariantCulture, Texts.LabelsAutre, state),
    };

    private static string Local(DateTimeOffset t) => t.ToLocalTime().ToString("dd/MM/yyyy HH:mm", CultureInfo.GetCultureInfo("fr-FR"));

    /// <inheritdoc />
    protected override Task OnInitializedAsync() => LoadAsync();

    private async Task LoadAsync()
    {
        var ct = HttpContext.RequestAborted;
        identity = (await Identities.GetAsync(Id, ct)).Value;
        if (identity is not null)
        {
            submissions = (await Sharing.ListAsync(Id, ct)).Value ?? [];
        }
    }

    private async Task SendAsync()
    {
        var form = await HttpContext.Request.ReadFormAsync();
        var file = form.Files.GetFile("cda");
        byte[] content = [];
        if (file is { Length: > 0 })
        {
            using var ms = new MemoryStream();
            await file.CopyToAsync(ms, HttpContext.RequestAborted);
            content = ms.ToArray();
        }

        var replaces = form["replaces"].ToString();
        var request = new SendDocumentRequest(content, form["transport"].ToString(), string.IsNullOrWhiteSpace(replaces) ? null : replaces.Trim());
        Show(await Sharing.SendAsync(Id, request, User.Actor, HttpContext.RequestAborted));
        await LoadAsync();
    }

    private async Task ResendAsync(Guid submissionId)
    {
        Show(await Sharing.ResendAsync(submissionId, User.Actor, HttpContext.RequestAborted));
        await LoadAsync();
    }

    private void Show(Result<DocumentSubmissionView> r)
    {
        details = [];
        if (r.IsSuccess)
        {
            var v = r.Value!;
            messageKind = v.State == "accepted" ? "success" : "warning";
            message = v.State == "accepted"
                ? string.Format(CultureInfo.InvariantCulture, Texts.DocumentsDocumentAccepteParLeDmp, v.DocumentUniqueId)
                : string.Format(CultureInfo.InvariantCulture, Texts.DocumentsLeDmpNAPas, v.NextAttemptAt is { } n ? Local(n) : "—");
            return;
        }

        var e = r.Error!;
        messageKind = "error";
        message = Rules.TryGetValue(e.Rule, out var text) ? text : string.Format(CultureInfo.InvariantCulture, Texts.DocumentsEnvoiRefuseRegle, e.Rule);
        foreach (var (field, messages) in e.Fields ?? new Dictionary<string, string[]>())
        {
            details.Add($"{field} : {string.Join(" ", messages)}");
        }

        if (e.Rule is "registry.refused" or "dmp.status-refused" && e.Data?.GetValueOrDefault("errors") is IEnumerable<ShareError> errors)
        {
            details.AddRange(errors.Select(x => $"{x.Code} : {x.Context}"));
        }
    }
}
