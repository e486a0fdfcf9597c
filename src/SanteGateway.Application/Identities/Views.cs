using SanteGateway.Identity;

namespace SanteGateway.Application;

/// <summary>An INS the identity holds or held.</summary>
/// <param name="Matricule">Matricule (15 characters).</param>
/// <param name="Oid">Assigning authority OID.</param>
/// <param name="ObtainedAt">When the gateway recorded it.</param>
/// <param name="Source"><c>INSI</c> (active INS obtained from INSi) or <c>INSHISTO</c> (history INSi returned).</param>
/// <param name="Active">True for the row in force (the active INS and the history INSi returned with it).</param>
/// <param name="ValidFrom">INSi DateDeb.</param>
/// <param name="ValidTo">INSi DateFin.</param>
public sealed record InsView(string Matricule, string Oid, DateTimeOffset ObtainedAt, string Source, bool Active, DateOnly? ValidFrom = null, DateOnly? ValidTo = null);

/// <summary>A document check.</summary>
/// <param name="Id">Row id.</param>
/// <param name="DocumentType">Type code.</param>
/// <param name="HighTrust">In the structure's high-trust list.</param>
/// <param name="CheckedOn">Day of the check.</param>
/// <param name="ExpiresOn">Document expiry.</param>
/// <param name="CheckedBy">Who checked it.</param>
/// <param name="WithdrawnAt">When it stopped counting.</param>
public sealed record EvidenceView(Guid Id, string DocumentType, bool HighTrust, DateOnly CheckedOn, DateOnly? ExpiresOn, string CheckedBy, DateTimeOffset? WithdrawnAt);

/// <summary>An identifier in another domain.</summary>
/// <param name="Authority">Assigning authority.</param>
/// <param name="Value">Identifier.</param>
/// <param name="Kind">Kind.</param>
public sealed record ExternalIdView(string Authority, string Value, string Kind);

/// <summary>An identity.</summary>
/// <param name="Id">Id.</param>
/// <param name="Version">Version (ETag).</param>
/// <param name="Status">PROV, RECUP, VALI or QUAL.</param>
/// <param name="Attributes">HOMA, DOUT, FICT.</param>
/// <param name="CanTransmitIns">True only for QUAL: the INS may leave the system.</param>
/// <param name="BirthName">Birth name.</param>
/// <param name="BirthFirstNames">Birth first names.</param>
/// <param name="FirstFirstName">First first-name.</param>
/// <param name="Sex">F, M or U.</param>
/// <param name="BirthDate">Birth date (completed when partial).</param>
/// <param name="BirthDateDeclared">Birth date as declared (<c>1960-00-00</c> when partial).</param>
/// <param name="BirthDateCorrected">The corrected-date marker (HL7 ZFD-4, FR Core birthdate-update-indicator).</param>
/// <param name="BirthPlaceCog">Birth place COG code.</param>
/// <param name="UsedName">Used name.</param>
/// <param name="UsedFirstName">Used first name.</param>
/// <param name="CollectionChannel">SM, CV, INSI, CB, RFID, AV.</param>
/// <param name="Ins">The active INS.</param>
/// <param name="InsHistory">Every INS row, oldest first.</param>
/// <param name="Evidence">Document checks.</param>
/// <param name="InsiCalledAt">Last INSi answer applied.</param>
/// <param name="InsVerifiedAt">Last verification that confirmed the INS.</param>
/// <param name="ExternalIds">Identifiers in other domains.</param>
/// <param name="MergedInto">Set on a merged identity (tombstone): the surviving identity.</param>
/// <param name="CreatedAt">Creation time.</param>
/// <param name="UpdatedAt">Last change.</param>
public sealed record IdentityView(
    Guid Id,
    long Version,
    string Status,
    IReadOnlyList<string> Attributes,
    bool CanTransmitIns,
    string BirthName,
    string BirthFirstNames,
    string FirstFirstName,
    string Sex,
    DateOnly BirthDate,
    string BirthDateDeclared,
    bool BirthDateCorrected,
    string? BirthPlaceCog,
    string? UsedName,
    string? UsedFirstName,
    string CollectionChannel,
    InsView? Ins,
    IReadOnlyList<InsView> InsHistory,
    IReadOnlyList<EvidenceView> Evidence,
    DateTimeOffset? InsiCalledAt,
    DateTimeOffset? InsVerifiedAt,
    IReadOnlyList<ExternalIdView> ExternalIds,
    Guid? MergedInto,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

/// <summary>A search hit.</summary>
/// <param name="Id">Id.</param>
/// <param name="Status">Status.</param>
/// <param name="BirthName">Birth name.</param>
/// <param name="FirstFirstName">First first-name.</param>
/// <param name="Sex">Sex.</param>
/// <param name="BirthDate">Birth date.</param>
/// <param name="HomonymHints">Why it may be a homonym: <c>birth-name+birth-date</c>, <c>birth-name+first-name</c>.</param>
/// <param name="BirthPlaceCog">Birth place COG code (tells homonyms apart).</param>
/// <param name="Ins">The active INS matricule (tells homonyms apart).</param>
/// <param name="CreatedAt">Creation time.</param>
public sealed record IdentitySummary(
    Guid Id,
    string Status,
    string BirthName,
    string FirstFirstName,
    string Sex,
    DateOnly BirthDate,
    IReadOnlyList<string> HomonymHints,
    string? BirthPlaceCog = null,
    string? Ins = null,
    DateTimeOffset? CreatedAt = null);

/// <summary>A page of results.</summary>
/// <typeparam name="T">Item type.</typeparam>
/// <param name="Items">Items.</param>
/// <param name="Page">Page number from 1.</param>
/// <param name="PageSize">Page size.</param>
/// <param name="Total">Total count; a lower bound when <paramref name="TotalCapped"/> is true.</param>
/// <param name="TotalCapped">True when more than <paramref name="Total"/> items match: the count stopped at a cap
/// (identity search counts at most <see cref="IdentityService.SearchCountCap"/> rows) instead of reading them all.</param>
public sealed record Paged<T>(IReadOnlyList<T> Items, int Page, int PageSize, int Total, bool TotalCapped = false);

/// <summary>Outcome of an INSi search or verification through the gateway.</summary>
/// <param name="ExchangeId">The exchange of the retained answer (the last one).</param>
/// <param name="Outcome"><c>found</c>, <c>not-found</c>, <c>multiple</c> or <c>error</c>.</param>
/// <param name="Code">CR or error code.</param>
/// <param name="Applied">True when the identity was changed.</param>
/// <param name="Mismatches">Strict traits on which INSi disagrees (nothing applied).</param>
/// <param name="Message">What happened and what to do next.</param>
/// <param name="Identity">The identity after the call.</param>
/// <param name="Verification">Verification outcome (<c>confirmed</c>, <c>replaced-by-newer</c>, <c>mismatch</c>, <c>not-found</c>, <c>ambiguous</c>).</param>
/// <param name="Attempts">Every call of the first-name strategy.</param>
/// <param name="ExchangeIds">Every exchange recorded, in order.</param>
/// <param name="CollisionWith">The identity that already holds the returned INS (nothing applied, alert raised).</param>
/// <param name="AlertId">The alert raised for identity vigilance, if any.</param>
public sealed record InsiActionResult(
    Guid ExchangeId,
    string Outcome,
    string? Code,
    bool Applied,
    IReadOnlyList<TraitDifference> Mismatches,
    string? Message,
    IdentityView Identity,
    string? Verification = null,
    IReadOnlyList<InsiAttemptView>? Attempts = null,
    IReadOnlyList<Guid>? ExchangeIds = null,
    Guid? CollisionWith = null,
    Guid? AlertId = null);

/// <summary>Outcome of an INSi search with a Vitale card for a person the gateway may not know yet.</summary>
/// <param name="ExchangeId">The exchange of the answer.</param>
/// <param name="Outcome"><c>found</c>, <c>not-found</c>, <c>multiple</c> or <c>error</c>.</param>
/// <param name="Code">CR code.</param>
/// <param name="Created">True when an identity was created from INSi's answer (status RECUP: the card is never evidence).</param>
/// <param name="Message">What happened and what to do next.</param>
/// <param name="Identity">The identity created, or the one already holding the INS INSi returned; null otherwise.</param>
/// <param name="ExchangeIds">Every exchange recorded, in order.</param>
/// <param name="KnownIdentityId">The identity that already holds the returned INS (nothing created or changed).</param>
/// <param name="Duplicates">Identities with the same strict traits but not this INS (nothing created: search INSi for one of them).</param>
public sealed record InsiVitaleResult(
    Guid ExchangeId,
    string Outcome,
    string? Code,
    bool Created,
    string? Message,
    IdentityView? Identity,
    IReadOnlyList<Guid> ExchangeIds,
    Guid? KnownIdentityId = null,
    IReadOnlyList<DuplicateView>? Duplicates = null);

/// <summary>An audit event.</summary>
/// <param name="Sequence">Chain position.</param>
/// <param name="OccurredAt">When.</param>
/// <param name="Actor">Who.</param>
/// <param name="Source">Channel.</param>
/// <param name="Action">What.</param>
/// <param name="PreviousValues">Before (JSON).</param>
/// <param name="NewValues">After (JSON).</param>
/// <param name="Hash">Chain hash.</param>
public sealed record AuditView(long Sequence, DateTimeOffset OccurredAt, string Actor, string Source, string Action, string? PreviousValues, string? NewValues, string Hash);

/// <summary>A recorded INSi exchange.</summary>
/// <param name="Id">Id.</param>
/// <param name="Operation">search or verify.</param>
/// <param name="Outcome">Outcome.</param>
/// <param name="Detail">CR or error code.</param>
/// <param name="CertificateCn">Certificate CN.</param>
/// <param name="DurationMs">Duration.</param>
/// <param name="Actor">Who.</param>
/// <param name="OccurredAt">When.</param>
/// <param name="RequestXml">Request.</param>
/// <param name="ResponseXml">Response.</param>
public sealed record InsiExchangeView(Guid Id, string Operation, string Outcome, string? Detail, string? CertificateCn, long DurationMs, string Actor, DateTimeOffset OccurredAt, string? RequestXml, string? ResponseXml);

/// <summary>An existing identity a create or update would duplicate.</summary>
/// <param name="Id">Its id.</param>
/// <param name="Reason"><c>same-strict-traits</c> or <c>same-ins</c>.</param>
public sealed record DuplicateView(Guid Id, string Reason);

/// <summary>A potential duplicate to review.</summary>
/// <param name="Id">The other identity.</param>
/// <param name="Reasons">Why: <c>same-birth-name</c>, <c>phonetic-birth-name</c>, <c>close-first-name</c>, <c>same-first-name</c>.</param>
public sealed record PotentialDuplicateView(Guid Id, IReadOnlyList<string> Reasons);
