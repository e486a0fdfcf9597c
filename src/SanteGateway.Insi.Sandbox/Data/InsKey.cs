namespace SanteGateway.Insi.Sandbox.Data;

/// <summary>
/// NIR/NIA key arithmetic, kept local so the sandbox stays an independent implementation of the service
/// (the client side uses <c>SanteGateway.Identity.InsMatricule</c>; two implementations agreeing is part of the test).
/// </summary>
public static class InsKey
{
    /// <summary>Key of a 13-character NIR/NIA body: 97 − (N mod 97), with Corsica <c>2A</c> → 19 and <c>2B</c> → 18.</summary>
    /// <returns>The key (1..97), or -1 when the body is not 13 characters of the NIR alphabet.</returns>
    public static int Compute(ReadOnlySpan<char> body13)
    {
        if (body13.Length != 13)
        {
            return -1;
        }

        long n = 0;
        for (var i = 0; i < 13; i++)
        {
            var c = body13[i];
            if (i == 6 && body13[5] == '2' && (c == 'A' || c == 'B'))
            {
                // "2A"/"2B" → "19"/"18": replace the already-added '2' by '1' and add 9 or 8.
                n = (n - 2 + 1) * 10 + (c == 'A' ? 9 : 8);
                continue;
            }

            if (c is < '0' or > '9')
            {
                return -1;
            }

            n = n * 10 + (c - '0');
        }

        return 97 - (int)(n % 97);
    }

    /// <summary>The key formatted on two digits, as INSi writes it in <c>Cle</c>.</summary>
    public static string Format(ReadOnlySpan<char> body13)
    {
        var key = Compute(body13);
        if (key < 0)
        {
            throw new FormatException($"'{body13}' is not a 13-character NIR body.");
        }

        return key.ToString("00", System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>True when <paramref name="key"/> is the two-digit key of <paramref name="body13"/>.</summary>
    public static bool IsValid(ReadOnlySpan<char> body13, ReadOnlySpan<char> key)
    {
        var computed = Compute(body13);
        return computed > 0 && key.Length == 2 && key[0] - '0' == computed / 10 && key[1] - '0' == computed % 10;
    }
}
