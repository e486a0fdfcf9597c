namespace SanteGateway.DataMatrix.Ecc200;

/// <summary>
/// Reed–Solomon over GF(256) with the ECC 200 field polynomial x^8+x^5+x^3+x^2+1 (0x12D) and generator roots
/// α^1..α^n: encoding and real error correction (Berlekamp–Massey, Chien search, Forney).
/// Codeword arrays hold the highest-degree coefficient first (the order codewords are placed in the symbol).
/// </summary>
public static class ReedSolomon
{
    private static readonly byte[] Exp = new byte[512];
    private static readonly int[] Log = new int[256];
    private static readonly Dictionary<int, byte[]> Generators = [];
    private static readonly Lock GeneratorLock = new();

    // Racing writers store equal arrays, so the cache needs no lock.
    private static readonly int[]?[] GeneratorLogCache = new int[]?[256];

#pragma warning disable CA1810 // the tables must be built before any use; a static constructor is the clearest place.
    static ReedSolomon()
#pragma warning restore CA1810
    {
        var x = 1;
        for (var i = 0; i < 255; i++)
        {
            Exp[i] = (byte)x;
            Log[x] = i;
            x <<= 1;
            if (x >= 256)
            {
                x ^= 0x12D;
            }
        }

        for (var i = 255; i < 512; i++)
        {
            Exp[i] = Exp[i - 255];
        }
    }

    private static byte Mul(int a, int b) => a == 0 || b == 0 ? (byte)0 : Exp[Log[a] + Log[b]];

    private static byte Div(int a, int b) => a == 0 ? (byte)0 : Exp[Log[a] + 255 - Log[b]];

    /// <summary>Computes <paramref name="ecc"/>.Length error-correction codewords for <paramref name="data"/>.</summary>
    public static void ComputeEcc(ReadOnlySpan<byte> data, Span<byte> ecc)
    {
        var n = ecc.Length;
        if (n is < 1 or > 254)
        {
            throw new ArgumentOutOfRangeException(nameof(ecc), "between 1 and 254 error-correction codewords");
        }

        // Generator coefficients as logarithms (g[0] = 1 is implicit): one table lookup per step instead of two.
        var logG = GeneratorLogs(n);
        ecc.Clear();
        if (logG is null)
        {
            var g = Generator(n);
            foreach (var d in data)
            {
                var feedback = d ^ ecc[0];
                for (var j = 0; j < n - 1; j++)
                {
                    ecc[j] = (byte)(ecc[j + 1] ^ Mul(feedback, g[j + 1]));
                }

                ecc[n - 1] = Mul(feedback, g[n]);
            }

            return;
        }

        foreach (var d in data)
        {
            var feedback = d ^ ecc[0];
            if (feedback == 0)
            {
                ecc[1..].CopyTo(ecc);
                ecc[n - 1] = 0;
                continue;
            }

            var lf = Log[feedback];
            for (var j = 0; j < n - 1; j++)
            {
                ecc[j] = (byte)(ecc[j + 1] ^ Exp[lf + logG[j + 1]]);
            }

            ecc[n - 1] = Exp[lf + logG[n]];
        }
    }

    /// <summary>
    /// Corrects in place a codeword block (data followed by <paramref name="eccCount"/> error-correction codewords).
    /// </summary>
    /// <param name="block">The received block; corrected on success, untouched on failure.</param>
    /// <param name="eccCount">Number of error-correction codewords at the end of the block.</param>
    /// <param name="corrected">Number of codewords changed.</param>
    /// <returns><see langword="false"/> when the block has more errors than can be corrected (⌊eccCount/2⌋).</returns>
    public static bool TryCorrect(Span<byte> block, int eccCount, out int corrected)
    {
        corrected = 0;
        if (eccCount < 1 || block.Length > 255 || block.Length <= eccCount)
        {
            return false;
        }

        Span<byte> syndromes = stackalloc byte[eccCount];
        var clean = true;
        for (var j = 0; j < eccCount; j++)
        {
            // Horner evaluation at α^(j+1).
            var s = 0;
            var a = Exp[j + 1];
            foreach (var c in block)
            {
                s = Mul(s, a) ^ c;
            }

            syndromes[j] = (byte)s;
            clean &= s == 0;
        }

        if (clean)
        {
            return true;
        }

        // Berlekamp–Massey: error locator Λ(x), lowest degree first.
        Span<byte> lambda = stackalloc byte[eccCount + 1];
        Span<byte> prev = stackalloc byte[eccCount + 1];
        Span<byte> tmp = stackalloc byte[eccCount + 1];
        lambda.Clear();
        prev.Clear();
        lambda[0] = 1;
        prev[0] = 1;
        int l = 0, m = 1;
        byte b = 1;
        for (var r = 0; r < eccCount; r++)
        {
            int delta = syndromes[r];
            for (var i = 1; i <= l; i++)
            {
                delta ^= Mul(lambda[i], syndromes[r - i]);
            }

            if (delta == 0)
            {
                m++;
                continue;
            }

            var coef = Div(delta, b);
            if (2 * l <= r)
            {
                lambda.CopyTo(tmp);
                for (var i = 0; i + m <= eccCount; i++)
                {
                    lambda[i + m] ^= Mul(coef, prev[i]);
                }

                l = r + 1 - l;
                tmp.CopyTo(prev);
                b = (byte)delta;
                m = 1;
            }
            else
            {
                for (var i = 0; i + m <= eccCount; i++)
                {
                    lambda[i + m] ^= Mul(coef, prev[i]);
                }

                m++;
            }
        }

        if (2 * l > eccCount)
        {
            return false;
        }

        // Chien search over the block's positions: position p (0 = first) has locator X = α^(len-1-p).
        var len = block.Length;
        Span<int> positions = stackalloc int[l];
        var found = 0;
        for (var p = 0; p < len; p++)
        {
            var power = len - 1 - p;
            var xInv = Exp[(255 - power) % 255];
            var v = 0;
            for (var i = l; i >= 0; i--)
            {
                v = Mul(v, xInv) ^ lambda[i];
            }

            if (v == 0)
            {
                if (found == l)
                {
                    return false;
                }

                positions[found++] = p;
            }
        }

        if (found != l)
        {
            return false;
        }

        // Ω(x) = S(x)Λ(x) mod x^n, with S(x) = S1 + S2 x + ...
        Span<byte> omega = stackalloc byte[eccCount];
        omega.Clear();
        for (var i = 0; i < eccCount; i++)
        {
            var v = 0;
            for (var k = 0; k <= Math.Min(i, l); k++)
            {
                v ^= Mul(lambda[k], syndromes[i - k]);
            }

            omega[i] = (byte)v;
        }

        Span<byte> magnitudes = stackalloc byte[l];
        for (var e = 0; e < l; e++)
        {
            var power = len - 1 - positions[e];
            var xInv = Exp[(255 - power) % 255];
            var num = 0;
            for (var i = eccCount - 1; i >= 0; i--)
            {
                num = Mul(num, xInv) ^ omega[i];
            }

            // Formal derivative of Λ: only odd-degree terms survive in characteristic 2.
            var den = 0;
            for (var i = 1; i <= l; i += 2)
            {
                den ^= Mul(lambda[i], Exp[(((i - 1) * (255 - power)) % 255)]);
            }

            if (den == 0)
            {
                return false;
            }

            // Generator roots start at α^1, so the Forney factor X^(1-1) is 1.
            magnitudes[e] = Div(num, den);
        }

        for (var e = 0; e < l; e++)
        {
            block[positions[e]] ^= magnitudes[e];
        }

        corrected = l;
        return true;
    }

    private static int[]? GeneratorLogs(int n)
    {
        var cache = GeneratorLogCache;
        if (cache[n] is { } logs)
        {
            return logs.Length == 0 ? null : logs;
        }

        var g = Generator(n);
        logs = new int[n + 1];
        for (var i = 0; i <= n; i++)
        {
            if (g[i] == 0)
            {
                // No logarithm for a zero coefficient: that generator takes the plain multiplication path.
                cache[n] = [];
                return null;
            }

            logs[i] = Log[g[i]];
        }

        cache[n] = logs;
        return logs;
    }

    private static byte[] Generator(int n)
    {
        lock (GeneratorLock)
        {
            if (Generators.TryGetValue(n, out var cached))
            {
                return cached;
            }

            // Highest degree first: g = Π (x - α^i), i = 1..n.
            var g = new byte[n + 1];
            g[0] = 1;
            var degree = 0;
            for (var i = 1; i <= n; i++)
            {
                var root = Exp[i];
                degree++;
                for (var k = degree; k >= 1; k--)
                {
                    g[k] = (byte)(g[k] ^ Mul(g[k - 1], root));
                }
            }

            Generators[n] = g;
            return g;
        }
    }
}
