namespace SanteGateway.Interop.Fhir;

/// <summary>Canonical URLs and code systems of FR Core (HL7 France) used for the Patient and the INS.</summary>
public static class FrCore
{
    /// <summary>FR Core Patient profile.</summary>
    public const string PatientProfile = "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-patient";

    /// <summary>FR Core Patient INS profile (the only one with the INS identifier slices).</summary>
    public const string PatientInsProfile = "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-patient-ins";

    /// <summary>Identity reliability extension (status, collection method, validation mode and dates).</summary>
    public const string IdentityReliability = "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-identity-reliability";

    /// <summary>List of birth first names on <c>name[officialName]</c>.</summary>
    public const string BirthListGivenName = "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-patient-birth-list-given-name";

    /// <summary>Birth date corrected (completed partial date) marker.</summary>
    public const string BirthDateUpdateIndicator = "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-patient-birthdate-update-indicator";

    /// <summary>HL7 birth place extension (valueAddress).</summary>
    public const string BirthPlace = "http://hl7.org/fhir/StructureDefinition/patient-birthPlace";

    /// <summary>INSEE (COG) code of an address.</summary>
    public const string AddressInseeCode = "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-address-insee-code";

    /// <summary>NOS TRE-R13 communes (the binding of the INSEE code, also used for <c>99xxx</c> country codes).</summary>
    public const string CommuneSystem = "https://mos.esante.gouv.fr/NOS/TRE_R13-CommuneOM/FHIR/TRE-R13-CommuneOM";

    /// <summary>FR Core identifier types (INS-NIR, INS-NIA, INS-NIR-TEST, INS-NIR-DEMO…).</summary>
    public const string IdentifierTypeSystem = "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0203";

    /// <summary>HL7 v2 table 0203 (PI for local patient identifiers).</summary>
    public const string Hl7IdentifierTypeSystem = "http://terminology.hl7.org/CodeSystem/v2-0203";

    /// <summary>HL7 table 0445 as published by FR Core 2.1.0 and 2.2.0 (VALI, PROV, HOMA, DOUT, FICT…).</summary>
    public const string Table0445System = "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0445";

    /// <summary>The four RNIV statuses (PROV, RECUP, VALI, QUAL): FR Core main branch, not in a released version yet.</summary>
    public const string IdentityStatusSystem = "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-identity-status";

    /// <summary>Identity status comments (HOMA, DOUT, FICT and management codes): FR Core main branch.</summary>
    public const string IdentityStatusCommentSystem = "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-identity-status-comment";

    /// <summary>Collection method codes (SM, CV, INSI, CB, RFID).</summary>
    public const string MethodCollectionSystem = "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-method-collection";

    /// <summary>Identity validation mode (document type) codes.</summary>
    public const string ValidationModeSystem = "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-mode-validation-identity";

    /// <summary>The FR Core identifier type code of an INS authority.</summary>
    /// <param name="kind">The authority.</param>
    /// <returns><c>INS-NIR</c>, <c>INS-NIA</c>, <c>INS-NIR-TEST</c> or <c>INS-NIR-DEMO</c>.</returns>
    public static string IdentifierTypeOf(Identity.InsOidKind kind) => kind switch
    {
        Identity.InsOidKind.Nir => "INS-NIR",
        Identity.InsOidKind.Nia => "INS-NIA",
        Identity.InsOidKind.Test => "INS-NIR-TEST",
        Identity.InsOidKind.Demo => "INS-NIR-DEMO",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown INS kind."),
    };
}
