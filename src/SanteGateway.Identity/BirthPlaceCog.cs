namespace SanteGateway.Identity;

/// <summary>The birth place trait: a 5-character INSEE COG code.</summary>
/// <remarks>Two digits or <c>2A</c>/<c>2B</c> (department), then 3 digits. Overseas departments and collectivities start
/// with <c>97</c>/<c>98</c>; persons born abroad have <c>99</c> followed by the INSEE country code (<c>99100</c> is France
/// as a country). The code is checked for shape only: the list of communes is not embedded.</remarks>
public static class BirthPlaceCog
{
    /// <summary>True when <paramref name="cog"/> has the shape of a COG code (uppercase <c>2A</c>/<c>2B</c> only).</summary>
    /// <param name="cog">The code.</param>
    /// <returns>True for 5 characters: 2 digits or 2A/2B, then 3 digits.</returns>
    public static bool IsValid(ReadOnlySpan<char> cog)
    {
        if (cog.Length != 5)
        {
            return false;
        }

        var departmentOk = (char.IsAsciiDigit(cog[0]) && char.IsAsciiDigit(cog[1])) || (cog[0] == '2' && cog[1] is 'A' or 'B');
        return departmentOk && char.IsAsciiDigit(cog[2]) && char.IsAsciiDigit(cog[3]) && char.IsAsciiDigit(cog[4]);
    }

    /// <summary>True when the code is a country code (born abroad: <c>99xxx</c>).</summary>
    /// <param name="cog">A valid COG code.</param>
    /// <returns>True for <c>99xxx</c>.</returns>
    public static bool IsAbroad(ReadOnlySpan<char> cog) => IsValid(cog) && cog.StartsWith("99", StringComparison.Ordinal);

    /// <summary>True when the code is an overseas commune (<c>97xxx</c>, <c>98xxx</c>).</summary>
    /// <param name="cog">A valid COG code.</param>
    /// <returns>True for <c>97xxx</c> and <c>98xxx</c>.</returns>
    public static bool IsOverseas(ReadOnlySpan<char> cog) => IsValid(cog) && cog[0] == '9' && cog[1] is '7' or '8';
}
