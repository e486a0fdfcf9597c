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
        ["rniv.not-qualified"] = "Envoi refusé : seule une identité qualifiée (QUAL) avec son INS peut alimenter le DMP.",
        ["document.ins-mismatch"] = "Envoi refusé : l'INS porté par le document n'est pas celui de cette identité.",
        ["document.ins-missing"] = "Envoi refusé : l'en-tête du document ne porte pas d'INS.",
        ["document.ins-invalid"] = "Envoi refusé : l'INS du document n'est pas valide (clé de contrôle).",
        ["document.traits-mismatch"] = "Envoi refusé : les traits stricts du document diffèrent de ceux de l'identité.",
        ["document.traits-missing"] = "Envoi refusé : l'en-tête du document ne porte pas les traits stricts du patient.",
        ["document.test-ins-to-production"] = "Envoi refusé : un INS de test ou de démonstration n'est jamais envoyé vers le DMP de production.",
        ["document.metadata-missing"] = "Envoi refusé : des métadonnées manquent (configuration de la structure ou en-tête du document).",
        ["document.authenticator-unsupported"] = "Envoi refusé : le responsable du document est le patient lui-même ; PDSm n'accepte qu'un professionnel ou une structure. Envoyez ce document par XDS.b.",
        ["document.cda-unreadable"] = "Envoi refusé : le fichier n'est pas un document CDA R2 lisible.",
        ["document.cda-header"] = "Envoi refusé : l'en-tête CDA est incomplet.",
        ["document.empty"] = "Choisissez un fichier CDA à envoyer.",
        ["document.size"] = "Le document est trop volumineux.",
        ["document.already-shared"] = "Ce document a déjà été accepté par le DMP ; une nouvelle version doit avoir un nouvel identifiant et remplacer l'ancienne.",
        ["document.in-progress"] = "Ce document est en cours d'envoi ; rechargez la page dans un instant.",
        ["document.unique-id-taken"] = "Cet identifiant de document a déjà été envoyé pour une autre identité.",
        ["document.replaced-unknown"] = "Aucun document accepté avec cet identifiant n'a été envoyé pour cette identité.",
        ["dmp.none"] = "Envoi refusé : le patient n'a pas de DMP.",
        ["dmp.closed"] = "Envoi refusé : le DMP du patient est fermé.",
        ["dmp.patient-opposed"] = "Envoi refusé : le patient s'est opposé à l'alimentation de son DMP.",
        ["dmp.status-refused"] = "Envoi refusé : le service DMP a rejeté la demande d'état du DMP de ce patient. Ce refus est définitif tant que la requête reste la même (VIHF, certificat ou identifiant patient à corriger) : le document n'est pas mis en file d'attente.",
        ["registry.refused"] = "Le DMP a refusé le document.",
        ["registry.unavailable"] = "Le document n'a pas pu être remis au DMP après toutes les tentatives ; vous pouvez le renvoyer.",
        ["documents.not-configured"] = "Aucune cible de partage de documents n'est configurée.",
        ["documents.transport-unknown"] = "Ce transport n'est pas configuré.",
        ["identity.merged"] = "Cette identité a été fusionnée dans une autre : envoyez le document à l'identité conservée.",
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
        _ => $"Autre ({transport})",
    };

    private static string StateLabel(string state) => state switch
    {
        "accepted" => "Accepté",
        "refused" => "Refusé",
        "retrying" => "Nouvel essai prévu",
        "sending" => "Envoi en cours",
        "failed" => "Échec (à renvoyer)",
        _ => $"Autre ({state})",
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
                ? $"Document accepté par le DMP ({v.DocumentUniqueId})."
                : $"Le DMP n'a pas répondu : le document est en file d'attente, nouvel essai prévu le {(v.NextAttemptAt is { } n ? Local(n) : "—")}.";
            return;
        }

        var e = r.Error!;
        messageKind = "error";
        message = Rules.TryGetValue(e.Rule, out var text) ? text : $"Envoi refusé (règle {e.Rule}).";
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
