using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using SanteGateway.Identity;

namespace SanteGateway.DataMatrix;

/// <summary>
/// The content of an INS DataMatrix (ANS "INS — Format datamatrix"): header <c>IS010000000000000000000000</c>, then the
/// blocks S1 matricule (15), S2 OID (≤ 20), S3 birth first names (space-separated, ≤ 100), S4 birth name (≤ 100),
/// S5 sex (M/F), S6 birth date (<c>JJ-MM-AAAA</c>), S7 birth COG (5, optional). A variable field (S2, S3, S4) that is
/// neither at its maximum length nor last is followed by GS (0x1D).
/// </summary>
/// <remarks>
/// Only the matricule of a qualified identity may be printed: build payloads from an RNIV identity through
/// <see cref="InsDataMatrix"/> where possible. <see cref="ToString"/> never prints identity data.
/// </remarks>
public sealed record InsDataMatrixPayload
{
    /// <summary>The fixed header: "IS", version "01", 22 zeros.</summary>
    public const string Header = "IS010000000000000000000000";

    /// <summary>The group separator between variable fields.</summary>
    public const char GroupSeparator = '\u001d';

    /// <summary>Longest text the reader accepts (a real payload is under 300 characters).</summary>
    public const int MaxTextLength = 512;

    /// <summary>Maximum length of S2.</summary>
    public const int OidMaxLength = 20;

    /// <summary>Maximum length of S3 and S4.</summary>
    public const int NameMaxLength = 100;

    private InsDataMatrixPayload(InsMatricule matricule, string oid, string birthFirstNames, string birthName, Sex sex, DateOnly birthDate, string? birthPlaceCog)
    {
        Matricule = matricule;
        Oid = oid;
        BirthFirstNames = birthFirstNames;
        BirthName = birthName;
        Sex = sex;
        BirthDate = birthDate;
        BirthPlaceCog = birthPlaceCog;
    }

    /// <summary>S1: the matricule INS (key checked).</summary>
    public InsMatricule Matricule { get; }

    /// <summary>S2: the OID of the matricule (one of <see cref="InsOids"/>).</summary>
    public string Oid { get; }

    /// <summary>S3: the birth first names, space-separated, INSi lexical profile.</summary>
    public string BirthFirstNames { get; }

    /// <summary>S4: the birth name, INSi lexical profile.</summary>
    public string BirthName { get; }

    /// <summary>S5: female or male.</summary>
    public Sex Sex { get; }

    /// <summary>S6: the birth date.</summary>
    public DateOnly BirthDate { get; }

    /// <summary>S7: the birth place COG code, when known.</summary>
    public string? BirthPlaceCog { get; }

    /// <summary>
    /// Validates plain values and builds a payload. Names are passed through the INSi lexical profile
    /// (<see cref="InsiLexicalProfile"/>: upper case, transliteration); values that cannot conform are refused.
    /// </summary>
    /// <param name="matricule">The 15-character matricule INS.</param>
    /// <param name="oid">The OID of the matricule (NIR, NIA, test or demo).</param>
    /// <param name="birthFirstNames">The birth first names, space-separated.</param>
    /// <param name="birthName">The birth name.</param>
    /// <param name="sex">Female or male (unknown cannot be encoded).</param>
    /// <param name="birthDate">The birth date.</param>
    /// <param name="birthPlaceCog">The COG code of the birth place, or null when unknown.</param>
    /// <param name="payload">The payload when every value is valid.</param>
    /// <param name="errors">Every refused value (field = block id S1..S7, rule, message), empty on success.</param>
    /// <returns>True when the payload was built.</returns>
    public static bool TryCreate(
        string? matricule,
        string? oid,
        string? birthFirstNames,
        string? birthName,
        Sex sex,
        DateOnly birthDate,
        string? birthPlaceCog,
        [NotNullWhen(true)] out InsDataMatrixPayload? payload,
        out IReadOnlyList<ValidationError> errors)
    {
        var list = new List<ValidationError>();
        InsMatricule m = default;
        if (!InsMatricule.TryParse(matricule, out m, out var mError))
        {
            list.Add(MatriculeError(mError));
        }

        CheckOid(oid, list);
        var firstNames = InsiLexicalProfile.NormalizeFirstNames(birthFirstNames);
        if (!firstNames.IsSuccess)
        {
            list.Add(LexicalError("S3", "birth first names", firstNames.Error));
        }

        var name = InsiLexicalProfile.NormalizeBirthName(birthName);
        if (!name.IsSuccess)
        {
            list.Add(LexicalError("S4", "birth name", name.Error));
        }

        if (sex is not (Sex.Female or Sex.Male))
        {
            list.Add(new ValidationError("S5", "sex", "S5 (sex) must be F or M; an unknown sex cannot be encoded."));
        }

        if (birthDate.Year < 1000)
        {
            list.Add(new ValidationError("S6", "date", "S6 (birth date) needs a 4-digit year."));
        }

        var cog = string.IsNullOrEmpty(birthPlaceCog) ? null : birthPlaceCog;
        if (cog is not null && !SanteGateway.Identity.BirthPlaceCog.IsValid(cog))
        {
            list.Add(new ValidationError("S7", "cog", "S7 (birth place) must be a 5-character COG code: 2 digits or 2A/2B, then 3 digits."));
        }

        errors = list;
        payload = list.Count == 0 ? new InsDataMatrixPayload(m, oid!, firstNames.Value!, name.Value!, sex, birthDate, cog) : null;
        return payload is not null;
    }

    /// <summary>Builds a payload from an INS identifier and identity traits (the caller vouches the identity is qualified).</summary>
    /// <param name="ins">The matricule and its OID.</param>
    /// <param name="traits">The strict traits.</param>
    /// <param name="payload">The payload on success.</param>
    /// <param name="errors">Every refused value.</param>
    /// <returns>True when the payload was built.</returns>
    public static bool TryCreate(InsIdentifier ins, IdentityTraits traits, [NotNullWhen(true)] out InsDataMatrixPayload? payload, out IReadOnlyList<ValidationError> errors)
    {
        ArgumentNullException.ThrowIfNull(ins);
        ArgumentNullException.ThrowIfNull(traits);
        return TryCreate(ins.Matricule.Value, ins.Oid, traits.BirthFirstNamesJoined, traits.BirthName, traits.Sex, traits.BirthDate.Value, traits.BirthPlaceCog, out payload, out errors);
    }

    /// <summary>The payload text, GS separators included (ISO-8859-1, in fact ASCII).</summary>
    public string ToText()
    {
        var sb = new StringBuilder(300);
        sb.Append(Header);
        sb.Append("S1").Append(Matricule.Value);
        AppendVariable(sb, "S2", Oid, OidMaxLength);
        AppendVariable(sb, "S3", BirthFirstNames, NameMaxLength);
        AppendVariable(sb, "S4", BirthName, NameMaxLength);
        sb.Append("S5").Append(SexCodes.ToInsi(Sex));
        sb.Append("S6").Append(BirthDate.ToString("dd-MM-yyyy", CultureInfo.InvariantCulture));
        if (BirthPlaceCog is not null)
        {
            sb.Append("S7").Append(BirthPlaceCog);
        }

        return sb.ToString();
    }

    /// <summary>Never prints identity data.</summary>
    public override string ToString() => "InsDataMatrixPayload { redacted }";

    /// <summary>
    /// Reads a payload text (GS as 0x1D only; for scanner input see <see cref="TryParseScan"/>). Blocks may come in
    /// any order; every value is checked (matricule key, INS OID, INSi lexical profile, sex, date, COG).
    /// </summary>
    /// <param name="text">The decoded text.</param>
    /// <param name="payload">The payload when the text is valid.</param>
    /// <param name="errors">Every problem found: field = <c>payload</c>, <c>header</c> or the block id, a stable rule, a message.</param>
    /// <returns>True when the text is a valid INS DataMatrix payload.</returns>
    public static bool TryParse(string? text, [NotNullWhen(true)] out InsDataMatrixPayload? payload, out IReadOnlyList<ValidationError> errors) =>
        InsDataMatrixPayloadReader.TryParse(text, out payload, out errors);

    /// <summary>
    /// Reads what a keyboard-wedge scanner typed: surrounding CR/LF/TAB and a leading AIM symbology identifier
    /// (<c>]d1</c>..<c>]d6</c>) are dropped, and these stand-ins for GS are
    /// accepted: U+001D itself, U+241D (␝, "symbol for group separator"), the caret notation <c>^]</c>, and the
    /// placeholders <c>&lt;GS&gt;</c>, <c>{GS}</c>, <c>[GS]</c> (any case). None of these can occur in a valid value,
    /// so the substitution is unambiguous. Keyboard-layout garbling (an AZERTY host typing <c>&amp;é"'(</c> for
    /// <c>12345</c>) is not undone: configure the scanner for the host layout.
    /// </summary>
    /// <param name="scanned">The text as typed by the scanner.</param>
    /// <param name="payload">The payload when the text is valid.</param>
    /// <param name="errors">Every problem found.</param>
    /// <returns>True when the text is a valid INS DataMatrix payload.</returns>
    public static bool TryParseScan(string? scanned, [NotNullWhen(true)] out InsDataMatrixPayload? payload, out IReadOnlyList<ValidationError> errors) =>
        InsDataMatrixPayloadReader.TryParse(InsDataMatrixPayloadReader.NormalizeScan(scanned), out payload, out errors);

    internal static InsDataMatrixPayload CreateChecked(InsMatricule m, string oid, string firstNames, string name, Sex sex, DateOnly date, string? cog) =>
        new(m, oid, firstNames, name, sex, date, cog);

    internal static ValidationError MatriculeError(InsMatriculeError e) => new(
        "S1",
        e.Kind switch
        {
            InsMatriculeErrorKind.Empty => "required",
            InsMatriculeErrorKind.Length => "length",
            InsMatriculeErrorKind.Character => "character",
            _ => "key",
        },
        "S1 (matricule INS): " + e.Message);

    internal static ValidationError LexicalError(string block, string what, LexicalError? e) => new(
        block,
        e?.Rule ?? "insi-profile",
        $"{block} ({what}): {e?.Message ?? "not in the INSi lexical profile."}");

    internal static bool CheckOid(string? oid, List<ValidationError> errors)
    {
        if (string.IsNullOrEmpty(oid))
        {
            errors.Add(new ValidationError("S2", "required", "S2 (OID) is empty."));
            return false;
        }

        if (oid.Length > OidMaxLength || !InsOids.TryGetKind(oid, out _) || oid.StartsWith("urn:", StringComparison.OrdinalIgnoreCase))
        {
            errors.Add(new ValidationError("S2", "oid", $"S2 (OID) must be an INS OID ({InsOids.Nir}, {InsOids.Nia}, {InsOids.Test} or {InsOids.Demo})."));
            return false;
        }

        return true;
    }

    private static void AppendVariable(StringBuilder sb, string id, string value, int max)
    {
        sb.Append(id).Append(value);

        // S2..S4 are never the last block in this order (S5 and S6 always follow).
        if (value.Length < max)
        {
            sb.Append(GroupSeparator);
        }
    }
}
