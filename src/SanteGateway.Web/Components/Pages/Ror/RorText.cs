using System.Globalization;

namespace SanteGateway.Web.Components.Pages.Ror;

/// <summary>French wording of the ROR screens.</summary>
internal static class RorText
{
    /// <summary>J187 nature of capacity; only the codes the ROR documentation names are labelled, others show their code.</summary>
    private static readonly Dictionary<string, string> CapacityTypes = new(StringComparer.Ordinal) { ["01"] = "Lits", ["02"] = "Places" };

    /// <summary>J188 status of capacity (same rule).</summary>
    private static readonly Dictionary<string, string> CapacityStatuses = new(StringComparer.Ordinal) { ["02"] = "disponibles" };

    /// <summary>Time in Paris time.</summary>
    public static string DateTime(DateTimeOffset? t) => Labels.DateTime(t);

    /// <summary>One capacity record: "Lits disponibles : 12 (au 01/12/2026 10:00)".</summary>
    public static string Capacity(RorCapacityFigure c)
    {
        ArgumentNullException.ThrowIfNull(c);
        var type = c.CapacityType is { } t && CapacityTypes.TryGetValue(t, out var tl) ? tl : "Capacité " + (c.CapacityType ?? "?");
        var status = c.CapacityStatus is { } s && CapacityStatuses.TryGetValue(s, out var sl) ? sl : "statut " + (c.CapacityStatus ?? "?");
        var count = c.Count?.ToString(CultureInfo.InvariantCulture) ?? "—";
        return $"{type} {status} : {count}" + (c.UpdatedAt is { } at ? $" (au {DateTime(at)})" : "");
    }

    /// <summary>Capacities on one line, or a dash.</summary>
    public static string Capacities(IReadOnlyList<RorCapacityFigure> capacities) =>
        capacities.Count == 0 ? "—" : string.Join(" · ", capacities.Select(Capacity));

    /// <summary>The use case's validation message in French (field named by its label).</summary>
    public static string Error(string error) => error.Split(':')[0] switch
    {
        "name" => "Nom : 100 caractères au plus.",
        "specialty" => "Spécialité : 100 caractères au plus.",
        "activity" => "Code d'activité : lettres et chiffres uniquement (nomenclature TRE_R211), 100 caractères au plus.",
        "commune" => "Commune : 100 caractères au plus.",
        _ => "Page de résultats invalide.",
    };

    /// <summary>Kinds of coded values.</summary>
    public static string Kind(string kind) => kind switch
    {
        "activity" => "Activité opérationnelle",
        "family" => "Famille d'activité",
        "type" => "Champ d'activité",
        "category" => "Type d'offre",
        "org-type" => "Type",
        "profession" => "Profession",
        "specialty" => "Savoir-faire",
        "location-type" => "Fonction du lieu",
        _ => kind,
    };
    /// <summary>J187 choices of the capacity form.</summary>
    public static readonly IReadOnlyList<(string Value, string Text)> CapacityTypeOptions = [("01", "Lits (01)"), ("02", "Places (02)")];

    /// <summary>J188 choices (codes 01 and 02 as the ROR documentation names them; the others by code).</summary>
    public static readonly IReadOnlyList<(string Value, string Text)> CapacityStatusOptions =
        [("01", "Installées (01)"), ("02", "Disponibles (02)"), ("03", "Statut 03"), ("04", "Statut 04"), ("05", "Statut 05")];

    /// <summary>J189 choices.</summary>
    public static readonly IReadOnlyList<(string Value, string Text)> TemporalityOptions = [("01", "Courante (01)"), ("02", "Temporalité 02")];

    /// <summary>J195 choices.</summary>
    public static readonly IReadOnlyList<(string Value, string Text)> AssignmentOptions = [("01", "Sans affectation temporaire (01)"), ("02", "Covid+ (02)"), ("03", "Affectation 03")];

    /// <summary>J190 choices (optional).</summary>
    public static readonly IReadOnlyList<(string Value, string Text)> GenderOptions = [("", "Non précisé"), ("01", "Genre 01"), ("02", "Indifférencié (02)"), ("03", "Genre 03")];

    /// <summary>A capacity field's refusal in French.</summary>
    public static string CapacityError(string field) => field switch
    {
        "count-required" => "Nombre de lits ou de places : obligatoire.",
        "count-number" => "Nombre de lits ou de places : un nombre entier sans signe ni espace (par exemple 12).",
        "count" => "Nombre de lits ou de places : entre 0 et 100 000.",
        "capacityType" => "Nature de la capacité : choisir une nature dans la liste (nomenclature J187).",
        "capacityStatus" => "Statut de la capacité : choisir un statut dans la liste (nomenclature J188).",
        "temporality" => "Temporalité : choisir une temporalité dans la liste (nomenclature J189).",
        "temporaryAssignment" => "Affectation temporaire : choisir une affectation dans la liste (nomenclature J195).",
        "gender" => "Genre : choisir un genre dans la liste ou « Non précisé » (nomenclature J190).",
        "egIdentifier" => "Établissement géographique : identifiant national absent ou invalide dans la copie locale.",
        "externalId" => "Identifiant de synchronisation du lieu : absent ou invalide dans la copie locale.",
        _ => "Champ invalide.",
    };

    /// <summary>The ROR's answer to a capacity figure, in French, with the alert to raise.</summary>
    public static string CapacityOutcome(RorCapacityChangeResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var diagnostics = result.Diagnostics is { Length: > 0 } d ? " Réponse du ROR : « " + d + " »" : "";
        return result.Outcome switch
        {
            RorCapacityChangeOutcome.Replaced => "Capacité mise à jour dans le ROR.",
            RorCapacityChangeOutcome.Added => "Capacité ajoutée dans le ROR (l'indicateur n'existait pas encore sur ce lieu).",
            RorCapacityChangeOutcome.LocationNotFound => "Le ROR ne connaît aucun lieu avec cet établissement et cet identifiant de synchronisation : prévenir le GRADeS." + diagnostics,
            RorCapacityChangeOutcome.MultipleMatches => "Plusieurs lieux du ROR portent cet identifiant de synchronisation : prévenir le GRADeS et l'établissement." + diagnostics,
            _ => "Le ROR a refusé ce chiffre (règle de gestion) : prévenir le GRADeS et l'établissement." + diagnostics,
        };
    }

    /// <summary>A failed call to the ROR, in French.</summary>
    public static string Unavailable(RorFailureKind kind) => kind switch
    {
        RorFailureKind.Authentication => "Le ROR a refusé l'authentification de la passerelle : rien n'a été envoyé. Prévenir l'administrateur.",
        RorFailureKind.Rejected => "Le ROR a refusé la demande : rien n'a été enregistré.",
        _ => "Le ROR ne répond pas : rien n'a été envoyé. Réessayer plus tard.",
    };
}
