namespace SanteGateway.Server.Identities;

/// <summary>Body of <c>POST /api/admin/api-keys</c>.</summary>
internal sealed record CreateApiKeyRequest(string? Name, IReadOnlyList<string>? Roles);

/// <summary>Answer of <c>POST /api/admin/api-keys</c>: the key is shown once.</summary>
internal sealed record CreatedApiKey(string Id, string Name, IReadOnlyList<string> Roles, string Key);

/// <summary>Body of <c>POST /api/admin/users</c>.</summary>
internal sealed record CreateUserRequest(string? UserName, string? Password, IReadOnlyList<string>? Roles);

/// <summary>Body of <c>POST /api/auth/login</c>.</summary>
internal sealed record LoginRequest(string? UserName, string? Password);
