using System.Globalization;

namespace SanteGateway.Web;

/// <summary>
/// The French words for every code the gateway uses: statuses, attributes, documents, channels, roles, INSi answers,
/// audit actions, worklists, and the rules of refusals. A code without a known wording is shown as a generic French
/// sentence, never as the code itself.
/// </summary>
public static class Labels
{
    private static readonly CultureInfo Fr = CultureInfo.GetCultureInfo("fr-FR");

    /// <summary>Status → short French name.</summary>
    public static readonly IReadOnlyDictionary<string, string> Status = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["PROV"] = Texts.LabelsProvisoire,
        ["RECUP"] = Texts.LabelsRecuperee,
        ["VALI"] = Texts.LabelsValidee,
        ["QUAL"] = Texts.LabelsQualifiee,
    };

    /// <summary>Status → what it means for the user.</summary>
    public static readonly IReadOnlyDictionary<string, string> StatusMeaning = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["PROV"] = Texts.LabelsIdentiteProvisoireNiInsRecupere,
        ["RECUP"] = Texts.LabelsIdentiteRecupereeInsObtenuPar,
        ["VALI"] = Texts.LabelsIdentiteValideePieceAHaut,
        ["QUAL"] = Texts.LabelsIdentiteQualifieeInsRecupereEt,
    };

    /// <summary>Attribute code → French.</summary>
    public static readonly IReadOnlyDictionary<string, string> Attributes = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["HOMA"] = Texts.LabelsHomonyme,
        ["DOUT"] = Texts.LabelsDouteuse,
        ["FICT"] = Texts.LabelsFictive,
    };

    /// <summary>Sex code → French.</summary>
    public static readonly IReadOnlyDictionary<string, string> Sex = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["F"] = Texts.LabelsFeminin,
        ["M"] = Texts.LabelsMasculin,
        ["U"] = Texts.LabelsIndetermine,
    };

    /// <summary>Collection channel → French.</summary>
    public static readonly IReadOnlyDictionary<string, string> Channels = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["SM"] = Texts.LabelsSaisieManuelle,
        ["CV"] = Texts.LabelsCarteVitale,
        ["CB"] = Texts.LabelsCodebarresDatamatrixIns,
        ["RFID"] = Texts.LabelsPuceSansContact,
        ["AV"] = Texts.LabelsApplicationCarteVitale,
        ["INSI"] = Texts.LabelsTeleserviceInsi,
    };

    /// <summary>Document type → French.</summary>
    public static readonly IReadOnlyDictionary<string, string> Documents = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["CN"] = Texts.LabelsCarteNationaleDIdentite,
        ["PA"] = Texts.LabelsPasseport,
        ["CS"] = Texts.LabelsTitreDeSejour,
        ["ECN"] = Texts.LabelsCarteNationaleDIdentiteElectronique,
        ["IN"] = Texts.LabelsIdentiteNumeriqueLaPoste,
        ["AV"] = Texts.LabelsApplicationCarteVitale,
        ["LECV"] = Texts.LabelsLivretDeFamilleEtCarte,
        ["ANCV"] = Texts.LabelsActeDeNaissanceEtCarte,
        ["IE"] = Texts.LabelsMoyenDIdentificationElectroniqueEidas,
        ["AN"] = Texts.LabelsActeDeNaissance,
        ["LE"] = Texts.LabelsLivretDeFamille,
        ["CC"] = Texts.LabelsCarteConsulaire,
        ["CE"] = Texts.LabelsCarteDEtudiant,
        ["CM"] = Texts.LabelsCarteMilitaire,
        ["PC"] = Texts.LabelsPermisDeConduire,
        ["TC"] = Texts.LabelsTitreDeCirculation,
        ["DC"] = Texts.LabelsDocumentDeCirculationPourEtranger,
        ["AC"] = Texts.LabelsAutreDocument,
    };

    /// <summary>Role → French.</summary>
    public static readonly IReadOnlyDictionary<string, string> Roles = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [StaffRoles.FrontDesk] = Texts.LabelsAccueil,
        [StaffRoles.IdentityVigilance] = Texts.LabelsIdentitovigilance,
        [StaffRoles.Admin] = Texts.LabelsAdministration,
        [StaffRoles.InboundReviewer] = Texts.LabelsRelectureDesFluxEntrants,
    };

    /// <summary>Field name → French label.</summary>
    public static readonly IReadOnlyDictionary<string, string> Fields = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["birthName"] = Texts.LabelsNomDeNaissance,
        ["birthFirstNames"] = Texts.LabelsPrenomSDeNaissance,
        ["firstFirstName"] = Texts.LabelsPremierPrenomDeNaissance,
        ["sex"] = Texts.LabelsSexe,
        ["birthDate"] = Texts.LabelsDateDeNaissance,
        ["birthPlaceCog"] = Texts.LabelsLieuDeNaissanceCodeCog,
        ["usedName"] = Texts.LabelsNomUtilise,
        ["usedFirstName"] = Texts.LabelsPrenomUtilise,
        ["collectionChannel"] = Texts.LabelsModeDeRecueil,
        ["documentType"] = Texts.LabelsTypeDePiece,
        ["checkedOn"] = Texts.LabelsDateDuControle,
        ["expiresOn"] = Texts.LabelsDateDExpiration,
        ["reason"] = Texts.LabelsMotif,
        ["ins"] = Texts.LabelsIns,
        ["userName"] = Texts.LabelsIdentifiant,
        ["password"] = Texts.LabelsMotDePasse,
        ["name"] = Texts.LabelsNom,
        ["roles"] = Texts.LabelsRoles,
    };

    /// <summary>INSi outcome → French.</summary>
    public static readonly IReadOnlyDictionary<string, string> InsiOutcomes = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["found"] = Texts.LabelsIdentiteTrouvee,
        ["not-found"] = Texts.LabelsAucuneIdentiteTrouvee,
        ["multiple"] = Texts.LabelsPlusieursIdentitesTrouvees,
        ["error"] = Texts.LabelsErreurDuTeleservice,
    };

    /// <summary>INSi return code (CR) → French.</summary>
    public static readonly IReadOnlyDictionary<string, string> InsiCodes = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["00"] = Texts.LabelsUneIdentiteTrouvee,
        ["01"] = Texts.LabelsCodeAucuneIdentiteTrouvee,
        ["02"] = Texts.LabelsCodePlusieursIdentitesTrouvees,
    };

    /// <summary>Verification outcome → French.</summary>
    public static readonly IReadOnlyDictionary<string, string> Verifications = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["confirmed"] = Texts.LabelsInsConfirme,
        ["replaced-by-newer"] = Texts.LabelsInsRemplaceParUnIns,
        ["mismatch"] = Texts.LabelsTraitsDifferents,
        ["not-found"] = Texts.LabelsInsNonReconnu,
        ["ambiguous"] = Texts.LabelsReponseAmbigue,
    };

    /// <summary>INSi operation → French.</summary>
    public static readonly IReadOnlyDictionary<string, string> InsiOperations = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["search"] = Texts.LabelsRecherche,
        ["verify"] = Texts.LabelsVerification,
        ["vitale-search"] = Texts.LabelsRechercheCarteVitale,
    };

    /// <summary>INS source → French.</summary>
    public static readonly IReadOnlyDictionary<string, string> InsSources = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["INSI"] = Texts.LabelsTeleserviceInsi,
        ["INSHISTO"] = Texts.LabelsHistoriqueRenvoyeParInsi,
    };

    /// <summary>Audit action → French.</summary>
    public static readonly IReadOnlyDictionary<string, string> AuditActions = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["identity.created"] = Texts.LabelsCreationDeLIdentite,
        ["identity.traits-changed"] = Texts.LabelsModificationDesTraits,
        ["identity.evidence-added"] = Texts.LabelsAjoutDUnJustificatif,
        ["identity.attributes-changed"] = Texts.LabelsModificationDesAttributs,
        ["identity.qualification-reverted"] = Texts.LabelsRetraitDeLaQualification,
        ["identity.ins-obtained"] = Texts.LabelsInsRecupereInsi,
        ["identity.ins-verified"] = Texts.LabelsInsVerifieInsi,
        ["identity.merged"] = Texts.LabelsFusionDIdentites,
        ["identity.merged-into"] = Texts.LabelsIdentiteFusionneeDansUneAutre,
        ["identity.duplicate-forced"] = Texts.LabelsDoublonCreeSurDecisionDe,
        ["identity.ins-collision"] = Texts.LabelsCollisionDInsDetectee,
        ["identity.ins-replaced"] = Texts.LabelsInsRemplaceParUnIns,
        ["identity.verification-alert"] = Texts.LabelsAlerteDeVerificationInsi,
        ["insi.search"] = Texts.LabelsAppelInsiRecherche,
        ["insi.verify"] = Texts.LabelsAppelInsiVerification,
        ["insi.support-bundle"] = Texts.LabelsDossierDeSupportInsiTelecharge,
        ["alert.raised"] = Texts.LabelsAlerteDIdentitovigilanceLevee,
        ["alert.resolved"] = Texts.LabelsAlerteDIdentitovigilanceTraitee,
        ["vigilance.alert-resolved"] = Texts.LabelsAlerteDIdentitovigilanceTraitee,
    };

    /// <summary>Audit channel → French.</summary>
    public static readonly IReadOnlyDictionary<string, string> Sources = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["ui"] = Texts.LabelsInterfaceWeb,
        ["api"] = Texts.LabelsApi,
        ["batch"] = Texts.LabelsTraitementParLot,
        ["inbound"] = Texts.LabelsFluxEntrant,
        ["cli"] = Texts.LabelsLigneDeCommande,
        ["hl7"] = Texts.LabelsFluxHl7,
        ["serve"] = Texts.LabelsDemarrage,
    };

    /// <summary>Worklist → French title.</summary>
    public static readonly IReadOnlyDictionary<string, string> Worklists = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["to-verify"] = Texts.LabelsIdentitesAVerifier,
        ["doubtful"] = Texts.LabelsIdentitesDouteusesOuFictives,
        ["duplicates"] = Texts.LabelsDoublonsPotentiels,
        ["collisions"] = Texts.LabelsCollisionsDIns,
        ["verification-alerts"] = Texts.LabelsAlertesDeVerificationInsi,
        ["insi-failures"] = Texts.LabelsEchecsDAppelInsi,
    };

    /// <summary>Alert kind → French.</summary>
    public static readonly IReadOnlyDictionary<string, string> AlertKinds = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["duplicate-forced"] = Texts.LabelsDoublonForce,
        ["potential-duplicate"] = Texts.LabelsDoublonPotentiel,
        ["collision"] = Texts.LabelsCollisionDIns,
        ["verification-mismatch"] = Texts.LabelsVerificationTraitsDifferents,
        ["verification-not-found"] = Texts.LabelsVerificationInsNonReconnu,
        ["verification-ambiguous"] = Texts.LabelsVerificationReponseAmbigue,
        ["insi-failure"] = Texts.LabelsEchecDAppelInsi,
    };

    /// <summary>API key status → French.</summary>
    public static readonly IReadOnlyDictionary<string, string> KeyStatus = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["active"] = Texts.LabelsActive,
        ["expired"] = Texts.LabelsExpiree,
        ["revoked"] = Texts.LabelsRevoquee,
    };

    /// <summary>Duplicate reason → French.</summary>
    public static readonly IReadOnlyDictionary<string, string> DuplicateReasons = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["same-strict-traits"] = Texts.LabelsMemesTraitsStricts,
        ["same-ins"] = Texts.LabelsMemeIns,
        ["same-birth-name"] = Texts.LabelsMemeNomDeNaissance,
        ["phonetic-birth-name"] = Texts.LabelsNomDeNaissancePhonetiquementProche,
        ["close-first-name"] = Texts.LabelsPrenomProche,
        ["same-first-name"] = Texts.LabelsMemePrenom,
        ["birth-name+birth-date"] = Texts.LabelsMemeNomEtMemeDate,
        ["birth-name+first-name"] = Texts.LabelsMemeNomEtMemePrenom,
    };

    /// <summary>The French word of a code in a table, or a neutral sentence when the code is unknown.</summary>
    /// <param name="table">Wording table.</param>
    /// <param name="code">Code.</param>
    /// <returns>The words.</returns>
    public static string Of(IReadOnlyDictionary<string, string> table, string? code)
    {
        ArgumentNullException.ThrowIfNull(table);
        return code is null ? "—" : table.TryGetValue(code, out var words) ? words : string.Format(CultureInfo.InvariantCulture, Texts.LabelsAutre, code);
    }

    /// <summary>A document in French with its code in brackets, e.g. <c>Passeport (PA)</c>.</summary>
    /// <param name="code">Document type code.</param>
    /// <returns>The words.</returns>
    public static string Document(string code) => Documents.TryGetValue(code, out var words) ? $"{words} ({code})" : string.Format(CultureInfo.InvariantCulture, Texts.LabelsAutrePiece, code);

    /// <summary>The matricule grouped as on the Vitale card: <c>1 60 01 2B 020 777 13</c>.</summary>
    /// <param name="m">15-character matricule.</param>
    /// <returns>The grouped form.</returns>
    public static string Matricule(string? m) => m is { Length: 15 }
        ? $"{m[..1]} {m[1..3]} {m[3..5]} {m[5..7]} {m[7..10]} {m[10..13]} {m[13..15]}"
        : m ?? "—";

    /// <summary>A day as <c>dd/MM/yyyy</c>.</summary>
    /// <param name="d">Day.</param>
    /// <returns>Text.</returns>
    public static string Date(DateOnly? d) => d?.ToString("dd/MM/yyyy", Fr) ?? "—";

    /// <summary>A declared birth date (<c>1960-00-00</c> when partial) as <c>00/00/1960</c>.</summary>
    /// <param name="declared">Declared date.</param>
    /// <returns>Text.</returns>
    public static string DeclaredDate(string declared) => declared is { Length: 10 } ? $"{declared[8..10]}/{declared[5..7]}/{declared[..4]}" : declared;

    /// <summary>A time in Paris time, <c>dd/MM/yyyy HH:mm</c>.</summary>
    /// <param name="t">Time.</param>
    /// <returns>Text.</returns>
    public static string DateTime(DateTimeOffset? t)
    {
        if (t is null)
        {
            return "—";
        }

        var zone = TryParis();
        var local = zone is null ? t.Value : TimeZoneInfo.ConvertTime(t.Value, zone);
        return local.ToString("dd/MM/yyyy HH:mm", Fr);
    }

    /// <summary>Yes or no.</summary>
    /// <param name="b">Value.</param>
    /// <returns>Oui or Non.</returns>
    public static string YesNo(bool b) => b ? Texts.LabelsOui : Texts.LabelsNon;

    /// <summary>One field error (<c>rule: message</c>) in French.</summary>
    /// <param name="raw">The application's message.</param>
    /// <returns>The French sentence.</returns>
    public static string FieldError(string raw)
    {
        ArgumentNullException.ThrowIfNull(raw);
        var sep = raw.IndexOf(": ", StringComparison.Ordinal);
        var rule = sep > 0 ? raw[..sep] : "";
        var message = sep > 0 ? raw[(sep + 2)..] : raw;
        switch (rule)
        {
            case "required":
                return message.Contains("date", StringComparison.OrdinalIgnoreCase) ? Texts.LabelsCetteDateEstObligatoire : Texts.LabelsCeChampEstObligatoire;
            case "future":
                return Texts.LabelsLaDateEstDansLe;
            case "range":
                return message.Contains("1850", StringComparison.Ordinal) ? Texts.LabelsLaDateDeNaissanceEst : Texts.LabelsValeurHorsDesLimitesPermises;
            case "format":
                return message.Contains("YYYY-MM-DD", StringComparison.Ordinal) ? Texts.LabelsDateImpossibleCeJourN : Texts.LabelsFormatNonReconnu;
            case "length":
            case "max-length":
                return Texts.LabelsTropLongPourCeChamp;
            case "character":
                var m = System.Text.RegularExpressions.Regex.Match(message, "Character '(.+)' at position (\\d+)");
                return m.Success
                    ? string.Format(CultureInfo.InvariantCulture, Texts.LabelsCaractereNonAutoriseEnPosition, m.Groups[1].Value, m.Groups[2].Value)
                    : Texts.LabelsAuMoinsUneLettreEst;
            case "code":
                if (message.Contains("F, M or U", StringComparison.Ordinal))
                {
                    return Texts.LabelsSexeAttenduFemininMasculinOu;
                }

                return Texts.LabelsCodeInconnuPourCeChamp;
            case "rniv.expired-document":
                return Texts.LabelsLaPieceEtaitExpireeA;
            case "concurrency.stale":
                return StaleMessage;
            default:
                if (rule.StartsWith("ins.", StringComparison.Ordinal))
                {
                    return Texts.LabelsMatriculeInsInvalide15Caracteres;
                }

                if (rule.StartsWith("password", StringComparison.Ordinal) || rule.StartsWith("Password", StringComparison.Ordinal))
                {
                    return Texts.LabelsMotDePasseRefuseAu;
                }

                return Texts.LabelsValeurRefusee;
        }
    }

    /// <summary>The message of a concurrent change.</summary>
    public static string StaleMessage => Texts.LabelsCetteIdentiteAEteModifiee;

    /// <summary>A whole refusal in French.</summary>
    /// <param name="error">The application's refusal.</param>
    /// <returns>The French sentence.</returns>
    public static string Problem(AppError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return error.Rule switch
        {
            "concurrency.stale" => StaleMessage,
            "rniv.strict-traits-locked" => Texts.LabelsLesTraitsStrictsDUne,
            "rniv.insi-blocked" => Texts.LabelsInsiNePeutPasEtre,
            "rniv.no-ins" => Texts.LabelsCetteIdentiteNePortePas,
            "rniv.not-qualified" => Texts.LabelsSeuleUneIdentiteQualifieeQual,
            "identity.duplicate" => Texts.LabelsUneIdentiteAvecLesMemes,
            "identity.force-requires-vigilance" => Texts.LabelsSeuleLaCelluleDIdentitovigilance,
            "identity.merged" => Texts.LabelsCetteIdentiteAEteFusionnee,
            "merge.same-identity" => Texts.LabelsUneIdentiteNePeutPas,
            "merge.ins-conflict" => Texts.LabelsLesDeuxIdentitesPortentDes,
            "merge.requires-vigilance" or "alert.requires-vigilance" => Texts.LabelsActionReserveeALaCellule,
            "alert.resolved" => Texts.LabelsCetteAlerteADejaEte,
            "insi.lexical" or "insi.traits-invalid" => Texts.LabelsLesTraitsNeRespectentPas,
            "insi.ins-refused" => Texts.LabelsLInsRenvoyeParInsi,
            "auth.refused" => Texts.LabelsIdentifiantOuMotDePasse,
            "not-found" => Texts.LabelsElementIntrouvable,
            "validation" => Texts.LabelsLeFormulaireContientDesErreurs,
            _ => error.Kind switch
            {
                ErrorKind.Invalid => Texts.LabelsLeFormulaireContientDesErreurs,
                ErrorKind.NotFound => Texts.LabelsElementIntrouvable,
                ErrorKind.Forbidden => Texts.LabelsActionRefuseeVotreProfilN,
                ErrorKind.Conflict => Texts.LabelsActionRefuseeParLesRegles,
                ErrorKind.Upstream => Texts.LabelsLeTeleserviceInsiNA,
                _ => Texts.LabelsActionImpossibleDansLEtat,
            },
        };
    }

    private static TimeZoneInfo? TryParis()
    {
        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById("Europe/Paris");
        }
        catch (TimeZoneNotFoundException)
        {
            return null;
        }
    }
}
