namespace SanteGateway.DataMatrix.Ecc200;

/// <summary>
/// Turns the final codeword stream (data + interleaved error correction) into modules, finder and alignment
/// patterns included, and back.
/// </summary>
internal static class SymbolLayout
{
    /// <summary>Interleaves per-block Reed–Solomon codewords after the data (data codeword i belongs to block i mod B).</summary>
    public static byte[] AddErrorCorrection(ReadOnlySpan<byte> data, DataMatrixSymbolSize size)
    {
        var blocks = size.BlockCount;
        var eccPerBlock = size.ErrorCodewordsPerBlock;
        var all = new byte[size.DataCodewords + size.ErrorCodewords];
        data.CopyTo(all);
        Span<byte> blockData = stackalloc byte[size.DataCodewordsInBlock(0)];
        Span<byte> ecc = stackalloc byte[eccPerBlock];
        for (var b = 0; b < blocks; b++)
        {
            var n = size.DataCodewordsInBlock(b);
            for (var i = 0; i < n; i++)
            {
                blockData[i] = data[b + (i * blocks)];
            }

            ReedSolomon.ComputeEcc(blockData[..n], ecc);
            for (var i = 0; i < eccPerBlock; i++)
            {
                all[size.DataCodewords + b + (i * blocks)] = ecc[i];
            }
        }

        return all;
    }

    /// <summary>Corrects the codeword stream in place and returns the number of corrected codewords, or -1.</summary>
    public static int Correct(Span<byte> all, DataMatrixSymbolSize size)
    {
        var blocks = size.BlockCount;
        var eccPerBlock = size.ErrorCodewordsPerBlock;
        Span<byte> block = stackalloc byte[size.DataCodewordsInBlock(0) + eccPerBlock];
        var total = 0;
        for (var b = 0; b < blocks; b++)
        {
            var n = size.DataCodewordsInBlock(b);
            for (var i = 0; i < n; i++)
            {
                block[i] = all[b + (i * blocks)];
            }

            for (var i = 0; i < eccPerBlock; i++)
            {
                block[n + i] = all[size.DataCodewords + b + (i * blocks)];
            }

            if (!ReedSolomon.TryCorrect(block[..(n + eccPerBlock)], eccPerBlock, out var corrected))
            {
                return -1;
            }

            total += corrected;
            for (var i = 0; i < n; i++)
            {
                all[b + (i * blocks)] = block[i];
            }
        }

        return total;
    }

    private static readonly Dictionary<DataMatrixSymbolSize, int[]> Layouts = [];
    private static readonly Lock LayoutLock = new();

    /// <summary>
    /// For every module of the symbol (row-major): <see cref="Placement.FixedDark"/>, <see cref="Placement.FixedLight"/>
    /// or the codeword bit it carries (<c>codeword * 8 + bit</c>). Finder and alignment patterns are fixed modules.
    /// </summary>
    private static int[] Layout(DataMatrixSymbolSize size)
    {
        lock (LayoutLock)
        {
            if (Layouts.TryGetValue(size, out var cached))
            {
                return cached;
            }

            var map = Placement.Map(size.MappingRows, size.MappingColumns);
            var layout = new int[size.Rows * size.Columns];
            var rh = size.DataRegionHeight;
            var rw = size.DataRegionWidth;
            for (var r = 0; r < size.Rows; r++)
            {
                var ir = r % (rh + 2);
                for (var c = 0; c < size.Columns; c++)
                {
                    var ic = c % (rw + 2);
                    int v;
                    if (ir == rh + 1 || ic == 0)
                    {
                        // Solid "L": bottom row and left column of every region.
                        v = Placement.FixedDark;
                    }
                    else if (ir == 0)
                    {
                        // Clock track along the top: dark on even columns.
                        v = c % 2 == 0 ? Placement.FixedDark : Placement.FixedLight;
                    }
                    else if (ic == rw + 1)
                    {
                        // Clock track along the right: dark on odd rows of the region.
                        v = ir % 2 == 1 ? Placement.FixedDark : Placement.FixedLight;
                    }
                    else
                    {
                        var mr = ((r / (rh + 2)) * rh) + ir - 1;
                        var mc = ((c / (rw + 2)) * rw) + ic - 1;
                        v = map[(mr * size.MappingColumns) + mc];
                    }

                    layout[(r * size.Columns) + c] = v;
                }
            }

            Layouts[size] = layout;
            return layout;
        }
    }

    /// <summary>Places the codewords and draws the finder and alignment patterns.</summary>
    public static BitMatrix Draw(ReadOnlySpan<byte> codewords, DataMatrixSymbolSize size)
    {
        var layout = Layout(size);
        var bits = new bool[layout.Length];
        for (var i = 0; i < layout.Length; i++)
        {
            var v = layout[i];
            bits[i] = v >= 0 ? ((codewords[v >> 3] << (v & 7)) & 0x80) != 0 : v == Placement.FixedDark;
        }

        return new BitMatrix(size.Rows, size.Columns, bits);
    }

    /// <summary>Reads the codewords back from the data regions (reverse placement).</summary>
    public static byte[] Read(BitMatrix m, DataMatrixSymbolSize size)
    {
        var layout = Layout(size);
        var all = new byte[size.DataCodewords + size.ErrorCodewords];
        for (var i = 0; i < layout.Length; i++)
        {
            var v = layout[i];
            if (v >= 0 && m.GetAt(i))
            {
                all[v >> 3] |= (byte)(0x80 >> (v & 7));
            }
        }

        return all;
    }

    /// <summary>Counts modules of the finder and clock patterns that do not have the expected colour.</summary>
    public static int FinderMismatches(BitMatrix m, DataMatrixSymbolSize size)
    {
        var rh = size.DataRegionHeight;
        var rw = size.DataRegionWidth;
        var bad = 0;
        for (var r = 0; r < size.Rows; r++)
        {
            var ir = r % (rh + 2);
            for (var c = 0; c < size.Columns; c++)
            {
                var ic = c % (rw + 2);
                bool expected;
                if (ir == rh + 1 || ic == 0)
                {
                    expected = true;
                }
                else if (ir == 0)
                {
                    expected = c % 2 == 0;
                }
                else if (ic == rw + 1)
                {
                    expected = ir % 2 == 1;
                }
                else
                {
                    continue;
                }

                if (m[r, c] != expected)
                {
                    bad++;
                }
            }
        }

        return bad;
    }
}
