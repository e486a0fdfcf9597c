using SanteGateway.Identity;
using SanteGateway.Interop.Hl7v2.Segments;

namespace SanteGateway.Interop.Hl7v2.Pam;

/// <summary>How serious a mapping finding is.</summary>
public enum PamIssueSeverity
{
    /// <summary>Worth knowing (a deprecated INS-C ignored, a tolerated legacy code).</summary>
    Information,

    /// <summary>Part of the message was not integrated (an INS refused, a trait unreadable); the rest is kept.</summary>
    Warning,
}

/// <summary>Something the mapping noticed: the rule, where (HL7 position), and why. Never quotes identity values.</summary>
/// <param name="Rule">A stable code, e.g. <c>ins-wrong-key</c>, <c>ins-without-vali</c>, <c>name-type-forbidden</c>.</param>
/// <param name="Location">The HL7 position, e.g. <c>PID-3[2]</c>.</param>
/// <param name="Message">The reason.</param>
/// <param name="Severity">How serious.</param>
public sealed record PamIssue(string Rule, string Location, string Message, PamIssueSeverity Severity = PamIssueSeverity.Warning)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Rule} at {Location}: {Message}";
}

/// <summary>ZFD, read: the French demographic complement.</summary>
/// <param name="LunarDay">ZFD-1.1 (31–35 = 1st–5th week of the month).</param>
/// <param name="LunarMonth">ZFD-1.2 (may exceed 12).</param>
/// <param name="LunarYear">ZFD-1.3.</param>
/// <param name="WeeksOfGestation">ZFD-2.</param>
/// <param name="SmsConsent">ZFD-3.</param>
/// <param name="BirthDateCorrected">ZFD-4.</param>
/// <param name="CollectionMode">ZFD-5 as written.</param>
/// <param name="Channel">ZFD-5 when it is a known collection channel.</param>
/// <param name="InsiCallDate">ZFD-6.</param>
/// <param name="DocumentType">ZFD-7.</param>
/// <param name="DocumentExpiry">ZFD-8.</param>
public sealed record PamZfd(
    string? LunarDay,
    string? LunarMonth,
    string? LunarYear,
    int? WeeksOfGestation,
    bool? SmsConsent,
    bool? BirthDateCorrected,
    string? CollectionMode,
    CollectionChannel? Channel,
    DateOnly? InsiCallDate,
    string? DocumentType,
    DateOnly? DocumentExpiry);

/// <summary>
/// The patient identity carried by a PAM France message, as received: identifiers, traits, status and attributes, the
/// INS when it may be integrated, and every finding of the mapping. The message itself is never refused here.
/// </summary>
public sealed record PamPatient
{
    /// <summary>The IPP: the first PID-3 repetition typed <c>PI</c>, with its assigning authority.</summary>
    public Cx? Ipp { get; init; }

    /// <summary>Every PID-3 repetition that is neither an INS nor an NSS (IPP, other domains' identifiers…).</summary>
    public IReadOnlyList<Cx> LocalIdentifiers { get; init; } = [];

    /// <summary>NSS (billing NIR, CX-5 <c>NH</c>): never an INS, whatever its OID.</summary>
    public IReadOnlyList<Cx> Nss { get; init; } = [];

    /// <summary>The INS to integrate: well formed, right key, INS OID allowed by the policy, PID-32 <c>VALI</c>, no doubtful or
    /// fictitious attribute. Null otherwise (see <see cref="Issues"/>).</summary>
    public InsIdentifier? Ins { get; init; }

    /// <summary>The INS as read from PID-3 when well formed, even when it may not be integrated (for display and audit).</summary>
    public InsIdentifier? InsAsReceived { get; init; }

    /// <summary>True when PID-3 carries an INS deletion (<c>""</c> with an INS OID, as in A47).</summary>
    public bool InsDeleted { get; init; }

    /// <summary>PID-32 status as written (<c>PROV</c>, <c>VALI</c>…), or null.</summary>
    public string? StatusCode { get; init; }

    /// <summary>The status at the sender, in RNIV terms: <c>VALI</c> with an INS is a qualified identity (QUAL), <c>VALI</c>
    /// alone is validated, <c>PROV</c> provisional. Whether the receiver records QUAL without its own checks is a local policy.</summary>
    public IdentityStatus? SenderStatus { get; init; }

    /// <summary>PID-32 attributes (HOMA, DOUT, FICT; the legacy FICTI read as FICT).</summary>
    public IdentityAttributes Attributes { get; init; }

    /// <summary>Other PID-32 codes (table 0445 management codes such as HOMD, DOUB), kept as written.</summary>
    public IReadOnlyList<string> OtherReliabilityCodes { get; init; } = [];

    /// <summary>The traits (PID-5 L and D, PID-7, PID-8, PID-11 BDL, ZFD-4), or null when they are not valid (see <see cref="Issues"/>).</summary>
    public IdentityTraits? Traits { get; init; }

    /// <summary>A pseudonym (PID-5 type <c>S</c>), if any.</summary>
    public string? Pseudonym { get; init; }

    /// <summary>ZFD, when present.</summary>
    public PamZfd? Zfd { get; init; }

    /// <summary>Everything the mapping noticed.</summary>
    public IReadOnlyList<PamIssue> Issues { get; init; } = [];

    /// <summary>True when the sender declares the identity qualified (PID-32 VALI with an INS that may be integrated).</summary>
    public bool QualifiedAtSender => Ins is not null;
}
