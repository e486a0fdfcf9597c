using SanteGateway.Identity;

namespace SanteGateway.Interop.Fhir;

/// <summary>How a partner codes the identity status (FR Core versions disagree; see <c>docs/conformance.md</c>).</summary>
public enum IdentityStatusDialect
{
    /// <summary>
    /// FR Core 2.1.0 and the released 2.2.0: HL7 table 0445 codes. A qualified identity is <c>VALI</c> with the INS, a validated one
    /// <c>VALI</c> without it; <c>RECUP</c> is sent as <c>PROV</c> (the INS may not be sent), as in HL7 v2 PID-32. Attributes (HOMA, DOUT,
    /// FICT) are further reliability extensions whose <c>identityStatus</c> is the attribute code.
    /// </summary>
    Table0445,

    /// <summary>
    /// FR Core after 2.2.0 (main branch): the four RNIV statuses PROV, RECUP, VALI, QUAL in <c>fr-core-cs-identity-status</c>;
    /// attributes in the <c>comment</c> sub-extension (<c>fr-core-cs-identity-status-comment</c>).
    /// </summary>
    Rniv,
}

/// <summary>What a partner expects and accepts in FR Core Patient resources. One per partner; immutable.</summary>
public sealed record FhirPartnerProfile
{
    /// <summary>The FR Core 2.1.0 / released 2.2.0 convention (VALI + INS = qualified). The default.</summary>
    public static FhirPartnerProfile FrCore21 { get; } = new();

    /// <summary>The RNIV convention of FR Core after 2.2.0 (QUAL, RECUP).</summary>
    public static FhirPartnerProfile FrCoreRniv { get; } = new() { Dialect = IdentityStatusDialect.Rniv };

    /// <summary>Status coding written (reading accepts both).</summary>
    public IdentityStatusDialect Dialect { get; init; } = IdentityStatusDialect.Table0445;

    /// <summary>Code system of the status in the <see cref="IdentityStatusDialect.Rniv"/> dialect (configurable: the FR Core branches differ).</summary>
    public string RnivStatusSystem { get; init; } = FrCore.IdentityStatusSystem;

    /// <summary>The code meaning "qualified" in the RNIV dialect (<c>QUAL</c>).</summary>
    public string RnivQualifiedCode { get; init; } = "QUAL";

    /// <summary>Which INS OIDs are accepted when reading (production refuses test and demonstration OIDs).</summary>
    public InsPolicy InsPolicy { get; init; } = InsPolicy.Production;

    /// <summary>Validation modes the FR Core INS profile allows (required binding <c>fr-core-vs-mode-validation-identity-ins</c>:
    /// PA, CN, AN, LE). Evidence of another type (CS, IE, AV…) is not written with the INS profile, and the omission is reported.</summary>
    public IReadOnlySet<string> InsValidationModes { get; init; } = new HashSet<string>(StringComparer.Ordinal) { "PA", "CN", "AN", "LE" };

    /// <summary>Validation modes of the FR Core code system (<c>fr-core-cs-mode-validation-identity</c> 2.2.0).</summary>
    public IReadOnlySet<string> ValidationModes { get; init; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "AN", "CC", "CE", "CM", "CN", "CS", "LE", "PA", "PC", "TC", "DC", "AC", "IE",
    };

    /// <summary>Collection methods of the FR Core code system (2.2.0 has no <c>AV</c>; it is written only when listed here).</summary>
    public IReadOnlySet<string> CollectionMethods { get; init; } = new HashSet<string>(StringComparer.Ordinal) { "SM", "CV", "INSI", "CB", "RFID" };

    /// <summary>Base URL used in <c>link.other</c> references (relative <c>Patient/{id}</c> when null).</summary>
    public string? ReferenceBase { get; init; }
}
