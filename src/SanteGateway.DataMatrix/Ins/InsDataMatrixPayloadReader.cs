using System.Globalization;
using SanteGateway.Identity;

namespace SanteGateway.DataMatrix;

/// <summary>Parses and checks INS DataMatrix payload text; see <see cref="InsDataMatrixPayload.TryParse"/>.</summary>
internal static class InsDataMatrixPayloadReader
{
    private const char Gs = InsDataMatrixPayload.GroupSeparator;

    public static string? NormalizeScan(string? scanned)
    {
        if (scanned is null)
        {
            return null;
        }

        if (scanned.Length > 4 * InsDataMatrixPayload.MaxTextLength)
        {
            return scanned;
        }

        var s = scanned.Trim('\r', '\n', '\t');

        // Symbology identifier some scanners prepend (ISO/IEC 15424: "]d" + modifier for Data Matrix).
        if (s.Length >= 3 && s[0] == ']' && s[1] == 'd' && s[2] is >= '0' and <= '6')
        {
            s = s[3..];
        }

        s = s.Replace('\u241d', Gs)
            .Replace("^]", "\u001d", StringComparison.Ordinal)
            .Replace("<GS>", "\u001d", StringComparison.OrdinalIgnoreCase)
            .Replace("{GS}", "\u001d", StringComparison.OrdinalIgnoreCase)
            .Replace("[GS]", "\u001d", StringComparison.OrdinalIgnoreCase);
        return s;
    }

    public static bool TryParse(string? text, out InsDataMatrixPayload? payload, out IReadOnlyList<ValidationError> errors)
    {
        payload = null;
        var list = new List<ValidationError>();
        errors = list;
        if (string.IsNullOrEmpty(text))
        {
            list.Add(new ValidationError("payload", "required", "The payload is empty."));
            return false;
        }

        if (text.Length > InsDataMatrixPayload.MaxTextLength)
        {
            list.Add(new ValidationError("payload", "too-long", $"The payload has {text.Length} characters; an INS DataMatrix holds at most {InsDataMatrixPayload.MaxTextLength}."));
            return false;
        }

        var header = InsDataMatrixPayload.Header;
        if (!text.StartsWith(header, StringComparison.Ordinal))
        {
            var why = text.StartsWith("IS", StringComparison.Ordinal) && text.Length >= 4 && text[2..4] != "01"
                ? "unsupported version (only 01 is known)"
                : "expected IS01 followed by 22 zeros";
            list.Add(new ValidationError("header", "header", $"The payload does not start with the INS header {header}: {why}."));
            return false;
        }

        var values = new string?[8];
        var flagged = new bool[8];
        var pos = header.Length;
        while (pos < text.Length)
        {
            if (text[pos] == Gs)
            {
                // Tolerated: a GS after a fixed-length field, after a field at its maximum length, or at the end.
                pos++;
                continue;
            }

            if (pos + 2 > text.Length || text[pos] != 'S' || text[pos + 1] is < '1' or > '7')
            {
                list.Add(new ValidationError("payload", "unknown-block", $"Expected a block id S1..S7 at position {pos + 1}."));
                return false;
            }

            var id = text[pos + 1] - '0';
            var block = "S" + (char)('0' + id);
            pos += 2;
            if (values[id] is not null)
            {
                list.Add(new ValidationError(block, "duplicate-block", $"{block} appears twice."));
                return false;
            }

            int? fixedLength = id switch { 1 => 15, 5 => 1, 6 => 10, 7 => 5, _ => null };
            string value;
            if (fixedLength is { } len)
            {
                if (pos + len > text.Length || text.AsSpan(pos, len).Contains(Gs))
                {
                    list.Add(new ValidationError(block, "length", $"{block} must be exactly {len} characters long."));
                    return false;
                }

                value = text.Substring(pos, len);
                pos += len;
            }
            else
            {
                var max = id == 2 ? InsDataMatrixPayload.OidMaxLength : InsDataMatrixPayload.NameMaxLength;
                var start = pos;
                var window = Math.Min(max, text.Length - pos);
                var gs = text.AsSpan(pos, window).IndexOf(Gs);
                value = gs >= 0 ? text.Substring(pos, gs) : text.Substring(pos, window);
                pos += gs >= 0 ? gs + 1 : window;

                // Names and OIDs never contain "S" followed by a digit: this is the next block, the GS is missing.
                var next = BlockIdIndex(value);
                if (next >= 0)
                {
                    list.Add(new ValidationError(block, "separator", $"{block} is not terminated by GS (0x1D) although it is shorter than {max} characters and not the last block."));
                    flagged[id] = true;
                    value = value[..next];
                    pos = start + next;
                }
            }

            values[id] = value;
        }

        for (var id = 1; id <= 6; id++)
        {
            if (values[id] is null)
            {
                list.Add(new ValidationError("S" + (char)('0' + id), "missing-block", $"Block S{id} ({BlockName(id)}) is missing."));
            }
        }

        // Every present block is still checked, so that one reading reports everything that is wrong.
        InsMatricule matricule = default;
        if (values[1] is { } raw1)
        {
            if (!InsMatricule.TryParse(raw1, out matricule, out var mError))
            {
                list.Add(InsDataMatrixPayload.MatriculeError(mError));
            }
            else if (matricule.Value != raw1)
            {
                list.Add(new ValidationError("S1", "character", "S1 (matricule INS) must be 15 characters, digits and upper-case 2A/2B, without spaces."));
            }
        }

        if (values[2] is not null && !flagged[2])
        {
            InsDataMatrixPayload.CheckOid(values[2], list);
        }

        if (values[3] is { } s3 && !flagged[3])
        {
            CheckName(s3, "S3", "birth first names", firstNames: true, list);
        }

        if (values[4] is { } s4 && !flagged[4])
        {
            CheckName(s4, "S4", "birth name", firstNames: false, list);
        }

        var sex = values[5] switch { "F" => Sex.Female, "M" => Sex.Male, _ => Sex.Unknown };
        if (values[5] is not null && sex == Sex.Unknown)
        {
            list.Add(new ValidationError("S5", "sex", "S5 (sex) must be F or M."));
        }

        var birthDate = default(DateOnly);
        if (values[6] is not null && !DateOnly.TryParseExact(values[6], "dd-MM-yyyy", CultureInfo.InvariantCulture, DateTimeStyles.None, out birthDate))
        {
            list.Add(new ValidationError("S6", "date", "S6 (birth date) must be a real date written JJ-MM-AAAA."));
        }

        var cog = values[7];
        if (cog is not null && !BirthPlaceCog.IsValid(cog))
        {
            list.Add(new ValidationError("S7", "cog", "S7 (birth place) must be a 5-character COG code: 2 digits or 2A/2B, then 3 digits."));
        }

        if (list.Count > 0)
        {
            return false;
        }

        payload = InsDataMatrixPayload.CreateChecked(matricule, values[2]!, values[3]!, values[4]!, sex, birthDate, cog);
        return true;
    }

    private static void CheckName(string value, string block, string what, bool firstNames, List<ValidationError> errors)
    {
        var conform = firstNames ? InsiLexicalProfile.IsConformFirstNames(value) : InsiLexicalProfile.IsConformBirthName(value);
        if (conform && value.Length > 0)
        {
            return;
        }

        var normalized = firstNames ? InsiLexicalProfile.NormalizeFirstNames(value) : InsiLexicalProfile.NormalizeBirthName(value);
        if (!normalized.IsSuccess)
        {
            errors.Add(InsDataMatrixPayload.LexicalError(block, what, normalized.Error));
        }
        else
        {
            errors.Add(new ValidationError(block, "insi-profile", $"{block} ({what}) is not in the INSi lexical profile: upper-case A-Z, space, apostrophe and hyphen only, no leading or trailing space."));
        }
    }

    private static int BlockIdIndex(string value)
    {
        for (var i = 0; i + 1 < value.Length; i++)
        {
            if (value[i] == 'S' && value[i + 1] is >= '1' and <= '7')
            {
                return i;
            }
        }

        return -1;
    }

    private static string BlockName(int id) => id switch
    {
        1 => "matricule INS",
        2 => "OID",
        3 => "birth first names",
        4 => "birth name",
        5 => "sex",
        _ => "birth date",
    };
}
