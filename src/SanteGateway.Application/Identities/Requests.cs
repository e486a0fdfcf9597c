namespace SanteGateway.Application;

/// <summary>A document check as entered.</summary>
/// <param name="DocumentType">Document type code (PAM ZFD-7 / FR Core: CN, PA, CS…).</param>
/// <param name="CheckedOn">Day of the check (<c>YYYY-MM-DD</c>).</param>
/// <param name="ExpiresOn">Document expiry (<c>YYYY-MM-DD</c>), when it has one.</param>
public sealed record EvidenceInput(string? DocumentType, string? CheckedOn, string? ExpiresOn);

/// <summary>An identifier of the person in another domain (IPP, partner id).</summary>
/// <param name="Authority">Assigning authority (OID or namespace).</param>
/// <param name="Value">Identifier.</param>
/// <param name="Kind">Kind (<c>PI</c> by default).</param>
public sealed record ExternalIdInput(string? Authority, string? Value, string? Kind = null);

/// <summary>Create an identity.</summary>
/// <param name="BirthName">Birth name.</param>
/// <param name="BirthFirstNames">Birth first names, space separated.</param>
/// <param name="FirstFirstName">First first-name (defaults to the first of the list).</param>
/// <param name="Sex">F, M or U.</param>
/// <param name="BirthDate">Birth date, full or partial (<c>1960-00-00</c>).</param>
/// <param name="BirthPlaceCog">Birth place COG code.</param>
/// <param name="UsedName">Used name.</param>
/// <param name="UsedFirstName">Used first name.</param>
/// <param name="CollectionChannel">SM (default), CV, CB, RFID or AV.</param>
/// <param name="Evidence">Document checked at creation.</param>
/// <param name="Force">Create even though an identity with the same strict traits exists (identity vigilance, with a reason).</param>
/// <param name="Reason">Why the duplicate is forced (audited).</param>
/// <param name="ExternalIds">Identifiers in other domains.</param>
public sealed record CreateIdentityRequest(
    string? BirthName,
    string? BirthFirstNames,
    string? FirstFirstName,
    string? Sex,
    string? BirthDate,
    string? BirthPlaceCog,
    string? UsedName,
    string? UsedFirstName,
    string? CollectionChannel,
    EvidenceInput? Evidence,
    bool? Force = null,
    string? Reason = null,
    IReadOnlyList<ExternalIdInput>? ExternalIds = null);

/// <summary>Change traits (omitted fields keep their value; an empty string clears an optional one).</summary>
/// <param name="Version">Expected version (or If-Match).</param>
/// <param name="BirthName">Birth name.</param>
/// <param name="BirthFirstNames">Birth first names.</param>
/// <param name="FirstFirstName">First first-name.</param>
/// <param name="Sex">F, M or U.</param>
/// <param name="BirthDate">Birth date.</param>
/// <param name="BirthPlaceCog">Birth place COG code.</param>
/// <param name="UsedName">Used name.</param>
/// <param name="UsedFirstName">Used first name.</param>
/// <param name="Force">Keep the change although another identity has the same strict traits (identity vigilance).</param>
/// <param name="Reason">Why (audited).</param>
public sealed record PatchIdentityRequest(
    long? Version,
    string? BirthName,
    string? BirthFirstNames,
    string? FirstFirstName,
    string? Sex,
    string? BirthDate,
    string? BirthPlaceCog,
    string? UsedName,
    string? UsedFirstName,
    bool? Force = null,
    string? Reason = null);

/// <summary>Set or clear the RNIV attributes.</summary>
/// <param name="Version">Expected version.</param>
/// <param name="Homonym">HOMA.</param>
/// <param name="Doubtful">DOUT.</param>
/// <param name="Fictitious">FICT.</param>
public sealed record AttributesRequest(long? Version, bool? Homonym, bool? Doubtful, bool? Fictitious);

/// <summary>Withdraw the document check.</summary>
/// <param name="Version">Expected version.</param>
/// <param name="Reason">Why (required, audited).</param>
public sealed record RevertRequest(long? Version, string? Reason);

/// <summary>Options of an INSi search or verification.</summary>
/// <param name="ConfirmTransliteration">The user saw and accepted the transliterated traits (audited).</param>
public sealed record InsiCallRequest(bool? ConfirmTransliteration = null);

/// <summary>
/// Data read from a Vitale card for an INSi search (<c>rechercherInsAvecCarteVitale</c>). The card tells INSi whom to
/// look up; it is never identity evidence: nothing read from it validates an identity.
/// </summary>
/// <param name="InsuredNir">NIR of the insured person: 13 characters (6 digits, a digit or A/B, 6 digits), optionally followed by its 2-digit key.</param>
/// <param name="BeneficiaryNir">The beneficiary's own NIR when the card carries it (same form).</param>
/// <param name="BirthName">The beneficiary's name as on the card.</param>
/// <param name="BirthDate">The beneficiary's birth date as on the card, <c>YYYY-MM-DD</c> (a lunar date such as <c>1960-00-00</c> is sent as is).</param>
/// <param name="Rank">Birth rank on the card (twins), 1 to 9; 1 when absent.</param>
public sealed record InsiVitaleRequest(string? InsuredNir, string? BeneficiaryNir, string? BirthName, string? BirthDate, int? Rank = null);

/// <summary>Merge another identity into this one.</summary>
/// <param name="From">The identity that disappears (becomes a tombstone).</param>
/// <param name="Reason">Why (required, audited).</param>
public sealed record MergeRequest(Guid? From, string? Reason);

/// <summary>Close an alert.</summary>
/// <param name="Reason">What was done (required, audited).</param>
public sealed record ResolveAlertRequest(string? Reason);
