namespace SanteGateway.Identity;

/// <summary>Sex of a person as a strict identity trait.</summary>
public enum Sex
{
    /// <summary>Female (<c>F</c>).</summary>
    Female,

    /// <summary>Male (<c>M</c>).</summary>
    Male,

    /// <summary>Unknown (<c>U</c> in HL7); INSi and the INS DataMatrix cannot carry it.</summary>
    Unknown,
}

/// <summary>The codes of <see cref="Sex"/>: <c>F</c>, <c>M</c>, <c>U</c> locally (HL7 PID-8, storage), <c>F</c> and <c>M</c> only for INSi.</summary>
public static class SexCodes
{
    /// <summary>The one-letter code of a sex: <c>F</c>, <c>M</c> or <c>U</c>.</summary>
    /// <param name="sex">The sex.</param>
    /// <returns>The code.</returns>
    public static string ToCode(Sex sex) => sex switch
    {
        Sex.Female => "F",
        Sex.Male => "M",
        _ => "U",
    };

    /// <summary>Reads a one-letter code (<c>F</c>, <c>M</c> or <c>U</c>, exactly); anything else is refused.</summary>
    /// <param name="code">The code.</param>
    /// <param name="sex">The sex when the method returns true.</param>
    /// <returns>True when the code is known.</returns>
    public static bool TryParse(string? code, out Sex sex)
    {
        if (code == "U")
        {
            sex = Sex.Unknown;
            return true;
        }

        return TryParseInsi(code, out sex);
    }

    /// <summary>The INSi code of a sex.</summary>
    /// <param name="sex">Female or male.</param>
    /// <returns><c>'F'</c> or <c>'M'</c>.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The sex is <see cref="Sex.Unknown"/> (INSi has no code for it) or undefined.</exception>
    public static char ToInsi(Sex sex) => sex switch
    {
        Sex.Female => 'F',
        Sex.Male => 'M',
        _ => throw new ArgumentOutOfRangeException(nameof(sex), sex, "INSi only knows F and M; an unknown sex cannot be sent."),
    };

    /// <summary>Reads an INSi sex code (<c>F</c> or <c>M</c>, exactly).</summary>
    /// <param name="code">The code.</param>
    /// <param name="sex">The sex when the method returns true.</param>
    /// <returns>False for anything other than <c>F</c> or <c>M</c>.</returns>
    public static bool TryParseInsi(string? code, out Sex sex)
    {
        switch (code)
        {
            case "F":
                sex = Sex.Female;
                return true;
            case "M":
                sex = Sex.Male;
                return true;
            default:
                sex = Sex.Unknown;
                return false;
        }
    }
}
