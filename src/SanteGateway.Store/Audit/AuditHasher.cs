using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;

namespace SanteGateway.Store.Audit;

/// <summary>Canonical content and SHA-256 of an audit event.</summary>
public static class AuditHasher
{
    /// <summary>The previous hash of the first event: 64 zeros.</summary>
    public static readonly string Genesis = new('0', 64);

    /// <summary>
    /// Hash of the canonical content: a JSON array of every field in a fixed order, with the time written to the
    /// millisecond in UTC (both providers round-trip that exactly).
    /// </summary>
    public static string Compute(AuditEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartArray();
            w.WriteNumberValue(e.Sequence);
            w.WriteStringValue(Timestamp(e.OccurredAt));
            w.WriteStringValue(e.Actor);
            w.WriteStringValue(e.Source);
            w.WriteStringValue(e.Action);
            w.WriteStringValue(e.EntityType);
            w.WriteStringValue(e.EntityId);
            WriteNullable(w, e.PreviousValues);
            WriteNullable(w, e.NewValues);
            if (e.AfterImageHash is not null)
            {
                // Only when present, so that events written before the column existed keep their hash.
                w.WriteStringValue("after:" + e.AfterImageHash);
            }

            w.WriteStringValue(e.PreviousHash);
            w.WriteEndArray();
        }

        return Convert.ToHexStringLower(SHA256.HashData(buffer.ToArray()));
    }

    /// <summary>Truncates a time to the millisecond, the precision the chain commits to.</summary>
    public static DateTimeOffset Truncate(DateTimeOffset t) =>
        new(t.UtcTicks - (t.UtcTicks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);

    private static string Timestamp(DateTimeOffset t) =>
        Truncate(t).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static void WriteNullable(Utf8JsonWriter w, string? value)
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
