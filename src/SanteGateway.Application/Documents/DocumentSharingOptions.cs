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

    /// <summary>Retries of transient failures by the outbox worker (<c>Documents:Delivery</c>).</summary>
    public DocumentDeliveryOptions Delivery { get; } = new();
}

/// <summary>
/// How the outbox worker retries a submission that failed transiently: after <see cref="InitialBackoff"/> × 2^(n−1),
/// capped at <see cref="MaxBackoff"/>, until <see cref="MaxAttempts"/> attempts, then the submission is a dead letter
/// (state <c>failed</c>) that staff re-send by hand. Refusals (gate, registry) are never retried.
/// </summary>
public sealed class DocumentDeliveryOptions
{
    /// <summary>Attempts (the first one included) before a submission becomes a dead letter.</summary>
    public int MaxAttempts { get; set; } = 8;

    /// <summary>Wait after the first failure.</summary>
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Longest wait between two attempts.</summary>
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// How long a sender holds a submission; longer than one attempt can last (DMP state and provide calls with their
    /// timeouts). A worker takes over a <c>sending</c> submission whose lease ran out (its sender died).
    /// </summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How often the worker looks for due submissions when idle.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Submissions claimed per pass.</summary>
    public int BatchSize { get; set; } = 20;

    /// <summary>Wait before attempt <paramref name="attempts"/> + 1 after <paramref name="attempts"/> failures.</summary>
    /// <param name="attempts">Failed attempts of the current round (1 or more).</param>
    /// <returns>The delay.</returns>
    public TimeSpan Backoff(int attempts)
    {
        var factor = Math.Pow(2, Math.Clamp(attempts - 1, 0, 30));
        return TimeSpan.FromTicks((long)Math.Min(InitialBackoff.Ticks * factor, MaxBackoff.Ticks));
    }
}
