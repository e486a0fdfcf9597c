using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SanteGateway.Store;
using SanteGateway.Store.Entities;

namespace SanteGateway.Server.Security;

/// <summary>
/// API keys: <c>sgw_{id}_{secret}</c> with a 256-bit random secret. Only the SHA-256 of the whole key is stored;
/// lookup is by the public id and the hash comparison is constant-time.
/// </summary>
public static class ApiKeys
{
    /// <summary>Header carrying the key.</summary>
    public const string Header = "X-Api-Key";

    /// <summary>Authentication scheme name.</summary>
    public const string Scheme = "ApiKey";

    /// <summary>Prefix of the <c>Authorization</c> header value when the key is sent as a bearer token.</summary>
    public const string BearerPrefix = "Bearer ";

    /// <summary>
    /// Whether the request presents a key, either in <see cref="Header"/> or as <c>Authorization: Bearer sgw_…</c>
    /// (the form FHIR and OAuth-minded clients send). A bearer value that is not a gateway key is not ours: it is ignored.
    /// </summary>
    public static bool IsPresented(HttpRequest request) => TryGetPresented(request, out _);

    /// <summary>The key the request presents (see <see cref="IsPresented"/>); the header wins when both are sent.</summary>
    public static bool TryGetPresented(HttpRequest request, out string key)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Headers.TryGetValue(Header, out var values))
        {
            key = values.ToString();
            return true;
        }

        var authorization = request.Headers.Authorization.ToString();
        if (authorization.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase)
            && authorization.AsSpan(BearerPrefix.Length).TrimStart().StartsWith("sgw_", StringComparison.Ordinal))
        {
            key = authorization[BearerPrefix.Length..].Trim();
            return true;
        }

        key = "";
        return false;
    }

    /// <summary>Creates a key and its stored record. The plain key is returned once and never stored.</summary>
    public static (string Key, ApiKeyRecord Record) Create(string name, IEnumerable<string> roles, string createdBy, DateTimeOffset now)
    {
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        var secret = Base64Url(RandomNumberGenerator.GetBytes(32));
        var key = $"sgw_{id}_{secret}";
        return (key, new ApiKeyRecord
        {
            Id = id,
            Name = name,
            SecretHash = Hash(key),
            Roles = string.Join(',', roles),
            CreatedBy = createdBy,
            CreatedAt = now,
        });
    }

    /// <summary>Lower-case hex SHA-256 of a key.</summary>
    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    /// <summary>Extracts the public id of a well-formed key.</summary>
    public static bool TryGetId(string? key, out string id)
    {
        id = "";
        if (key is null || key.Length > 128 || !key.StartsWith("sgw_", StringComparison.Ordinal))
        {
            return false;
        }

        var end = key.IndexOf('_', 4);
        if (end != 20)
        {
            return false;
        }

        id = key[4..end];
        return true;
    }

    /// <summary>Constant-time check of a presented key against a stored hash.</summary>
    public static bool Matches(string presented, string storedHash)
    {
        var a = SHA256.HashData(Encoding.UTF8.GetBytes(presented));
        byte[] b;
        try
        {
            b = Convert.FromHexString(storedHash);
        }
        catch (FormatException)
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(a, b);
    }

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '.');
}

/// <summary>Authenticates <c>X-Api-Key</c> (or <c>Authorization: Bearer</c>) requests against the stored key hashes.</summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    GatewayDbContext db,
    TimeProvider clock)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!ApiKeys.TryGetPresented(Request, out var presented))
        {
            return AuthenticateResult.NoResult();
        }

        if (!ApiKeys.TryGetId(presented, out var id))
        {
            return AuthenticateResult.Fail("Malformed API key.");
        }

        // Read on every request: a revoked or expired key stops working at once, on every instance.
        var record = await db.ApiKeys.AsNoTracking().FirstOrDefaultAsync(k => k.Id == id, Context.RequestAborted).ConfigureAwait(false);
        var now = clock.GetUtcNow();
        if (record is null || record.RevokedAt is not null || record.ExpiresAt <= now || !ApiKeys.Matches(presented, record.SecretHash))
        {
            return AuthenticateResult.Fail("Unknown, revoked or expired API key.");
        }

        if (record.LastUsedAt is null || now - record.LastUsedAt > TimeSpan.FromMinutes(1))
        {
            // At most one write a minute per key; a lost race only loses a timestamp.
            var stamp = SanteGateway.Store.Audit.AuditHasher.Truncate(now);
            await db.ApiKeys.Where(k => k.Id == id).ExecuteUpdateAsync(u => u.SetProperty(k => k.LastUsedAt, stamp), Context.RequestAborted).ConfigureAwait(false);
        }

        var claims = new List<Claim> { new(ClaimTypes.Name, $"apikey:{record.Id}"), new(ClaimTypes.NameIdentifier, $"apikey:{record.Id}") };
        if (!string.IsNullOrEmpty(record.Establishment))
        {
            claims.Add(new Claim(SanteGateway.Application.EstablishmentClaims.Type, record.Establishment));
        }

        claims.AddRange(record.Roles.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(r => new Claim(ClaimTypes.Role, r)));
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, Scheme.Name));
        return AuthenticateResult.Success(new AuthenticationTicket(principal, Scheme.Name));
    }
}
