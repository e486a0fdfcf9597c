using System.Globalization;

namespace SanteGateway.Web;

/// <summary>
/// The birth date as entered in three boxes (day, month, year): unknown day or month left empty become <c>00</c>, the
/// RNIV form of a partial date (<c>1960-00-00</c>, <c>1960-05-00</c>). The calendar rules are the application's.
/// </summary>
public static class BirthDateInput
{
    /// <summary>Composes <c>YYYY-MM-DD</c> from the boxes.</summary>
    /// <param name="day">Day (empty when unknown).</param>
    /// <param name="month">Month (empty when unknown).</param>
    /// <param name="year">Year (required).</param>
    /// <param name="error">A French error about the boxes themselves, when they cannot form a date.</param>
    /// <returns>The date text, or null when the year is missing.</returns>
    public static string? Compose(string? day, string? month, string? year, out string? error)
    {
        error = null;
        day = day?.Trim();
        month = month?.Trim();
        year = year?.Trim();
        if (string.IsNullOrEmpty(year))
        {
            error = string.IsNullOrEmpty(day) && string.IsNullOrEmpty(month) ? Texts.BirthDateLaDateDeNaissanceEst : Texts.BirthDateLAnneeDeNaissanceEst;
            return null;
        }

        if (!int.TryParse(year, NumberStyles.None, CultureInfo.InvariantCulture, out var y) || year.Length != 4)
        {
            error = Texts.BirthDateAnneeAttendueSur4Chiffres;
            return null;
        }

        var m = 0;
        if (!string.IsNullOrEmpty(month) && (!int.TryParse(month, NumberStyles.None, CultureInfo.InvariantCulture, out m) || m is < 0 or > 12))
        {
            error = Texts.BirthDateMoisAttenduEntre1Et;
            return null;
        }

        var d = 0;
        if (!string.IsNullOrEmpty(day) && (!int.TryParse(day, NumberStyles.None, CultureInfo.InvariantCulture, out d) || d is < 0 or > 31))
        {
            error = Texts.BirthDateJourAttenduEntre1Et;
            return null;
        }

        if (d > 0 && m == 0)
        {
            error = Texts.BirthDateUnJourSansMoisN;
            return null;
        }

        if (d > 0 && d > DateTime.DaysInMonth(y is >= 1 and <= 9999 ? y : 2000, m))
        {
            error = string.Format(CultureInfo.InvariantCulture, Texts.BirthDateDateImpossibleIlNY, d);
            return null;
        }

        return string.Create(CultureInfo.InvariantCulture, $"{y:0000}-{m:00}-{d:00}");
    }
}
