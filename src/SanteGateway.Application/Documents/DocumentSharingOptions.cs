namespace SanteGateway.Application;

/// <summary>
/// Metadata settings of document sharing (configuration section <c>Documents</c>). The CI-SIS value sets give the codes;
/// the values that depend on the structure (facility type, practice setting) have no safe default and must be set.
/// Code systems marked UNCONFIRMED in docs/conformance.md stay configurable here.
/// </summary>
public sealed class DocumentSharingOptions
{
    /// <summary>Transport used when a request names none (<c>xds</c> or <c>pdsm</c>).</summary>
    public string DefaultTransport { get; set; } = "xds";

    /// <summary>OID of the sending system (submission set <c>sourceId</c>); required.</summary>
    public string? SourceId { get; set; }

    /// <summary>classCode by CDA typeCode (LOINC), JDV_J06-XdsClassCode-CISIS.</summary>
    public IDictionary<string, string> ClassCodeByTypeCode { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>classCode when the type code is not in <see cref="ClassCodeByTypeCode"/> (null: refuse).</summary>
    public string? DefaultClassCode { get; set; } = "10";

    /// <summary>Code system of the classCode (UNCONFIRMED, see docs/conformance.md).</summary>
    public string ClassCodeSystem { get; set; } = "1.2.250.1.213.1.1.4.1";

    /// <summary>formatCode by CDA typeCode (JDV_J10-XdsFormatCode-CISIS).</summary>
    public IDictionary<string, string> FormatCodeByTypeCode { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>formatCode when the type code is not in <see cref="FormatCodeByTypeCode"/>.</summary>
    public string DefaultFormatCode { get; set; } = "urn:ihe:iti:xds:2017:mimeTypeSufficient";

    /// <summary>Code system of the formatCode.</summary>
    public string FormatCodeSystem { get; set; } = "1.3.6.1.4.1.19376.1.2.3";

    /// <summary>healthcareFacilityTypeCode of the structure (JDV_J02), e.g. <c>SA07</c>; required.</summary>
    public string? HealthcareFacilityTypeCode { get; set; }

    /// <summary>Code system of the healthcareFacilityTypeCode (TRE_R02-SecteurActivite).</summary>
    public string HealthcareFacilityTypeCodeSystem { get; set; } = "1.2.250.1.71.4.2.4";

    /// <summary>practiceSettingCode (JDV_J04), e.g. <c>ETABLISSEMENT</c>; required.</summary>
    public string? PracticeSettingCode { get; set; }

    /// <summary>Code system of the practiceSettingCode (UNCONFIRMED).</summary>
    public string PracticeSettingCodeSystem { get; set; } = "1.2.250.1.213.1.1.4.9";

    /// <summary>contentTypeCode of the submission set (JDV_J59-ContentTypeCode-DMP), e.g. <c>04</c>; required.</summary>
    public string? ContentTypeCode { get; set; }

    /// <summary>Code system of the contentTypeCode (UNCONFIRMED).</summary>
    public string ContentTypeCodeSystem { get; set; } = "1.2.250.1.213.2.2";

    /// <summary>Language when the CDA gives none.</summary>
    public string DefaultLanguageCode { get; set; } = "fr-FR";

    /// <summary>Largest document accepted, in bytes.</summary>
    public int MaxDocumentBytes { get; set; } = 32 * 1024 * 1024;
}
