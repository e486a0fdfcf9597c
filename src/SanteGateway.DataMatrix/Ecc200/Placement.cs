namespace SanteGateway.DataMatrix.Ecc200;

/// <summary>
/// ECC 200 module placement (ISO/IEC 16022 annex F): for each module of the mapping matrix, which codeword bit
/// it carries. The same map serves the encoder (write bits) and the decoder (read them back).
/// </summary>
internal static class Placement
{
    /// <summary>Value of a module that carries no codeword bit and is dark (fixed lower-right pattern).</summary>
    public const int FixedDark = -1;

    /// <summary>Value of a module that carries no codeword bit and is light.</summary>
    public const int FixedLight = -2;

    private static readonly Dictionary<(int, int), int[]> Cache = [];
    private static readonly Lock CacheLock = new();

    /// <summary>
    /// The placement map of a <paramref name="rows"/> x <paramref name="cols"/> mapping matrix: entry
    /// <c>row * cols + col</c> is <c>codeword * 8 + bit</c> (bit 0 = most significant) or a fixed value.
    /// </summary>
    public static int[] Map(int rows, int cols)
    {
        lock (CacheLock)
        {
            if (!Cache.TryGetValue((rows, cols), out var map))
            {
                map = Build(rows, cols);
                Cache[(rows, cols)] = map;
            }

            return map;
        }
    }

    private static int[] Build(int nrow, int ncol)
    {
        // 0 = not yet placed; otherwise (codeword index + 1) * 8 + bit, or fixed markers.
        var a = new int[nrow * ncol];
        var chr = 0;
        int row = 4, col = 0;
        do
        {
            if (row == nrow && col == 0)
            {
                Corner1(a, nrow, ncol, chr++);
            }

            if (row == nrow - 2 && col == 0 && ncol % 4 != 0)
            {
                Corner2(a, nrow, ncol, chr++);
            }

            if (row == nrow - 2 && col == 0 && ncol % 8 == 4)
            {
                Corner3(a, nrow, ncol, chr++);
            }

            if (row == nrow + 4 && col == 2 && ncol % 8 == 0)
            {
                Corner4(a, nrow, ncol, chr++);
            }

            // Sweep up and to the right.
            do
            {
                if (row < nrow && col >= 0 && a[(row * ncol) + col] == 0)
                {
                    Utah(a, nrow, ncol, row, col, chr++);
                }

                row -= 2;
                col += 2;
            }
            while (row >= 0 && col < ncol);
            row++;
            col += 3;

            // Sweep down and to the left.
            do
            {
                if (row >= 0 && col < ncol && a[(row * ncol) + col] == 0)
                {
                    Utah(a, nrow, ncol, row, col, chr++);
                }

                row += 2;
                col -= 2;
            }
            while (row < nrow && col >= 0);
            row += 3;
            col++;
        }
        while (row < nrow || col < ncol);

        var result = new int[a.Length];
        for (var i = 0; i < a.Length; i++)
        {
            result[i] = a[i] == 0 ? FixedLight : a[i] - 8;
        }

        // The lower-right 2x2 corner is left untouched by some sizes: a fixed checker pattern.
        if (a[(nrow * ncol) - 1] == 0)
        {
            result[(nrow * ncol) - 1] = FixedDark;
            result[(nrow * ncol) - ncol - 2] = FixedDark;
        }

        return result;
    }

    private static void Module(int[] a, int nrow, int ncol, int row, int col, int chr, int bit)
    {
        if (row < 0)
        {
            row += nrow;
            col += 4 - ((nrow + 4) % 8);
        }

        if (col < 0)
        {
            col += ncol;
            row += 4 - ((ncol + 4) % 8);
        }

        a[(row * ncol) + col] = ((chr + 1) * 8) + bit;
    }

    private static void Utah(int[] a, int nrow, int ncol, int row, int col, int chr)
    {
        Module(a, nrow, ncol, row - 2, col - 2, chr, 0);
        Module(a, nrow, ncol, row - 2, col - 1, chr, 1);
        Module(a, nrow, ncol, row - 1, col - 2, chr, 2);
        Module(a, nrow, ncol, row - 1, col - 1, chr, 3);
        Module(a, nrow, ncol, row - 1, col, chr, 4);
        Module(a, nrow, ncol, row, col - 2, chr, 5);
        Module(a, nrow, ncol, row, col - 1, chr, 6);
        Module(a, nrow, ncol, row, col, chr, 7);
    }

    private static void Corner1(int[] a, int nrow, int ncol, int chr)
    {
        Module(a, nrow, ncol, nrow - 1, 0, chr, 0);
        Module(a, nrow, ncol, nrow - 1, 1, chr, 1);
        Module(a, nrow, ncol, nrow - 1, 2, chr, 2);
        Module(a, nrow, ncol, 0, ncol - 2, chr, 3);
        Module(a, nrow, ncol, 0, ncol - 1, chr, 4);
        Module(a, nrow, ncol, 1, ncol - 1, chr, 5);
        Module(a, nrow, ncol, 2, ncol - 1, chr, 6);
        Module(a, nrow, ncol, 3, ncol - 1, chr, 7);
    }

    private static void Corner2(int[] a, int nrow, int ncol, int chr)
    {
        Module(a, nrow, ncol, nrow - 3, 0, chr, 0);
        Module(a, nrow, ncol, nrow - 2, 0, chr, 1);
        Module(a, nrow, ncol, nrow - 1, 0, chr, 2);
        Module(a, nrow, ncol, 0, ncol - 4, chr, 3);
        Module(a, nrow, ncol, 0, ncol - 3, chr, 4);
        Module(a, nrow, ncol, 0, ncol - 2, chr, 5);
        Module(a, nrow, ncol, 0, ncol - 1, chr, 6);
        Module(a, nrow, ncol, 1, ncol - 1, chr, 7);
    }

    private static void Corner3(int[] a, int nrow, int ncol, int chr)
    {
        Module(a, nrow, ncol, nrow - 3, 0, chr, 0);
        Module(a, nrow, ncol, nrow - 2, 0, chr, 1);
        Module(a, nrow, ncol, nrow - 1, 0, chr, 2);
        Module(a, nrow, ncol, 0, ncol - 2, chr, 3);
        Module(a, nrow, ncol, 0, ncol - 1, chr, 4);
        Module(a, nrow, ncol, 1, ncol - 1, chr, 5);
        Module(a, nrow, ncol, 2, ncol - 1, chr, 6);
        Module(a, nrow, ncol, 3, ncol - 1, chr, 7);
    }

    private static void Corner4(int[] a, int nrow, int ncol, int chr)
    {
        Module(a, nrow, ncol, nrow - 1, 0, chr, 0);
        Module(a, nrow, ncol, nrow - 1, ncol - 1, chr, 1);
        Module(a, nrow, ncol, 0, ncol - 3, chr, 2);
        Module(a, nrow, ncol, 0, ncol - 2, chr, 3);
        Module(a, nrow, ncol, 0, ncol - 1, chr, 4);
        Module(a, nrow, ncol, 1, ncol - 3, chr, 5);
        Module(a, nrow, ncol, 1, ncol - 2, chr, 6);
        Module(a, nrow, ncol, 1, ncol - 1, chr, 7);
    }
}
