using System.Globalization;

namespace SanteGateway.Identity;

/// <summary>
/// A birth date as a strict identity trait, with the marker of a completed ("corrected") partial date.
/// </summary>
/// <remarks>
/// <para>Partial dates are completed as the INS implementation guide asks (EXI ID 11/12): unknown day → 1st of the month;
/// unknown month → January; unknown day and month → 31 December. <see cref="IsCorrected"/> then stays true so the
/// correction can be exchanged (HL7 ZFD-4, FR Core birthdate-update-indicator).</para>
/// <para>Decision: the marker has no effect on the RNIV status here. The texts disagree (PAM forbids RECUP/QUAL for a
/// corrected date, the guide paraphrases only require the marker) and INSi itself may return such dates; see the README.</para>
/// </remarks>
/// <param name="Value">The (completed) date.</param>
/// <param name="IsCorrected">True when the date was partial and has been completed by the rules above.</param>
public readonly record struct BirthDate(DateOnly Value, bool IsCorrected)
{
    /// <summary>Which parts were unknown when the date was declared (kept so the declared form is what INSi and partners see).</summary>
    public BirthDateParts UnknownParts { get; init; }

    /// <summary>
    /// The date as declared: <c>YYYY-MM-DD</c> with <c>00</c> for each unknown part (<c>1960-00-00</c>, <c>1980-05-00</c>).
    /// This is the form sent to INSi, which holds partial dates that way; <see cref="ToIso"/> is the completed date.
    /// </summary>
    /// <returns>The declared form.</returns>
    public string ToDeclared()
    {
        if (UnknownParts == BirthDateParts.None)
        {
            return ToIso();
        }

        var month = UnknownParts.HasFlag(BirthDateParts.Month) ? 0 : Value.Month;
        var day = UnknownParts.HasFlag(BirthDateParts.Day) ? 0 : Value.Day;
        return string.Create(CultureInfo.InvariantCulture, $"{Value.Year:0000}-{month:00}-{day:00}");
    }

    /// <summary>Reads <c>YYYY-MM-DD</c>, and partial dates <c>YYYY-MM-00</c>, <c>YYYY-00-DD</c>, <c>YYYY-00-00</c>, <c>YYYY-MM</c>, <c>YYYY</c>
    /// (completed and marked <see cref="IsCorrected"/>).</summary>
    /// <param name="yyyyMmDd">The text (INSi <c>DateNaissance</c> format).</param>
    /// <param name="d">The date when the method returns true.</param>
    /// <returns>False when the text is not such a date (wrong shape, month above 12, day not in the month, year 0).</returns>
    public static bool TryParseIso(string? yyyyMmDd, out BirthDate d) => TryParseIso(yyyyMmDd, out d, out _);

    /// <summary>Reads a full or partial ISO date like <see cref="TryParseIso(string?, out BirthDate)"/> and says why it was refused.</summary>
    /// <param name="yyyyMmDd">The text.</param>
    /// <param name="d">The date when the method returns true.</param>
    /// <param name="error">The reason when the method returns false.</param>
    /// <returns>True when the text is a full or partial date.</returns>
    public static bool TryParseIso(string? yyyyMmDd, out BirthDate d, out string? error)
    {
        d = default;
        var s = yyyyMmDd.AsSpan();
        int year;
        int month = 0;
        int day = 0;
        if (s.Length is not (4 or 7 or 10)
            || !TryDigits(s[..4], out year)
            || (s.Length >= 7 && (s[4] != '-' || !TryDigits(s.Slice(5, 2), out month)))
            || (s.Length == 10 && (s[7] != '-' || !TryDigits(s.Slice(8, 2), out day))))
        {
            error = "A birth date is written YYYY-MM-DD (00 for an unknown month or day), YYYY-MM or YYYY.";
            return false;
        }

        return TryFromParts(year, month == 0 ? null : month, day == 0 ? null : day, out d, out error);
    }

    /// <summary>Builds a birth date from its known parts, completing the unknown ones (see the type remarks).</summary>
    /// <param name="year">The year (1 to 9999).</param>
    /// <param name="month">The month (1 to 12) or null when unknown.</param>
    /// <param name="day">The day or null when unknown.</param>
    /// <param name="d">The date when the method returns true.</param>
    /// <param name="error">The reason when the method returns false.</param>
    /// <returns>True when the known parts form a date.</returns>
    public static bool TryFromParts(int year, int? month, int? day, out BirthDate d, out string? error)
    {
        d = default;
        if (year is < 1 or > 9999)
        {
            error = "The year of a birth date must be between 1 and 9999.";
            return false;
        }

        if (month is < 1 or > 12)
        {
            error = "The month of a birth date must be between 01 and 12 (00 when unknown).";
            return false;
        }

        int m;
        int dd;
        if (month is null && day is null)
        {
            m = 12;
            dd = 31;
        }
        else
        {
            m = month ?? 1;
            dd = day ?? 1;
        }

        if (dd < 1 || dd > DateTime.DaysInMonth(year, m))
        {
            error = string.Create(CultureInfo.InvariantCulture, $"Day {dd} does not exist in month {m:00} of {year:0000}.");
            return false;
        }

        d = new BirthDate(new DateOnly(year, m, dd), month is null || day is null)
        {
            UnknownParts = (month is null ? BirthDateParts.Month : BirthDateParts.None) | (day is null ? BirthDateParts.Day : BirthDateParts.None),
        };
        error = null;
        return true;
    }

    /// <summary>The date as <c>YYYY-MM-DD</c> (the completed date for a corrected one).</summary>
    /// <returns>The ISO form.</returns>
    public string ToIso() => Value.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static bool TryDigits(ReadOnlySpan<char> s, out int value)
    {
        value = 0;
        foreach (var c in s)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }

            value = (value * 10) + (c - '0');
        }

        return true;
    }
}

/// <summary>Parts of a birth date that were unknown when it was declared.</summary>
[Flags]
public enum BirthDateParts
{
    /// <summary>A full date.</summary>
    None = 0,

    /// <summary>The day was unknown (<c>00</c>).</summary>
    Day = 1,

    /// <summary>The month was unknown (<c>00</c>).</summary>
    Month = 2,
}
