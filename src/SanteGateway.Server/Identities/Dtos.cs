namespace SanteGateway.Server.Identities;

/// <summary>A checked document.</summary>
internal sealed record EvidenceInput(string? DocumentType, string? CheckedOn, string? ExpiresOn);

/// <summary>Body of <c>POST /api/identities</c>.</summary>
internal sealed record CreateIdentityRequest(
    string? BirthName,
    string? BirthFirstNames,
    string? FirstFirstName,
    string? Sex,
    string? BirthDate,
    string? BirthPlaceCog,
    string? UsedName,
    string? UsedFirstName,
    string? CollectionChannel,
    EvidenceInput? Evidence);

/// <summary>Body of <c>PATCH /api/identities/{id}</c>: null leaves a trait unchanged, "" clears an optional one.</summary>
internal sealed record PatchIdentityRequest(
    long? Version,
    string? BirthName,
    string? BirthFirstNames,
    string? FirstFirstName,
    string? Sex,
    string? BirthDate,
    string? BirthPlaceCog,
    string? UsedName,
    string? UsedFirstName);

/// <summary>Body of <c>POST /api/identities/{id}/attributes</c>.</summary>
internal sealed record AttributesRequest(long? Version, bool? Homonym, bool? Doubtful, bool? Fictitious);

/// <summary>Body of <c>POST /api/identities/{id}/revert-qualification</c>.</summary>
internal sealed record RevertRequest(long? Version, string? Reason);

/// <summary>An INS held by an identity.</summary>
internal sealed record InsView(string Matricule, string Oid, DateTimeOffset ObtainedAt, string Source, bool Active);

/// <summary>A document checked for an identity.</summary>
internal sealed record EvidenceView(Guid Id, string DocumentType, bool HighTrust, DateOnly CheckedOn, DateOnly? ExpiresOn, string CheckedBy, DateTimeOffset? WithdrawnAt);

/// <summary>An identity as returned by the API.</summary>
internal sealed record IdentityView(
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
    string? BirthPlaceCog,
    string? UsedName,
    string? UsedFirstName,
    string CollectionChannel,
    InsView? Ins,
    IReadOnlyList<InsView> InsHistory,
    IReadOnlyList<EvidenceView> Evidence,
    DateTimeOffset? InsiCalledAt,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

/// <summary>One search hit.</summary>
internal sealed record IdentitySummary(
    Guid Id,
    string Status,
    string BirthName,
    string FirstFirstName,
    string Sex,
    DateOnly BirthDate,
    IReadOnlyList<string> HomonymHints);

/// <summary>A page of results.</summary>
internal sealed record Paged<T>(IReadOnlyList<T> Items, int Page, int PageSize, int Total);

/// <summary>A trait where INSi and the local identity disagree.</summary>
internal sealed record TraitMismatch(string Field, string? Local, string? Insi);

/// <summary>Answer of the INSi endpoints.</summary>
internal sealed record InsiActionResult(
    Guid ExchangeId,
    string Outcome,
    string? Code,
    bool Applied,
    IReadOnlyList<TraitMismatch> Mismatches,
    string? Message,
    IdentityView Identity);

/// <summary>An audit event as returned by the API.</summary>
internal sealed record AuditView(long Sequence, DateTimeOffset OccurredAt, string Actor, string Source, string Action, string? PreviousValues, string? NewValues, string Hash);

/// <summary>Body of <c>POST /api/admin/api-keys</c>.</summary>
internal sealed record CreateApiKeyRequest(string? Name, IReadOnlyList<string>? Roles);

/// <summary>Answer of <c>POST /api/admin/api-keys</c>: the key is shown once.</summary>
internal sealed record CreatedApiKey(string Id, string Name, IReadOnlyList<string> Roles, string Key);

/// <summary>Body of <c>POST /api/admin/users</c>.</summary>
internal sealed record CreateUserRequest(string? UserName, string? Password, IReadOnlyList<string>? Roles);

/// <summary>Body of <c>POST /api/auth/login</c>.</summary>
internal sealed record LoginRequest(string? UserName, string? Password);

/// <summary>An INSi exchange as returned by the API (raw XML included: identity-vigilance traceability).</summary>
internal sealed record InsiExchangeView(Guid Id, string Operation, string Outcome, string? Detail, string? CertificateCn, long DurationMs, string Actor, DateTimeOffset OccurredAt, string? RequestXml, string? ResponseXml);
