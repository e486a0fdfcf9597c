namespace SanteGateway.Web;

/// <summary>French words for the codes of batch jobs, the inbound gate and certificates (kept apart from <see cref="Labels"/>).</summary>
public static class OperationLabels
{
    /// <summary>Batch job kind → French.</summary>
    public static readonly IReadOnlyDictionary<string, string> JobKinds = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["verify"] = "Vérification d'INS",
        ["search"] = "Recherche d'INS",
    };

    /// <summary>Batch job source → French.</summary>
    public static readonly IReadOnlyDictionary<string, string> JobSources = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["store"] = "Identités de la base",
        ["csv"] = "Fichier CSV",
    };

    /// <summary>Batch job status → French.</summary>
    public static readonly IReadOnlyDictionary<string, string> JobStatuses = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["running"] = "En cours",
        ["paused"] = "En pause",
        ["cancelled"] = "Annulé",
        ["done"] = "Terminé",
    };

    /// <summary>Batch item outcome → French.</summary>
    public static readonly IReadOnlyDictionary<string, string> JobOutcomes = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["confirmed"] = "Confirmés",
        ["replaced"] = "INS remplacés",
        ["mismatch"] = "Traits discordants",
        ["not-found"] = "Non trouvés",
        ["ambiguous"] = "Ambigus",
        ["input-refused"] = "Lignes refusées",
        ["service-error"] = "Erreurs du téléservice",
    };

    /// <summary>Inbound item state → French.</summary>
    public static readonly IReadOnlyDictionary<string, string> InboundStates = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["received"] = "Reçu, décision en attente",
        ["decided"] = "Décidé",
        ["held"] = "En attente de revue",
        ["resolved"] = "Revu",
    };

    /// <summary>Inbound decision → French.</summary>
    public static readonly IReadOnlyDictionary<string, string> InboundDecisions = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["attach"] = "Rattaché",
        ["create"] = "Identité créée",
        ["hold"] = "Retenu pour revue",
        ["reject"] = "Rejeté",
    };

    /// <summary>Certificate state → French.</summary>
    public static readonly IReadOnlyDictionary<string, string> CertificateStates = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["ok"] = "Valide",
        ["expiring"] = "Expire bientôt",
        ["expired"] = "Expiré",
        ["invalid"] = "Non conforme",
        ["unreadable"] = "Illisible",
    };

    /// <summary>Certificate use in French.</summary>
    /// <param name="use">The use.</param>
    /// <returns>The words.</returns>
    public static string Use(CertificateUse use) => use switch
    {
        CertificateUse.InsiAutomatic => "INSi, appels automatiques (INSI-AUTO)",
        CertificateUse.InsiManual => "INSi, appels par un utilisateur (INSI-MANU)",
        CertificateUse.OrganisationClient => "ROR et DMP (ORG AUTH_CLI)",
        CertificateUse.ServerTls => "HTTPS de la passerelle (interface web, API)",
        _ => "Usage non reconnu",
    };

    /// <summary>Finding severity in French.</summary>
    /// <param name="severity">The severity.</param>
    /// <returns>The words.</returns>
    public static string Severity(CertificateSeverity severity) => severity switch
    {
        CertificateSeverity.Ok => "Conforme",
        CertificateSeverity.Info => "Information",
        CertificateSeverity.Warning => "Avertissement",
        _ => "Erreur",
    };

    /// <summary>Certificate environment in French.</summary>
    /// <param name="environment">test, production or unknown.</param>
    /// <returns>The words.</returns>
    public static string Environment(string environment) => environment switch
    {
        "test" => "Test",
        "production" => "Production",
        _ => "Inconnu",
    };

    /// <summary>Inbound gate rule → French reason.</summary>
    public static readonly IReadOnlyDictionary<string, string> InboundRules = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["inbound.create-refused"] = "Aucune identité locale ne correspond et le partenaire n'autorise pas la création",
        ["inbound.created-provisional"] = "Identité provisoire créée (le partenaire l'autorise)",
        ["inbound.decision-pending"] = "Décision en attente",
        ["inbound.homonym"] = "Homonymes : plusieurs identités locales portent ces traits",
        ["inbound.identity-gone"] = "L'identité rattachée n'existe plus",
        ["inbound.ins-collision"] = "Collision d'INS : l'INS reçu est porté par une autre identité",
        ["inbound.ins-contradicts"] = "L'INS reçu contredit l'identité trouvée",
        ["inbound.ins-in-history"] = "L'INS reçu figure dans l'historique d'une identité locale",
        ["inbound.ins-invalid"] = "INS reçu invalide ou refusé dans cet environnement",
        ["inbound.insi-not-confirmed"] = "INSi n'a pas confirmé l'INS reçu",
        ["inbound.insi-unavailable"] = "Le téléservice INSi n'a pas pu vérifier l'INS reçu",
        ["inbound.insi-verify"] = "INS reçu vérifié auprès d'INSi",
        ["inbound.matched-ins"] = "Rattaché par l'INS",
        ["inbound.matched-partner-id"] = "Rattaché par l'identifiant du partenaire",
        ["inbound.matched-traits"] = "Rattaché par les traits stricts",
        ["inbound.no-match"] = "Aucune identité locale ne correspond",
        ["inbound.no-patient"] = "Aucun patient lisible dans le message",
        ["inbound.partner-disabled"] = "Partenaire désactivé",
        ["inbound.partner-id-conflict"] = "L'identifiant du partenaire désigne une autre identité",
        ["inbound.potential-duplicates"] = "Doublons potentiels parmi les identités locales",
        ["inbound.review-attach"] = "Rattaché par l'identitovigilance",
        ["inbound.review-create"] = "Identité créée par l'identitovigilance",
        ["inbound.review-reject"] = "Rejeté par l'identitovigilance",
        ["inbound.several-candidates"] = "Plusieurs identités candidates",
        ["inbound.too-large"] = "Message trop volumineux",
        ["inbound.traits-contradict"] = "Les traits reçus se contredisent",
        ["inbound.traits-contradict-ins"] = "Les traits reçus contredisent l'identité qui porte l'INS",
        ["inbound.traits-unusable"] = "Traits reçus incomplets",
        ["inbound.unknown-partner"] = "Partenaire inconnu",
    };

    /// <summary>An inbound rule in French, else the gate's own reason.</summary>
    /// <param name="rule">Rule code.</param>
    /// <param name="reason">The gate's reason.</param>
    /// <returns>The words.</returns>
    public static string InboundRule(string? rule, string? reason) =>
        rule is not null && InboundRules.TryGetValue(rule, out var words) ? words : reason ?? rule ?? "—";
}
