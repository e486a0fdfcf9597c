namespace SanteGateway.Conformance;

/// <summary>
/// The public parts of the INSi conformance plan (CNDA test book "SEL-GCONFORM-INSi", as reconstructed in
/// <c>shared/spec/insi.md</c> §5 from SAPA's <c>ConformiteTest</c>, PADOA's live tests and the CNDA response files), plus
/// the implementation-guide rules the kit checks automatically. Each case: input as the user types it, expected behaviour,
/// how it is checked. The official test book was not available: inputs and expectations are as the sources give them.
/// </summary>
public static class CndaPlan
{
    /// <summary>IDAM the plan uses for the "unknown software number" test (live fault desir_550, insi.md §3.5).</summary>
    public const string UnknownIdam = "FAKE-IDAM";

    private const string Oid8 = "1.2.250.1.213.1.4.8";
    private const string Oid9 = "1.2.250.1.213.1.4.9";
    private const string IdentityScreen = "fiche identité (statut, INS, historique, échanges INSi)";

    /// <summary>Every case, plan first, then the guide rules.</summary>
    public static IReadOnlyList<ConformanceCase> Cases { get; } =
    [
        new("2.03-cas1", ConformanceSection.InsiPlan, "2.03 cas 1 — Recherche par traits, nom composé avec apostrophes",
            "Un nom de naissance avec apostrophes et espaces et un prénom composé sont envoyés tels quels et l'INS est récupéré.",
            "SAPA ConformiteTest 2.03 cas 1 [IMPL]; identité de qualification insi.md §5.1",
            ConformanceCaseKind.TraitsSearch,
            new("CR 00, identité récupérée (RECUP) avec son INS-NIR.") { Code = "00", Status = "RECUP", Ins = "101066322075460", InsOid = Oid8, InsSandboxOnly = true })
        {
            Traits = new("D'ARTAGNAN DE L'HERAULT", "PIERRE-ALAIN", "M", "2001-06-17", "63220"), Screen = IdentityScreen,
        },
        new("2.03-cas2", ConformanceSection.InsiPlan, "2.03 cas 2 — Recherche par traits, né en Corse (COG 2B020)",
            "Le lieu de naissance corse (2B) est envoyé et l'INS à clé corse est contrôlé et récupéré.",
            "SAPA ConformiteTest 2.03 cas 2 [IMPL]; réponse [LIVE] AdrtroisToussaint",
            ConformanceCaseKind.TraitsSearch,
            new("CR 00, identité récupérée (RECUP), INS 160012B020777 clé 13.") { Code = "00", Status = "RECUP", Ins = "160012B02077713", InsOid = Oid8 })
        {
            Traits = new("ADRTROIS", "TOUSSAINT", "M", "1960-01-01", "2B020"), Screen = IdentityScreen,
        },
        new("2.03-cas3", ConformanceSection.InsiPlan, "2.03 cas 3 — Caractères hors alphabet INSi (Æ, Œ)",
            "Le logiciel refuse d'appeler INSi avec des caractères non autorisés ; il propose la translittération à confirmer et n'envoie rien.",
            "SAPA ConformiteTest 2.03 cas 3 [IMPL]; règles lexicales SEL-MP-043 [2nd-hand]",
            ConformanceCaseKind.TraitsSearch,
            new("Aucun appel INSi ; refus nommant la règle (translittération à confirmer) ; l'identité reste provisoire.")
            {
                NothingSent = true, RefusalRules = ["insi.transliteration-required", "insi.lexical"], Status = "PROV", NoIns = true,
            })
        {
            Traits = new("D'ÆION", "CŒUR", "M", "1987-01-01", "2B020"), Screen = "création / recherche INSi (message de refus)",
        },
        new("2.04-cas1", ConformanceSection.InsiPlan, "2.04 cas 1 — INS avec historique (réponse du service)",
            "L'INS actif et l'INS historique (INSHISTO) renvoyés sont conservés.",
            "SAPA ConformiteTest 2.04 cas 1 [IMPL]; réponse [LIVE] PierreAlainLive",
            ConformanceCaseKind.TraitsSearch,
            new("CR 00, RECUP, INS 109076322083489, historique 209076322083439.")
            {
                Code = "00", Status = "RECUP", Ins = "109076322083489", InsOid = Oid8, History = ["209076322083439"],
            })
        {
            Traits = new("ECETINSI", "PIERRE-ALAIN MURIEL FLORIANT", "M", "2009-07-14"), Screen = IdentityScreen,
        },
        new("2.04-cas2", ConformanceSection.InsiPlan, "2.04 cas 2 — INS avec deux INS historiques (fichier CNDA injecté)",
            "Le fichier TEST_2.04_cas2 (deux INSHISTO, l'un avec dates) est traité : les deux INS historiques sont conservés.",
            "Fichier CNDA TEST_2.04_cas2.xml [CNDA]",
            ConformanceCaseKind.TraitsSearch,
            new("CR 00, RECUP, INS 109076322083489, historique 209076322083439 et 209066322012355.")
            {
                Code = "00", Status = "RECUP", Ins = "109076322083489", InsOid = Oid8, History = ["209076322083439", "209066322012355"],
            })
        {
            Traits = new("ECETINSI", "PIERRE-ALAIN MURIEL FLORIANT", "M", "2009-07-14"),
            Injections = [new("TEST_2.04_cas2.xml")], Screen = IdentityScreen,
        },
        new("2.05", ConformanceSection.InsiPlan, "2.05 — INS-NIA (identifiant d'attente, OID .9)",
            "Un INS dont l'OID est celui du NIA est reconnu comme NIA par son OID (jamais par ses chiffres) et conservé avec cet OID.",
            "Fichier CNDA TEST_2.05.xml [CNDA]",
            ConformanceCaseKind.TraitsSearch,
            new("CR 00, RECUP, INS 109076322088835 avec l'OID 1.2.250.1.213.1.4.9 (NIA).") { Code = "00", Status = "RECUP", Ins = "109076322088835", InsOid = Oid9 })
        {
            Traits = new("PROVISOIRE", "MATRICULE", "M", "2009-07-01"),
            Injections = [new("TEST_2.05.xml")], Screen = IdentityScreen,
        },
        new("2.06-cas1", ConformanceSection.InsiPlan, "2.06 cas 1 — Plusieurs identités (CR 02)",
            "Le CR 02 est présenté à l'utilisateur, qui doit compléter les traits (lieu de naissance) ; rien n'est appliqué.",
            "SAPA ConformiteTest 2.06 cas 1 ; PADOA test live [LIVE]",
            ConformanceCaseKind.TraitsSearch,
            new("CR 02, aucun INS, l'identité reste provisoire.") { Code = "02", Status = "PROV", NoIns = true })
        {
            Traits = new("DE VINCI", "LEONARDO", "M", "2014-02-01"), Screen = "recherche INSi (message « plusieurs identités »)",
        },
        new("2.06-cas2", ConformanceSection.InsiPlan, "2.06 cas 2 — Homonymes départagés par le lieu de naissance",
            "Après un CR 02, la même recherche est refaite avec le lieu de naissance et trouve l'identité unique.",
            "SAPA ConformiteTest 2.06 cas 2 [IMPL]; stratégie esante-bretagne.fr",
            ConformanceCaseKind.TraitsSearch,
            new("Appels LEONARDO → 02 puis LEONARDO + COG 63220 → 00 ; RECUP.")
            {
                Code = "00", Status = "RECUP", Attempts = ["LEONARDO:02", "LEONARDO+COG:00"], Ins = "114026322000115", InsOid = Oid8, InsSandboxOnly = true,
            })
        {
            Traits = new("DE VINCI", "LEONARDO", "M", "2014-02-01", "63220"), Screen = IdentityScreen,
        },
        new("2.07-cas1", ConformanceSection.InsiPlan, "2.07 cas 1 — Stratégie des prénoms (premier prénom inconnu)",
            "Le premier prénom donne CR 01 (fichier REP_CR01 injecté) ; le logiciel rappelle avec le prénom suivant et trouve l'identité.",
            "SAPA ConformiteTest 2.07 cas 1 ; fichier CNDA REP_CR01.xml [CNDA]",
            ConformanceCaseKind.TraitsSearch,
            new("Appels OLA → 01 (injecté) puis CATARINA → 00 ; les prénoms INSi (CATARINA BELLA), différents de la saisie, sont montrés et rien n'est appliqué sans vérification (identitovigilance).")
            {
                Code = "00", Attempts = ["OLA:01", "CATARINA:00"], TraitDifferencesShown = true,
            })
        {
            Traits = new("TCHITCHI", "OLA CATARINA BELLA", "F", "1936-06-21"),
            Injections = [new("REP_CR01.xml", "OLA")], Screen = IdentityScreen,
        },
        new("2.07-cas2", ConformanceSection.InsiPlan, "2.07 cas 2 — Stratégie des prénoms, aucune identité",
            "Chaque prénom puis la liste complète sont essayés, dans cet ordre ; tous répondent CR 01 (REP_CR01 injecté).",
            "SAPA ConformiteTest 2.07 cas 2 ; PADOA cas spéciaux ; fichier CNDA REP_CR01.xml [CNDA]",
            ConformanceCaseKind.TraitsSearch,
            new("Appels PIERRE, PAUL, JACQUES puis « PIERRE PAUL JACQUES », tous 01 ; CR 01 final ; l'identité reste provisoire.")
            {
                Code = "01", Status = "PROV", NoIns = true,
                Attempts = ["PIERRE:01", "PAUL:01", "JACQUES:01", "PIERRE PAUL JACQUES:01"],
            })
        {
            Traits = new("HOUILLES", "PIERRE PAUL JACQUES", "M", "1993-01-27"),
            Injections = [new("REP_CR01.xml")], Screen = "recherche INSi (message « aucune identité »)",
        },
        new("2.08-cas1", ConformanceSection.InsiPlan, "2.08 cas 1 — INSHISTO identique à l'INS actif",
            "Un INS historique identique à l'INS actif n'est pas présenté comme un ancien INS distinct.",
            "Fichier CNDA TEST_2.08_cas1.xml [CNDA]",
            ConformanceCaseKind.TraitsSearch,
            new("CR 00, RECUP, INS 180032B02040123, historique vide.") { Code = "00", Status = "RECUP", Ins = "180032B02040123", InsOid = Oid8, History = [] })
        {
            Traits = new("CORSE", "ANTHONY", "M", "1980-03-02", "2B020"),
            Injections = [new("TEST_2.08_cas1.xml")], Screen = IdentityScreen,
        },
        new("2.08-cas2", ConformanceSection.InsiPlan, "2.08 cas 2 — Clé de l'INS erronée",
            "Un INS dont la clé ne vérifie pas le modulo 97 n'est jamais enregistré ; l'échange est conservé et l'utilisateur averti.",
            "Fichier CNDA TEST_2.08_cas2.xml [CNDA] (clés 60 et 10 fausses ; but du test présumé [UNCONFIRMED])",
            ConformanceCaseKind.TraitsSearch,
            new("Refus « INS non fiable (clé) », aucun INS enregistré, l'identité reste provisoire.")
            {
                RefusalRules = ["insi.ins-refused"], Status = "PROV", NoIns = true,
            })
        {
            Traits = new("HERMANN", "GATIEN", "M", "1981-03-24"),
            Injections = [new("TEST_2.08_cas2.xml")], Screen = "recherche INSi (message de refus de l'INS)",
        },
        new("1.xx-vitale-beneficiaire", ConformanceSection.InsiPlan, "1.xx — Recherche avec la carte Vitale (bénéficiaire avec NIR propre)",
            "La recherche à partir des données lues sur la carte Vitale (assuré + bénéficiaire) renvoie l'INS du bénéficiaire.",
            "Cas Vitale du plan (1.01–1.03, devbox-santé) [2nd-hand]; données de carte du bac à sable [UNCONFIRMED]",
            ConformanceCaseKind.VitaleSearch,
            new("CR 00, INS 110086322083060 (NESSI MICHELANGELO).") { Code = "00", Ins = "110086322083060", InsOid = Oid8, InsSandboxOnly = true, Status = "RECUP" })
        {
            Card = new("INSi 01", "2770763220831", "1100863220830", "NESSI", "2010-08-07"), SandboxOnly = true,
        },
        new("1.xx-vitale-ayant-droit", ConformanceSection.InsiPlan, "1.xx — Recherche avec la carte Vitale (ayant droit sans NIR propre)",
            "Sans NIR propre du bénéficiaire, la recherche par le NIR de l'assuré, le nom et la date de naissance trouve l'ayant droit.",
            "Cas Vitale du plan [2nd-hand]; « Donatello » cité parmi les bénéficiaires de test ; données du bac à sable [UNCONFIRMED]",
            ConformanceCaseKind.VitaleSearch,
            new("CR 00, INS 112106322091209 (NESSI DONATELLO).") { Code = "00", Ins = "112106322091209", InsOid = Oid8, InsSandboxOnly = true, Status = "RECUP" })
        {
            Card = new("INSi 01", "2770763220831", null, "NESSI", "2012-10-09"), SandboxOnly = true,
        },
        new("idam-inconnu", ConformanceSection.InsiPlan, "Numéro d'autorisation du logiciel (IDAM) inconnu",
            "Le rejet du service (siram_100 / desir_550) est présenté clairement ; rien n'est modifié ; l'échange est conservé.",
            "PADOA test live FAKE-IDAM ; réponse [LIVE] FakeIdam.fault",
            ConformanceCaseKind.TraitsSearch,
            new("Faute desir_550, refus « insi.error », identité inchangée (PROV).")
            {
                FaultErrorCode = "desir_550", RefusalRules = ["insi.error"], Status = "PROV", NoIns = true,
            })
        {
            Traits = new("ADRTROIS", "TOUSSAINT", "M", "1960-01-01", "2B020"), Idam = UnknownIdam, Screen = "recherche INSi (message d'erreur du service)",
        },
        new("certificat-cn", ConformanceSection.InsiPlan, "Certificat logiciel au CN erroné",
            "Un certificat dont le CN n'est ni INSI-AUTO ni INSI-MANU est refusé par le service (DESIR_560) ; le refus est présenté, rien n'est modifié.",
            "PADOA README (support INSi) [2nd-hand]; insi.md §4.1",
            ConformanceCaseKind.TraitsSearch,
            new("Faute DESIR_560, refus « insi.error », identité inchangée (PROV).")
            {
                FaultErrorCode = "DESIR_560", RefusalRules = ["insi.error"], Status = "PROV", NoIns = true,
            })
        {
            Traits = new("ADRTROIS", "TOUSSAINT", "M", "1960-01-01", "2B020"), Certificate = ConformanceCertificate.WrongCommonName,
            Screen = "recherche INSi (message d'erreur du service)",
        },

        new("guide-recup-non-transmis", ConformanceSection.GuideRules, "Guide — INS récupéré non transmissible (RECUP)",
            "Une identité dont l'INS vient d'INSi sans pièce d'identité vérifiée est RECUP ; son INS ne sort pas (pas de DataMatrix, pas d'échange).",
            "RNIV EXI SI 07/08 [NORM via FR Core]; ins-rules §3.1",
            ConformanceCaseKind.GuideRule,
            new("RECUP après INSi ; demande de DataMatrix refusée (rniv.not-qualified).") { Code = "00", Status = "RECUP", RefusalRules = ["rniv.not-qualified"] })
        {
            Traits = new("ADRTROIS", "DOMINIQUE", "F", "1997-02-26", "2A020"), Rule = "recup-not-transmitted", Screen = IdentityScreen,
        },
        new("guide-qual-datamatrix", ConformanceSection.GuideRules, "Guide — Identité qualifiée (QUAL) et DataMatrix INS",
            "Pièce à haut niveau de confiance vérifiée puis INSi cohérent → QUAL ; l'INS peut sortir ; le DataMatrix imprimé se relit avec le même INS.",
            "RNIV (VALI→QUAL) [NORM]; format DataMatrix INS (ins-rules §4)",
            ConformanceCaseKind.GuideRule,
            new("VALI puis QUAL ; DataMatrix créé, relu depuis l'image PNG avec l'INS 160012B02077713.") { Code = "00", Status = "QUAL", Ins = "160012B02077713", InsOid = Oid8 })
        {
            Traits = new("ADRTROIS", "TOUSSAINT", "M", "1960-01-01", "2B020"), Rule = "qual-datamatrix", Screen = "fiche identité (DataMatrix)",
        },
        new("guide-douteuse-bloque-insi", ConformanceSection.GuideRules, "Guide — Identité douteuse : pas d'appel INSi",
            "Une identité marquée douteuse est provisoire et l'appel INSi est refusé sans rien envoyer.",
            "RNIV EXI SI 09 [NORM via FR Core]; ins-rules §3.3",
            ConformanceCaseKind.GuideRule,
            new("PROV ; recherche INSi refusée ; aucun échange.") { Status = "PROV", NothingSent = true, NoIns = true })
        {
            Traits = new("TCHITCHI", "CATARINA BELLA", "F", "1936-06-21"), Rule = "doubtful-blocks-insi", Screen = IdentityScreen,
        },
    ];

    /// <summary>The CNDA response files the plan injects (must be present in the CNDA folder).</summary>
    public static IReadOnlyList<string> InjectedFiles { get; } =
        Cases.SelectMany(c => c.Injections).Select(i => i.File).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
}
