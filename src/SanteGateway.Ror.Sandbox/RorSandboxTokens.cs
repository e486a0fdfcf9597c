using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace SanteGateway.Ror.Sandbox;

/// <summary>What a valid sandbox token says about its client.</summary>
/// <param name="ClientId">The client.</param>
/// <param name="AccessProfile">Its access profile.</param>
/// <param name="WritableEstablishments">EGs it may write capacities for (<c>*</c> = all).</param>
/// <param name="ExpiresAt">Expiry.</param>
public sealed record RorSandboxPrincipal(string ClientId, int AccessProfile, IReadOnlyList<string> WritableEstablishments, DateTimeOffset ExpiresAt)
{
    /// <summary>True when the client may write capacities of <paramref name="egIdentifier"/>.</summary>
    /// <param name="egIdentifier">IdNatStruct of the EG.</param>
    /// <returns>True when allowed.</returns>
    public bool MayWrite(string egIdentifier) => WritableEstablishments.Contains("*") || WritableEstablishments.Contains(egIdentifier);
}

/// <summary>Issues and checks the sandbox's JWTs (HS256 with a key made at start; <c>exp</c> against the sandbox clock).</summary>
internal sealed class RorSandboxTokens(TimeProvider time)
{
    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);

    public int Issued { get; private set; }

    public (string Token, int ExpiresIn) Issue(RorSandboxClient client, TimeSpan lifetime)
    {
        var now = time.GetUtcNow();
        var header = B64(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object> { ["alg"] = "HS256", ["typ"] = "JWT" }));
        var payload = B64(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["iss"] = "ror-sandbox",
            ["sub"] = client.ClientId,
            ["azp"] = client.ClientId,
            ["iat"] = now.ToUnixTimeSeconds(),
            ["exp"] = (now + lifetime).ToUnixTimeSeconds(),
            ["jti"] = Guid.NewGuid().ToString("N"),
            ["ror_profile"] = client.AccessProfile,
            ["ror_establishments"] = client.WritableEstablishments,
        }));
        var signature = B64(HMACSHA256.HashData(_key, Encoding.ASCII.GetBytes(header + "." + payload)));
        Issued++;
        return (header + "." + payload + "." + signature, (int)lifetime.TotalSeconds);
    }

    /// <summary>Checks signature and expiry; returns null with the reason when invalid.</summary>
    public RorSandboxPrincipal? Check(string token, out string reason)
    {
        var parts = token.Split('.');
        if (parts.Length != 3)
        {
            reason = "malformed token";
            return null;
        }

        var expected = HMACSHA256.HashData(_key, Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]));
        byte[] given;
        try
        {
            given = Unb64(parts[2]);
        }
        catch (FormatException)
        {
            reason = "malformed signature";
            return null;
        }

        if (!CryptographicOperations.FixedTimeEquals(expected, given))
        {
            reason = "bad signature";
            return null;
        }

        using var doc = JsonDocument.Parse(Unb64(parts[1]));
        var root = doc.RootElement;
        var exp = DateTimeOffset.FromUnixTimeSeconds(root.GetProperty("exp").GetInt64());
        if (time.GetUtcNow() >= exp)
        {
            reason = "token expired";
            return null;
        }

        reason = string.Empty;
        return new RorSandboxPrincipal(
            root.GetProperty("sub").GetString()!,
            root.GetProperty("ror_profile").GetInt32(),
            root.GetProperty("ror_establishments").EnumerateArray().Select(e => e.GetString()!).ToArray(),
            exp);
    }

    private static string B64(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[] Unb64(string text)
    {
        var s = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(s.PadRight(s.Length + ((4 - (s.Length % 4)) % 4), '='));
    }
}
