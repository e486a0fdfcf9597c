using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using SanteGateway.Store.Entities;

namespace SanteGateway.Store.Audit;

/// <summary>
/// The canonical image of an identity row as an audit event commits to it: every column of <c>identities</c> in a fixed
/// order, times to the millisecond in UTC (both providers round-trip that exactly). Its SHA-256 is
/// <see cref="AuditEvent.AfterImageHash"/>; <c>audit verify</c> recomputes it from the current row.
/// </summary>
public static class RowImage
{
    /// <summary>Entity type of identity audit events.</summary>
    public const string IdentityEntityType = "identity";

    /// <summary>SHA-256 (lower-case hex) of the row's canonical image.</summary>
    public static string Hash(IdentityRecord r)
    {
        ArgumentNullException.ThrowIfNull(r);
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartArray();
            w.WriteStringValue("identity-row-v1");
            w.WriteStringValue(r.Id.ToString("D", CultureInfo.InvariantCulture));
            w.WriteStringValue(r.BirthName);
            w.WriteStringValue(r.BirthFirstNames);
            w.WriteStringValue(r.FirstFirstName);
            w.WriteStringValue(r.Sex);
            w.WriteStringValue(r.BirthDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
            w.WriteBooleanValue(r.BirthDateCorrected);
            Nullable(w, r.BirthPlaceCog);
            Nullable(w, r.UsedName);
            Nullable(w, r.UsedFirstName);
            w.WriteStringValue(r.Status);
            w.WriteNumberValue(r.Attributes);
            w.WriteStringValue(r.CollectionChannel);
            Nullable(w, r.InsMatricule);
            Nullable(w, r.InsOid);
            Nullable(w, r.InsiCalledAt is { } t ? Time(t) : null);
            w.WriteStringValue(r.BirthNameKey);
            w.WriteStringValue(r.FirstNameKey);
            w.WriteStringValue(Time(r.CreatedAt));
            w.WriteStringValue(Time(r.UpdatedAt));
            w.WriteNumberValue(r.Version);
            w.WriteEndArray();
        }

        return Convert.ToHexStringLower(SHA256.HashData(buffer.ToArray()));
    }

    private static string Time(DateTimeOffset t) =>
        AuditHasher.Truncate(t).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static void Nullable(Utf8JsonWriter w, string? value)
    {
        if (value is null)
        {
            w.WriteNullValue();
        }
        else
        {
            w.WriteStringValue(value);
        }
    }
}
