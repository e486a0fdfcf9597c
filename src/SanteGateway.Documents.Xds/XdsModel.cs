using System.Globalization;

namespace SanteGateway.Documents.Xds;

/// <summary>A coded value: code, coding scheme (OID), display name.</summary>
/// <param name="Code">Code (nodeRepresentation).</param>
/// <param name="Scheme">Coding scheme (OID).</param>
/// <param name="Display">Display name.</param>
public sealed record XdsCode(string Code, string Scheme, string? Display = null);

/// <summary>An author: person as an XCN, institution as an XON (HL7 v2 data types).</summary>
/// <param name="Person">authorPerson (XCN), e.g. <c>810001234567^DUPONT^JEAN^^^^^^&amp;1.2.250.1.71.4.2.1&amp;ISO</c>.</param>
/// <param name="Institution">authorInstitution (XON), or null.</param>
public sealed record XdsAuthor(string? Person, string? Institution);

/// <summary>The metadata of one document entry.</summary>
public sealed record XdsDocumentEntry
{
    /// <summary>entryUUID (<c>urn:uuid:…</c>).</summary>
    public required string EntryUuid { get; init; }

    /// <summary>uniqueId.</summary>
    public required string UniqueId { get; init; }

    /// <summary>patientId (CX).</summary>
    public required string PatientId { get; init; }

    /// <summary>sourcePatientId (CX).</summary>
    public string? SourcePatientId { get; init; }

    /// <summary>classCode.</summary>
    public XdsCode? ClassCode { get; init; }

    /// <summary>typeCode.</summary>
    public XdsCode? TypeCode { get; init; }

    /// <summary>formatCode.</summary>
    public XdsCode? FormatCode { get; init; }

    /// <summary>confidentialityCode.</summary>
    public XdsCode? ConfidentialityCode { get; init; }

    /// <summary>healthcareFacilityTypeCode.</summary>
    public XdsCode? HealthcareFacilityTypeCode { get; init; }

    /// <summary>practiceSettingCode.</summary>
    public XdsCode? PracticeSettingCode { get; init; }

    /// <summary>Title.</summary>
    public string? Title { get; init; }

    /// <summary>languageCode.</summary>
    public string? LanguageCode { get; init; }

    /// <summary>mimeType.</summary>
    public string? MimeType { get; init; }

    /// <summary>creationTime (DTM, UTC).</summary>
    public string? CreationTime { get; init; }

    /// <summary>serviceStartTime (DTM).</summary>
    public string? ServiceStartTime { get; init; }

    /// <summary>SHA-1, hex.</summary>
    public string? Hash { get; init; }

    /// <summary>Size in bytes.</summary>
    public long? Size { get; init; }

    /// <summary>Authors.</summary>
    public IReadOnlyList<XdsAuthor> Authors { get; init; } = [];

    /// <summary>repositoryUniqueId (query results).</summary>
    public string? RepositoryUniqueId { get; init; }

    /// <summary>Availability status (query results).</summary>
    public string? Status { get; init; }
}

/// <summary>The metadata of a submission set.</summary>
public sealed record XdsSubmissionSet
{
    /// <summary>entryUUID.</summary>
    public required string EntryUuid { get; init; }

    /// <summary>uniqueId (an OID).</summary>
    public required string UniqueId { get; init; }

    /// <summary>sourceId (OID of the sending system).</summary>
    public required string SourceId { get; init; }

    /// <summary>patientId (CX).</summary>
    public required string PatientId { get; init; }

    /// <summary>submissionTime (DTM).</summary>
    public required string SubmissionTime { get; init; }

    /// <summary>contentTypeCode.</summary>
    public XdsCode? ContentTypeCode { get; init; }

    /// <summary>Title.</summary>
    public string? Title { get; init; }

    /// <summary>Authors.</summary>
    public IReadOnlyList<XdsAuthor> Authors { get; init; } = [];
}

/// <summary>An ITI-41 request: one submission set with one document.</summary>
/// <param name="SubmissionSet">The submission set.</param>
/// <param name="Entry">The document entry.</param>
/// <param name="Content">The document bytes (sent as an MTOM attachment).</param>
/// <param name="ReplacesEntryUuid">entryUUID of the document this one replaces (RPLC association), if any.</param>
public sealed record XdsProvideRequest(XdsSubmissionSet SubmissionSet, XdsDocumentEntry Entry, ReadOnlyMemory<byte> Content, string? ReplacesEntryUuid = null);

/// <summary>One registry error.</summary>
/// <param name="ErrorCode">errorCode, e.g. <c>XDSRegistryMetadataError</c>.</param>
/// <param name="CodeContext">codeContext.</param>
/// <param name="Location">location.</param>
/// <param name="Severity">severity (URN).</param>
public sealed record XdsRegistryError(string ErrorCode, string? CodeContext, string? Location = null, string Severity = XdsUuids.SeverityError);

/// <summary>A RegistryResponse.</summary>
/// <param name="Status">Status URN.</param>
/// <param name="Errors">Errors and warnings.</param>
public sealed record XdsRegistryResponse(string Status, IReadOnlyList<XdsRegistryError> Errors)
{
    /// <summary>True on Success.</summary>
    public bool IsSuccess => Status == XdsUuids.Success;
}

/// <summary>An ITI-18 answer.</summary>
/// <param name="Response">Status and errors.</param>
/// <param name="Entries">The document entries found.</param>
public sealed record XdsQueryResponse(XdsRegistryResponse Response, IReadOnlyList<XdsDocumentEntry> Entries);

/// <summary>A retrieved document.</summary>
/// <param name="RepositoryUniqueId">Repository.</param>
/// <param name="DocumentUniqueId">Document uniqueId.</param>
/// <param name="MimeType">MIME type.</param>
/// <param name="Content">Bytes.</param>
public sealed record XdsRetrievedDocument(string RepositoryUniqueId, string DocumentUniqueId, string? MimeType, byte[] Content);

/// <summary>An ITI-43 answer.</summary>
/// <param name="Response">Status and errors.</param>
/// <param name="Documents">The documents.</param>
public sealed record XdsRetrieveResponse(XdsRegistryResponse Response, IReadOnlyList<XdsRetrievedDocument> Documents);

/// <summary>State of a DMP as the status request answers it.</summary>
public enum XdsDmpState
{
    /// <summary>Active: may be fed.</summary>
    Active,

    /// <summary>No DMP.</summary>
    None,

    /// <summary>Closed.</summary>
    Closed,

    /// <summary>The patient opposed feeding.</summary>
    Opposed,
}

/// <summary>XDS date-time (DTM) formatting: <c>YYYYMMDDHHMMSS</c> in UTC.</summary>
public static class XdsTime
{
    /// <summary>Formats an instant.</summary>
    /// <param name="t">The instant.</param>
    /// <returns>The DTM text.</returns>
    public static string Format(DateTimeOffset t) => t.UtcDateTime.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture);

    /// <summary>True for a DTM of 4 to 14 digits with an even length (year, month, day, hour, minute, second precision).</summary>
    /// <param name="value">Text.</param>
    /// <returns>Whether it is a DTM.</returns>
    public static bool IsValid(string? value) =>
        value is { Length: 4 or 6 or 8 or 10 or 12 or 14 } && value.All(char.IsAsciiDigit);
}
