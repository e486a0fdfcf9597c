using System.Text.Json;
using System.Text.Json.Serialization;

namespace SanteGateway.Identity;

/// <summary>Writes an <see cref="InsMatricule"/> as its 15-character string and reads it back with the full check.</summary>
/// <remarks>Applied to the type, so System.Text.Json (ASP.NET Core, stores) handles matricules as plain strings.</remarks>
public sealed class InsMatriculeJsonConverter : JsonConverter<InsMatricule>
{
    /// <inheritdoc/>
    public override InsMatricule Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            throw new JsonException("A matricule INS is a JSON string.");
        }

        return InsMatricule.TryParse(reader.GetString(), out var m, out var error) ? m : throw new JsonException(error.Message);
    }

    /// <inheritdoc/>
    public override void Write(Utf8JsonWriter writer, InsMatricule value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStringValue(value.Value);
    }
}
