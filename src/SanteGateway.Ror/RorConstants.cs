namespace SanteGateway.Ror;

/// <summary>Canonical URLs, code systems and header names of the ROR IG (<c>ans.fhir.fr.ror</c>).</summary>
public static class RorConstants
{
    /// <summary>Canonical base of the IG.</summary>
    public const string IgBase = "https://interop.esante.gouv.fr/ig/fhir/ror";

    /// <summary>Prefix of every ROR StructureDefinition (profiles and extensions).</summary>
    public const string StructureDefinitionBase = IgBase + "/StructureDefinition/";

    /// <summary>Profile of an Organization (EJ, EG, OI).</summary>
    public const string OrganizationProfile = StructureDefinitionBase + "ror-organization";

    /// <summary>Profile of an operational offer.</summary>
    public const string HealthcareServiceProfile = StructureDefinitionBase + "ror-healthcareservice";

    /// <summary>Profile of a place where an offer is delivered (with its capacities).</summary>
    public const string LocationProfile = StructureDefinitionBase + "ror-location";

    /// <summary>Profile of a professional.</summary>
    public const string PractitionerProfile = StructureDefinitionBase + "ror-practitioner";

    /// <summary>Profile of a professional's operational situation.</summary>
    public const string PractitionerRoleProfile = StructureDefinitionBase + "ror-practitionerrole";

    /// <summary>Extension carrying one bed/place capacity record on a Location.</summary>
    public const string SupportedCapacityExtension = StructureDefinitionBase + "ror-location-supported-capacity";

    /// <summary>Extension: the offer is a sensitive unit (hidden from access profiles 0, 2 and 3).</summary>
    public const string SensitiveUnitExtension = StructureDefinitionBase + "ror-healthcareservice-sensitive-unit";

    /// <summary>Extension: creation date of the record (1..1 on the five main resources).</summary>
    public const string MetaCreationDateExtension = StructureDefinitionBase + "ror-meta-creation-date";

    /// <summary>Extension: COG code of the commune of a Location.</summary>
    public const string CommuneCogExtension = StructureDefinitionBase + "ror-commune-cog";

    /// <summary>Extension returned on a search entry with the distance to the <c>near</c> point.</summary>
    public const string LocationDistanceExtension = "http://hl7.org/fhir/StructureDefinition/location-distance";

    /// <summary>System of the region tag (<c>meta.tag</c>, searched with <c>_tag</c>).</summary>
    public const string RegionSystem = "https://mos.esante.gouv.fr/NOS/TRE_R30-RegionOM/FHIR/TRE-R30-RegionOM";

    /// <summary>System of the national structure identifier (idNatSt).</summary>
    public const string IdNatStructSystem = "urn:oid:1.2.250.1.71.4.2.2";

    /// <summary>System of the national professional identifier (idNat_PS).</summary>
    public const string IdNatPsSystem = "urn:oid:1.2.250.1.71.4.2.1";

    /// <summary>Code system of the Location identifier types (<c>26</c> = idExterneSynchro, <c>25</c> = idLocation).</summary>
    public const string LocationIdentifierTypeSystem = "https://mos.esante.gouv.fr/NOS/TRE_R354-TypeIdentifiantRessourceOperationnelle/FHIR/TRE-R354-TypeIdentifiantRessourceOperationnelle";

    /// <summary>Code system of the structure identifier types (TRE_G07).</summary>
    public const string StructureIdentifierTypeSystem = "https://mos.esante.gouv.fr/NOS/TRE_G07-TypeIdentifiantStructure/FHIR/TRE-G07-TypeIdentifiantStructure";

    /// <summary>Operational activity (specialty) code system.</summary>
    public const string OperationalActivitySystem = "https://mos.esante.gouv.fr/NOS/TRE_R211-ActiviteOperationnelle/FHIR/TRE-R211-ActiviteOperationnelle";

    /// <summary>Commune code system (COG).</summary>
    public const string CommuneSystem = "https://mos.esante.gouv.fr/NOS/TRE_R13-CommuneOM/FHIR/TRE-R13-CommuneOM";

    /// <summary>Header: user profile code (reads of the five main resources only).</summary>
    public const string HeaderProfilUtilisateurCode = "Ror-Profil-Utilisateur-Code";

    /// <summary>Header: user profile code system.</summary>
    public const string HeaderProfilUtilisateurSystem = "Ror-Profil-Utilisateur-System";

    /// <summary>Header: business role code.</summary>
    public const string HeaderRoleMetierCode = "Ror-Role-Metier-Code";

    /// <summary>Header: business role code system.</summary>
    public const string HeaderRoleMetierSystem = "Ror-Role-Metier-System";

    /// <summary>The four <c>Ror-*</c> headers.</summary>
    public static IReadOnlyList<string> RorHeaders { get; } =
        [HeaderProfilUtilisateurCode, HeaderProfilUtilisateurSystem, HeaderRoleMetierCode, HeaderRoleMetierSystem];

    /// <summary>The five resource types whose reads carry the <c>Ror-*</c> headers.</summary>
    public static IReadOnlySet<string> MainResourceTypes { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "Organization", "HealthcareService", "Location", "Practitioner", "PractitionerRole",
    };
}
