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
        ["PROV"] = "Provisoire",
        ["RECUP"] = "Récupérée",
        ["VALI"] = "Validée",
        ["QUAL"] = "Qualifiée",
    };

    /// <summary>Status → what it means for the user.</summary>
    public static readonly IReadOnlyDictionary<string, string> StatusMeaning = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["PROV"] = "Identité provisoire : ni INS récupéré, ni pièce à haut niveau de confiance contrôlée.",
        ["RECUP"] = "Identité récupérée : INS obtenu par le téléservice INSi, sans pièce à haut niveau de confiance contrôlée.",
        ["VALI"] = "Identité validée : pièce à haut niveau de confiance contrôlée, sans INS récupéré.",
        ["QUAL"] = "Identité qualifiée : INS récupéré et pièce à haut niveau de confiance contrôlée. L'INS peut être transmis.",
    };

    /// <summary>Attribute code → French.</summary>
    public static readonly IReadOnlyDictionary<string, string> Attributes = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["HOMA"] = "Homonyme",
        ["DOUT"] = "Douteuse",
        ["FICT"] = "Fictive",
    };

    /// <summary>Sex code → French.</summary>
    public static readonly IReadOnlyDictionary<string, string> Sex = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["F"] = "Féminin",
        ["M"] = "Masculin",
        ["U"] = "Indéterminé",
    };

    /// <summary>Collection channel → French.</summary>
    public static readonly IReadOnlyDictionary<string, string> Channels = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["SM"] = "Saisie manuelle",
        ["CV"] = "Carte Vitale",
        ["CB"] = "Code-barres (DataMatrix INS)",
        ["RFID"] = "Puce sans contact",
        ["AV"] = "Application carte Vitale",
        ["INSI"] = "Téléservice INSi",
    };

    /// <summary>Document type → French.</summary>
    public static readonly IReadOnlyDictionary<string, string> Documents = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["CN"] = "Carte nationale d'identité",
        ["PA"] = "Passeport",
        ["CS"] = "Titre de séjour",
        ["ECN"] = "Carte nationale d'identité électronique",
        ["IN"] = "Identité numérique La Poste",
        ["AV"] = "Application carte Vitale",
        ["LECV"] = "Livret de famille et carte Vitale avec photo",
        ["ANCV"] = "Acte de naissance et carte Vitale avec photo",
        ["IE"] = "Moyen d'identification électronique (eIDAS)",
        ["AN"] = "Acte de naissance",
        ["LE"] = "Livret de famille",
        ["CC"] = "Carte consulaire",
        ["CE"] = "Carte d'étudiant",
        ["CM"] = "Carte militaire",
        ["PC"] = "Permis de conduire",
        ["TC"] = "Titre de circulation",
        ["DC"] = "Document de circulation pour étranger mineur",
        ["AC"] = "Autre document",
    };

    /// <summary>Role → French.</summary>
    public static readonly IReadOnlyDictionary<string, string> Roles = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [StaffRoles.FrontDesk] = "Accueil",
        [StaffRoles.IdentityVigilance] = "Identitovigilance",
        [StaffRoles.Admin] = "Administration",
        [StaffRoles.InboundReviewer] = "Relecture des flux entrants",
    };

    /// <summary>Field name → French label.</summary>
    public static readonly IReadOnlyDictionary<string, string> Fields = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["birthName"] = "Nom de naissance",
        ["birthFirstNames"] = "Prénom(s) de naissance",
        ["firstFirstName"] = "Premier prénom de naissance",
        ["sex"] = "Sexe",
        ["birthDate"] = "Date de naissance",
        ["birthPlaceCog"] = "Lieu de naissance (code COG)",
        ["usedName"] = "Nom utilisé",
        ["usedFirstName"] = "Prénom utilisé",
        ["collectionChannel"] = "Mode de recueil",
        ["documentType"] = "Type de pièce",
        ["checkedOn"] = "Date du contrôle",
        ["expiresOn"] = "Date d'expiration",
        ["reason"] = "Motif",
        ["ins"] = "INS",
        ["userName"] = "Identifiant",
        ["password"] = "Mot de passe",
        ["name"] = "Nom",
        ["roles"] = "Rôles",
    };

    /// <summary>INSi outcome → French.</summary>
    public static readonly IReadOnlyDictionary<string, string> InsiOutcomes = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["found"] = "Identité trouvée",
        ["not-found"] = "Aucune identité trouvée",
        ["multiple"] = "Plusieurs identités trouvées",
        ["error"] = "Erreur du téléservice",
    };

    /// <summary>INSi return code (CR) → French.</summary>
    public static readonly IReadOnlyDictionary<string, string> InsiCodes = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["00"] = "une identité trouvée",
        ["01"] = "aucune identité trouvée",
        ["02"] = "plusieurs identités trouvées",
    };

    /// <summary>Verification outcome → French.</summary>
    public static readonly IReadOnlyDictionary<string, string> Verifications = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["confirmed"] = "INS confirmé",
        ["replaced-by-newer"] = "INS remplacé par un INS plus récent",
        ["mismatch"] = "Traits différents",
        ["not-found"] = "INS non reconnu",
        ["ambiguous"] = "Réponse ambiguë",
    };

    /// <summary>INSi operation → French.</summary>
    public static readonly IReadOnlyDictionary<string, string> InsiOperations = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["search"] = "Recherche",
        ["verify"] = "Vérification",
        ["vitale-search"] = "Recherche avec la carte Vitale",
    };

    /// <summary>INS source → French.</summary>
    public static readonly IReadOnlyDictionary<string, string> InsSources = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["INSI"] = "Téléservice INSi",
        ["INSHISTO"] = "Historique renvoyé par INSi",
    };

    /// <summary>Audit action → French.</summary>
    public static readonly IReadOnlyDictionary<string, string> AuditActions = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["identity.created"] = "Création de l'identité",
        ["identity.traits-changed"] = "Modification des traits",
        ["identity.evidence-added"] = "Ajout d'un justificatif",
        ["identity.attributes-changed"] = "Modification des attributs",
        ["identity.qualification-reverted"] = "Retrait de la qualification",
        ["identity.ins-obtained"] = "INS récupéré (INSi)",
        ["identity.ins-verified"] = "INS vérifié (INSi)",
        ["identity.merged"] = "Fusion d'identités",
        ["identity.merged-into"] = "Identité fusionnée dans une autre",
        ["identity.duplicate-forced"] = "Doublon créé sur décision de l'identitovigilance",
        ["identity.ins-collision"] = "Collision d'INS détectée",
        ["identity.ins-replaced"] = "INS remplacé par un INS plus récent",
        ["identity.verification-alert"] = "Alerte de vérification INSi",
        ["insi.search"] = "Appel INSi : recherche",
        ["insi.verify"] = "Appel INSi : vérification",
        ["insi.support-bundle"] = "Dossier de support INSi téléchargé",
        ["alert.raised"] = "Alerte d'identitovigilance levée",
        ["alert.resolved"] = "Alerte d'identitovigilance traitée",
        ["vigilance.alert-resolved"] = "Alerte d'identitovigilance traitée",
    };

    /// <summary>Audit channel → French.</summary>
    public static readonly IReadOnlyDictionary<string, string> Sources = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["ui"] = "Interface web",
        ["api"] = "API",
        ["batch"] = "Traitement par lot",
        ["inbound"] = "Flux entrant",
        ["cli"] = "Ligne de commande",
        ["hl7"] = "Flux HL7",
        ["serve"] = "Démarrage",
    };

    /// <summary>Worklist → French title.</summary>
    public static readonly IReadOnlyDictionary<string, string> Worklists = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["to-verify"] = "Identités à vérifier",
        ["doubtful"] = "Identités douteuses ou fictives",
        ["duplicates"] = "Doublons potentiels",
        ["collisions"] = "Collisions d'INS",
        ["verification-alerts"] = "Alertes de vérification INSi",
        ["insi-failures"] = "Échecs d'appel INSi",
    };

    /// <summary>Alert kind → French.</summary>
    public static readonly IReadOnlyDictionary<string, string> AlertKinds = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["duplicate-forced"] = "Doublon forcé",
        ["potential-duplicate"] = "Doublon potentiel",
        ["collision"] = "Collision d'INS",
        ["verification-mismatch"] = "Vérification : traits différents",
        ["verification-not-found"] = "Vérification : INS non reconnu",
        ["verification-ambiguous"] = "Vérification : réponse ambiguë",
        ["insi-failure"] = "Échec d'appel INSi",
    };

    /// <summary>API key status → French.</summary>
    public static readonly IReadOnlyDictionary<string, string> KeyStatus = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["active"] = "Active",
        ["expired"] = "Expirée",
        ["revoked"] = "Révoquée",
    };

    /// <summary>Duplicate reason → French.</summary>
    public static readonly IReadOnlyDictionary<string, string> DuplicateReasons = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["same-strict-traits"] = "mêmes traits stricts",
        ["same-ins"] = "même INS",
        ["same-birth-name"] = "même nom de naissance",
        ["phonetic-birth-name"] = "nom de naissance phonétiquement proche",
        ["close-first-name"] = "prénom proche",
        ["same-first-name"] = "même prénom",
        ["birth-name+birth-date"] = "même nom et même date de naissance",
        ["birth-name+first-name"] = "même nom et même prénom",
    };

    /// <summary>The French word of a code in a table, or a neutral sentence when the code is unknown.</summary>
    /// <param name="table">Wording table.</param>
    /// <param name="code">Code.</param>
    /// <returns>The words.</returns>
    public static string Of(IReadOnlyDictionary<string, string> table, string? code)
    {
        ArgumentNullException.ThrowIfNull(table);
        return code is null ? "—" : table.TryGetValue(code, out var words) ? words : "Autre (" + code + ")";
    }

    /// <summary>A document in French with its code in brackets, e.g. <c>Passeport (PA)</c>.</summary>
    /// <param name="code">Document type code.</param>
    /// <returns>The words.</returns>
    public static string Document(string code) => Documents.TryGetValue(code, out var words) ? $"{words} ({code})" : $"Autre pièce ({code})";

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
    public static string YesNo(bool b) => b ? "Oui" : "Non";

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
                return message.Contains("date", StringComparison.OrdinalIgnoreCase) ? "Cette date est obligatoire." : "Ce champ est obligatoire.";
            case "future":
                return "La date est dans le futur.";
            case "range":
                return message.Contains("1850", StringComparison.Ordinal) ? "La date de naissance est antérieure à 1850." : "Valeur hors des limites permises.";
            case "format":
                return message.Contains("YYYY-MM-DD", StringComparison.Ordinal) ? "Date impossible : ce jour n'existe pas au calendrier." : "Format non reconnu.";
            case "length":
            case "max-length":
                return "Trop long pour ce champ.";
            case "character":
                var m = System.Text.RegularExpressions.Regex.Match(message, "Character '(.+)' at position (\\d+)");
                return m.Success
                    ? $"Caractère « {m.Groups[1].Value} » non autorisé en position {m.Groups[2].Value} (lettres, espace, tiret, apostrophe uniquement)."
                    : "Au moins une lettre est nécessaire.";
            case "code":
                if (message.Contains("F, M or U", StringComparison.Ordinal))
                {
                    return "Sexe attendu : féminin, masculin ou indéterminé.";
                }

                return "Code inconnu pour ce champ.";
            case "rniv.expired-document":
                return "La pièce était expirée à la date du contrôle.";
            case "concurrency.stale":
                return StaleMessage;
            default:
                if (rule.StartsWith("ins.", StringComparison.Ordinal))
                {
                    return "Matricule INS invalide (15 caractères, clé de contrôle).";
                }

                if (rule.StartsWith("password", StringComparison.Ordinal) || rule.StartsWith("Password", StringComparison.Ordinal))
                {
                    return "Mot de passe refusé : au moins 12 caractères avec minuscule, majuscule, chiffre et symbole.";
                }

                return "Valeur refusée.";
        }
    }

    /// <summary>The message of a concurrent change.</summary>
    public const string StaleMessage = "Cette identité a été modifiée par quelqu'un d'autre entre-temps. Rechargez l'identité pour voir la version actuelle, puis recommencez.";

    /// <summary>A whole refusal in French.</summary>
    /// <param name="error">The application's refusal.</param>
    /// <returns>The French sentence.</returns>
    public static string Problem(AppError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return error.Rule switch
        {
            "concurrency.stale" => StaleMessage,
            "rniv.strict-traits-locked" => "Les traits stricts d'une identité RECUP, VALI ou QUAL sont verrouillés : seule la cellule d'identitovigilance peut les modifier.",
            "rniv.insi-blocked" => "INSi ne peut pas être interrogé pour une identité douteuse ou fictive.",
            "rniv.no-ins" => "Cette identité ne porte pas d'INS à vérifier : interrogez d'abord INSi.",
            "rniv.not-qualified" => "Seule une identité qualifiée (QUAL) peut être imprimée ou transmise avec son INS.",
            "identity.duplicate" => "Une identité avec les mêmes traits stricts existe déjà : ouvrez-la plutôt que d'en créer une autre.",
            "identity.force-requires-vigilance" => "Seule la cellule d'identitovigilance peut créer un doublon assumé.",
            "identity.merged" => "Cette identité a été fusionnée dans une autre.",
            "merge.same-identity" => "Une identité ne peut pas être fusionnée avec elle-même.",
            "merge.ins-conflict" => "Les deux identités portent des INS différents : fusion impossible, traitez d'abord la collision.",
            "merge.requires-vigilance" or "alert.requires-vigilance" => "Action réservée à la cellule d'identitovigilance.",
            "alert.resolved" => "Cette alerte a déjà été traitée.",
            "insi.lexical" or "insi.traits-invalid" => "Les traits ne respectent pas le profil lexical d'INSi : corrigez-les avant d'interroger le téléservice.",
            "insi.ins-refused" => "L'INS renvoyé par INSi a été refusé (INS de test ou de démonstration non autorisé ici).",
            "auth.refused" => "Identifiant ou mot de passe incorrect.",
            "not-found" => "Élément introuvable.",
            "validation" => "Le formulaire contient des erreurs : corrigez les champs signalés.",
            _ => error.Kind switch
            {
                ErrorKind.Invalid => "Le formulaire contient des erreurs : corrigez les champs signalés.",
                ErrorKind.NotFound => "Élément introuvable.",
                ErrorKind.Forbidden => "Action refusée : votre profil n'a pas les droits nécessaires.",
                ErrorKind.Conflict => "Action refusée par les règles d'identitovigilance.",
                ErrorKind.Upstream => "Le téléservice INSi n'a pas pu être interrogé ; l'échange est enregistré. Réessayez plus tard.",
                _ => "Action impossible dans l'état actuel de l'identité.",
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
