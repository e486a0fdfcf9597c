using System.Globalization;

namespace SanteGateway.Web.Components.Pages.Ror;

/// <summary>French wording of the ROR screens (the sentences live in Resources/Texts.resx).</summary>
internal static class RorText
{
    /// <summary>Time in Paris time.</summary>
    public static string DateTime(DateTimeOffset? t) => Labels.DateTime(t);

    /// <summary>J187 nature of capacity; only the codes the ROR documentation names are labelled, others show their code.</summary>
    private static string CapacityType(string? code) => code switch
    {
        "01" => Texts.RorLits,
        "02" => Texts.RorPlaces,
        _ => string.Format(CultureInfo.InvariantCulture, Texts.RorCapaciteCode, code ?? "?"),
    };

    /// <summary>J188 status of capacity (same rule).</summary>
    private static string CapacityStatus(string? code) => code switch
    {
        "02" => Texts.RorDisponibles,
        _ => string.Format(CultureInfo.InvariantCulture, Texts.RorStatutCode, code ?? "?"),
    };

    /// <summary>One capacity record: "Lits disponibles : 12 (au 01/12/2026 10:00)".</summary>
    public static string Capacity(RorCapacityFigure c)
    {
        ArgumentNullException.ThrowIfNull(c);
        var count = c.Count?.ToString(CultureInfo.InvariantCulture) ?? "—";
        return c.UpdatedAt is { } at
            ? string.Format(CultureInfo.InvariantCulture, Texts.RorCapaciteAuDate, CapacityType(c.CapacityType), CapacityStatus(c.CapacityStatus), count, DateTime(at))
            : string.Format(CultureInfo.InvariantCulture, Texts.RorCapacite, CapacityType(c.CapacityType), CapacityStatus(c.CapacityStatus), count);
    }

    /// <summary>Capacities on one line, or a dash.</summary>
    public static string Capacities(IReadOnlyList<RorCapacityFigure> capacities) =>
        capacities.Count == 0 ? "—" : string.Join(" · ", capacities.Select(Capacity));

    /// <summary>The use case's validation message in French (field named by its label).</summary>
    public static string Error(string error) => error.Split(':')[0] switch
    {
        "name" => Texts.RorNom100CaracteresAuPlus,
        "specialty" => Texts.RorSpecialite100CaracteresAuPlus,
        "activity" => Texts.RorCodeDActiviteLettresEt,
        "commune" => Texts.RorCommune100CaracteresAuPlus,
        _ => Texts.RorPageDeResultatsInvalide,
    };

    /// <summary>Kinds of coded values.</summary>
    public static string Kind(string kind) => kind switch
    {
        "activity" => Texts.RorActiviteOperationnelle,
        "family" => Texts.RorFamilleDActivite,
        "type" => Texts.RorChampDActivite,
        "category" => Texts.RorTypeDOffre,
        "org-type" => Texts.RorType,
        "profession" => Texts.RorProfession,
        "specialty" => Texts.RorSavoirfaire,
        "location-type" => Texts.RorFonctionDuLieu,
        _ => kind,
    };

    /// <summary>J187 choices of the capacity form.</summary>
    public static IReadOnlyList<(string Value, string Text)> CapacityTypeOptions => [("01", Texts.RorLits01), ("02", Texts.RorPlaces02)];

    /// <summary>J188 choices (codes 01 and 02 as the ROR documentation names them; the others by code).</summary>
    public static IReadOnlyList<(string Value, string Text)> CapacityStatusOptions =>
        [("01", Texts.RorInstallees01), ("02", Texts.RorDisponibles02), ("03", Coded(Texts.RorStatut, "03")), ("04", Coded(Texts.RorStatut, "04")), ("05", Coded(Texts.RorStatut, "05"))];

    /// <summary>J189 choices.</summary>
    public static IReadOnlyList<(string Value, string Text)> TemporalityOptions => [("01", Texts.RorCourante01), ("02", Coded(Texts.RorTemporalite, "02"))];

    /// <summary>J195 choices.</summary>
    public static IReadOnlyList<(string Value, string Text)> AssignmentOptions =>
        [("01", Texts.RorSansAffectationTemporaire01), ("02", Texts.RorCovid02), ("03", Coded(Texts.RorAffectation, "03"))];

    /// <summary>J190 choices (optional).</summary>
    public static IReadOnlyList<(string Value, string Text)> GenderOptions =>
        [("", Texts.RorNonPrecise), ("01", Coded(Texts.RorGenre, "01")), ("02", Texts.RorIndifferencie02), ("03", Coded(Texts.RorGenre, "03"))];

    private static string Coded(string format, string code) => string.Format(CultureInfo.InvariantCulture, format, code);

    /// <summary>A capacity field's refusal in French.</summary>
    public static string CapacityError(string field) => field switch
    {
        "count-required" => Texts.RorNombreDeLitsOuDe,
        "count-number" => Texts.RorNombreDeLitsOuDePlaces,
        "count" => Texts.RorNombreDeLitsOuDePlacesEntre,
        "capacityType" => Texts.RorNatureDeLaCapaciteChoisir,
        "capacityStatus" => Texts.RorStatutDeLaCapaciteChoisir,
        "temporality" => Texts.RorTemporaliteChoisirUneTemporaliteDans,
        "temporaryAssignment" => Texts.RorAffectationTemporaireChoisirUneAffectation,
        "gender" => Texts.RorGenreChoisirUnGenreDans,
        "egIdentifier" => Texts.RorEtablissementGeographiqueIdentifiantNationalAbsent,
        "externalId" => Texts.RorIdentifiantDeSynchronisationDuLieu,
        _ => Texts.RorChampInvalide,
    };

    /// <summary>The ROR's answer to a capacity figure, in French, with the alert to raise.</summary>
    public static string CapacityOutcome(RorCapacityChangeResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var diagnostics = result.Diagnostics is { Length: > 0 } d ? string.Format(CultureInfo.InvariantCulture, Texts.RorReponseDuRor, d) : "";
        return result.Outcome switch
        {
            RorCapacityChangeOutcome.Replaced => Texts.RorCapaciteMiseAJourDans,
            RorCapacityChangeOutcome.Added => Texts.RorCapaciteAjouteeDansLeRor,
            RorCapacityChangeOutcome.LocationNotFound => Texts.RorLeRorNeConnaitAucun + diagnostics,
            RorCapacityChangeOutcome.MultipleMatches => Texts.RorPlusieursLieuxDuRorPortent + diagnostics,
            _ => Texts.RorLeRorARefuseCe + diagnostics,
        };
    }

    /// <summary>A failed call to the ROR, in French.</summary>
    public static string Unavailable(RorFailureKind kind) => kind switch
    {
        RorFailureKind.Authentication => Texts.RorLeRorARefuseL,
        RorFailureKind.Rejected => Texts.RorLeRorARefuseLa,
        _ => Texts.RorLeRorNeRepondPas,
    };
}
