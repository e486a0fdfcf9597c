using System.Globalization;
using System.Text;

namespace SanteGateway.Store;

/// <summary>
/// Search keys for names: upper case, diacritics removed (É→E, Ç→C, Œ→OE, Æ→AE, ß→SS), every run of characters that
/// are not letters or digits turned into one space, trimmed. "d'Ormesson-Lefèvre" and "D ORMESSON LEFEVRE" share a key.
/// </summary>
public static class SearchKeys
{
    /// <summary>The key of a name (empty for null or blank input).</summary>
    public static string Normalize(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return "";
        }

        var decomposed = value.Normalize(NormalizationForm.FormD);
        var sb = new StringBuilder(decomposed.Length);
        var pendingSpace = false;
        foreach (var c in decomposed)
        {
            var category = CharUnicodeInfo.GetUnicodeCategory(c);
            if (category is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark)
            {
                continue;
            }

            if (char.IsLetterOrDigit(c))
            {
                if (pendingSpace && sb.Length > 0)
                {
                    sb.Append(' ');
                }

                pendingSpace = false;
                sb.Append(c switch
                {
                    'œ' or 'Œ' => "OE",
                    'æ' or 'Æ' => "AE",
                    'ß' => "SS",
                    _ => char.ToUpperInvariant(c).ToString(),
                });
            }
            else
            {
                pendingSpace = true;
            }
        }

        return sb.ToString();
    }
}
