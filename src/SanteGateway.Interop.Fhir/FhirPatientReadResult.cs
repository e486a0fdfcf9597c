using SanteGateway.Identity;

namespace SanteGateway.Interop.Fhir;

/// <summary>Something read from a resource that was refused or tolerated.</summary>
/// <param name="Path">Where, as a FHIRPath-like location (e.g. <c>Patient.identifier[0].value</c>).</param>
/// <param name="Rule">A stable rule identifier (e.g. <c>ins-key</c>, <c>ins-requires-qualified-status</c>).</param>
/// <param name="Message">A readable explanation; it does not repeat identity data.</param>
public sealed record FhirReadIssue(string Path, string Rule, string Message)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Path}: {Rule}: {Message}";
}

/// <summary>What a partner's Patient says, mapped to the domain types, with what was refused and what was tolerated.</summary>
/// <remarks>This is the sender's view. Whether the gateway stores the identity, and with which status, is decided by the inbound
/// gate; <see cref="ToRnivIdentity"/> only rebuilds an identity when the received data satisfies the RNIV invariants.</remarks>
public sealed record FhirPatientReadResult
{
    /// <summary>The resource id.</summary>
    public string? Id { get; init; }

    /// <summary>The traits, or null when they could not be built (see <see cref="Refused"/>).</summary>
    public IdentityTraits? Traits { get; init; }

    /// <summary>The status as the sender meant it (VALI + INS in table 0445 = QUAL), or null when none was sent.</summary>
    public IdentityStatus? Status { get; init; }

    /// <summary>The status code exactly as received (e.g. <c>VALI</c>), or null.</summary>
    public string? StatusCode { get; init; }

    /// <summary>The attributes received (HOMA, DOUT, FICT).</summary>
    public IdentityAttributes Attributes { get; init; }

    /// <summary>The INS, when one was received with a qualified identity and passed every check.</summary>
    public InsIdentifier? Ins { get; init; }

    /// <summary>Former INS (<c>use = old</c>), when <see cref="Ins"/> was accepted.</summary>
    public IReadOnlyList<InsIdentifier> InsHistory { get; init; } = [];

    /// <summary>The collection channel (<c>methodCollection</c>), or null.</summary>
    public CollectionChannel? Channel { get; init; }

    /// <summary>When INSi was called (<c>dateCollection</c> / <c>dateInterrogationINSi</c>), or null.</summary>
    public DateOnly? InsiCalledOn { get; init; }

    /// <summary>The type of the checked identity document (<c>validationMode</c>), or null.</summary>
    public string? ValidationMode { get; init; }

    /// <summary>When the document was checked (<c>validationDate</c>), or null.</summary>
    public DateOnly? ValidationDate { get; init; }

    /// <summary>The document check, when both its type and its date were received.</summary>
    public Evidence? Evidence => ValidationMode is { } mode && ValidationDate is { } date ? new Evidence(mode, date, null) : null;

    /// <summary>Local identifiers (every identifier that is not an INS).</summary>
    public IReadOnlyList<LocalIdentifier> LocalIdentifiers { get; init; } = [];

    /// <summary>The reference of the survivor when the Patient says it was replaced (merged), or null.</summary>
    public string? ReplacedBy { get; init; }

    /// <summary><c>Patient.active</c>, or null.</summary>
    public bool? Active { get; init; }

    /// <summary>What was refused: the datum is not in this result.</summary>
    public IReadOnlyList<FhirReadIssue> Refused { get; init; } = [];

    /// <summary>Deviations that were tolerated (read anyway) or data that was ignored on purpose.</summary>
    public IReadOnlyList<FhirReadIssue> Notes { get; init; } = [];

    /// <summary>Rebuilds an RNIV identity from what was received (status PROV and manual entry when none was sent).</summary>
    /// <returns>The identity, or the RNIV invariants it breaks (e.g. VALI without a document check).</returns>
    public ValidationResult<RnivIdentity> ToRnivIdentity() =>
        RnivIdentity.Restore(
            Traits,
            Status ?? IdentityStatus.Prov,
            Attributes,
            Ins,
            InsHistory,
            Status is IdentityStatus.Vali or IdentityStatus.Qual ? Evidence : null,
            Channel ?? CollectionChannel.SM,
            InsiCalledOn is { } d ? new DateTimeOffset(d.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero) : null);
}
