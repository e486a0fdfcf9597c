namespace SanteGateway.Web;

/// <summary>French words for the codes of batch jobs, the inbound gate and certificates (kept apart from <see cref="Labels"/>).</summary>
public static class OperationLabels
{
    /// <summary>Batch job kind → French.</summary>
    public static readonly IReadOnlyDictionary<string, string> JobKinds = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["verify"] = Texts.OperationLabelsVerificationDIns,
        ["search"] = Texts.OperationLabelsRechercheDIns,
    };

    /// <summary>Batch job source → French.</summary>
    public static readonly IReadOnlyDictionary<string, string> JobSources = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["store"] = Texts.OperationLabelsIdentitesDeLaBase,
        ["csv"] = Texts.OperationLabelsFichierCsv,
    };

    /// <summary>Batch job status → French.</summary>
    public static readonly IReadOnlyDictionary<string, string> JobStatuses = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["running"] = Texts.OperationLabelsEnCours,
        ["paused"] = Texts.OperationLabelsEnPause,
        ["cancelled"] = Texts.OperationLabelsAnnule,
        ["done"] = Texts.OperationLabelsTermine,
    };

    /// <summary>Batch item outcome → French.</summary>
    public static readonly IReadOnlyDictionary<string, string> JobOutcomes = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["confirmed"] = Texts.OperationLabelsConfirmes,
        ["replaced"] = Texts.OperationLabelsInsRemplaces,
        ["mismatch"] = Texts.OperationLabelsTraitsDiscordants,
        ["not-found"] = Texts.OperationLabelsNonTrouves,
        ["ambiguous"] = Texts.OperationLabelsAmbigus,
        ["input-refused"] = Texts.OperationLabelsLignesRefusees,
        ["service-error"] = Texts.OperationLabelsErreursDuTeleservice,
    };

    /// <summary>Inbound item state → French.</summary>
    public static readonly IReadOnlyDictionary<string, string> InboundStates = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["received"] = Texts.OperationLabelsRecuDecisionEnAttente,
        ["decided"] = Texts.OperationLabelsDecide,
        ["held"] = Texts.OperationLabelsEnAttenteDeRevue,
        ["resolved"] = Texts.OperationLabelsRevu,
    };

    /// <summary>Inbound decision → French.</summary>
    public static readonly IReadOnlyDictionary<string, string> InboundDecisions = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["attach"] = Texts.OperationLabelsRattache,
        ["create"] = Texts.OperationLabelsIdentiteCreee,
        ["hold"] = Texts.OperationLabelsRetenuPourRevue,
        ["reject"] = Texts.OperationLabelsRejete,
    };

    /// <summary>Certificate state → French.</summary>
    public static readonly IReadOnlyDictionary<string, string> CertificateStates = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["ok"] = Texts.OperationLabelsValide,
        ["expiring"] = Texts.OperationLabelsExpireBientot,
        ["expired"] = Texts.OperationLabelsExpire,
        ["invalid"] = Texts.OperationLabelsNonConforme,
        ["unreadable"] = Texts.OperationLabelsIllisible,
    };

    /// <summary>Certificate use in French.</summary>
    /// <param name="use">The use.</param>
    /// <returns>The words.</returns>
    public static string Use(CertificateUse use) => use switch
    {
        CertificateUse.InsiAutomatic => Texts.OperationLabelsInsiAppelsAutomatiquesInsiauto,
        CertificateUse.InsiManual => Texts.OperationLabelsInsiAppelsParUnUtilisateur,
        CertificateUse.OrganisationClient => Texts.OperationLabelsRorEtDmpOrgAuth,
        CertificateUse.ServerTls => Texts.OperationLabelsHttpsDeLaPasserelle,
        _ => Texts.OperationLabelsUsageNonReconnu,
    };

    /// <summary>Finding severity in French.</summary>
    /// <param name="severity">The severity.</param>
    /// <returns>The words.</returns>
    public static string Severity(CertificateSeverity severity) => severity switch
    {
        CertificateSeverity.Ok => Texts.OperationLabelsConforme,
        CertificateSeverity.Info => Texts.OperationLabelsInformation,
        CertificateSeverity.Warning => Texts.OperationLabelsAvertissement,
        _ => Texts.OperationLabelsErreur,
    };

    /// <summary>Certificate environment in French.</summary>
    /// <param name="environment">test, production or unknown.</param>
    /// <returns>The words.</returns>
    public static string Environment(string environment) => environment switch
    {
        "test" => Texts.OperationLabelsTest,
        "production" => Texts.OperationLabelsProduction,
        _ => Texts.OperationLabelsInconnu,
    };

    /// <summary>Inbound gate rule → French reason.</summary>
    public static readonly IReadOnlyDictionary<string, string> InboundRules = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["inbound.create-refused"] = Texts.OperationLabelsAucuneIdentiteLocaleNeCorrespond,
        ["inbound.created-provisional"] = Texts.OperationLabelsIdentiteProvisoireCreeeLePartenaire,
        ["inbound.decision-pending"] = Texts.OperationLabelsDecisionEnAttente,
        ["inbound.homonym"] = Texts.OperationLabelsHomonymesPlusieursIdentitesLocalesPortent,
        ["inbound.identity-gone"] = Texts.OperationLabelsLIdentiteRattacheeNExiste,
        ["inbound.ins-collision"] = Texts.OperationLabelsCollisionDInsLIns,
        ["inbound.ins-contradicts"] = Texts.OperationLabelsLInsRecuContreditL,
        ["inbound.ins-in-history"] = Texts.OperationLabelsLInsRecuFigureDans,
        ["inbound.ins-invalid"] = Texts.OperationLabelsInsRecuInvalideOuRefuse,
        ["inbound.insi-not-confirmed"] = Texts.OperationLabelsInsiNAPasConfirme,
        ["inbound.insi-unavailable"] = Texts.OperationLabelsLeTeleserviceInsiNA,
        ["inbound.insi-verify"] = Texts.OperationLabelsInsRecuVerifieAupresD,
        ["inbound.matched-ins"] = Texts.OperationLabelsRattacheParLIns,
        ["inbound.matched-partner-id"] = Texts.OperationLabelsRattacheParLIdentifiantDu,
        ["inbound.matched-traits"] = Texts.OperationLabelsRattacheParLesTraitsStricts,
        ["inbound.no-match"] = Texts.OperationLabelsAucuneIdentiteLocaleCorrespondante,
        ["inbound.no-patient"] = Texts.OperationLabelsAucunPatientLisibleDansLe,
        ["inbound.partner-disabled"] = Texts.OperationLabelsPartenaireDesactive,
        ["inbound.partner-id-conflict"] = Texts.OperationLabelsLIdentifiantDuPartenaireDesigne,
        ["inbound.potential-duplicates"] = Texts.OperationLabelsDoublonsPotentielsParmiLesIdentites,
        ["inbound.review-attach"] = Texts.OperationLabelsRattacheParLIdentitovigilance,
        ["inbound.review-create"] = Texts.OperationLabelsIdentiteCreeeParLIdentitovigilance,
        ["inbound.review-reject"] = Texts.OperationLabelsRejeteParLIdentitovigilance,
        ["inbound.several-candidates"] = Texts.OperationLabelsPlusieursIdentitesCandidates,
        ["inbound.too-large"] = Texts.OperationLabelsMessageTropVolumineux,
        ["inbound.traits-contradict"] = Texts.OperationLabelsLesTraitsRecusSeContredisent,
        ["inbound.traits-contradict-ins"] = Texts.OperationLabelsLesTraitsRecusContredisentL,
        ["inbound.traits-unusable"] = Texts.OperationLabelsTraitsRecusIncomplets,
        ["inbound.unknown-partner"] = Texts.OperationLabelsPartenaireInconnu,
    };

    /// <summary>An inbound rule in French, else the gate's own reason.</summary>
    /// <param name="rule">Rule code.</param>
    /// <param name="reason">The gate's reason.</param>
    /// <returns>The words.</returns>
    public static string InboundRule(string? rule, string? reason) =>
        rule is not null && InboundRules.TryGetValue(rule, out var words) ? words
        // The HL7 reader's rules (no-msh, segment, encoding…): its English message stays out of the French screens.
        : rule is not null && rule.StartsWith("hl7.", StringComparison.Ordinal) ? string.Format(System.Globalization.CultureInfo.InvariantCulture, Texts.OperationLabelsMessageHl7IllisibleRegle, rule["hl7.".Length..])
        : reason ?? rule ?? "—";
}
