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
}
