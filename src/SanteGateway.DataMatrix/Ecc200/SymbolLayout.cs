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

    /// <summary>Places the codewords and draws the finder and alignment patterns.</summary>
    public static BitMatrix Draw(ReadOnlySpan<byte> codewords, DataMatrixSymbolSize size)
    {
        var map = Placement.Map(size.MappingRows, size.MappingColumns);
        var m = new BitMatrix(size.Rows, size.Columns);
        var rh = size.DataRegionHeight;
        var rw = size.DataRegionWidth;
        for (var r = 0; r < size.Rows; r++)
        {
            var inRegionRow = r % (rh + 2);
            for (var c = 0; c < size.Columns; c++)
            {
                var inRegionCol = c % (rw + 2);
                bool dark;
                if (inRegionRow == rh + 1 || inRegionCol == 0)
                {
                    // Solid "L": bottom row and left column of every region.
                    dark = true;
                }
                else if (inRegionRow == 0)
                {
                    // Clock track along the top: dark on even columns.
                    dark = c % 2 == 0;
                }
                else if (inRegionCol == rw + 1)
                {
                    // Clock track along the right: dark on odd rows of the region.
                    dark = inRegionRow % 2 == 1;
                }
                else
                {
                    var mr = ((r / (rh + 2)) * rh) + inRegionRow - 1;
                    var mc = ((c / (rw + 2)) * rw) + inRegionCol - 1;
                    var v = map[(mr * size.MappingColumns) + mc];
                    dark = v switch
                    {
                        Placement.FixedDark => true,
                        Placement.FixedLight => false,
                        _ => ((codewords[v >> 3] >> (7 - (v & 7))) & 1) == 1,
                    };
                }

                if (dark)
                {
                    m[r, c] = true;
                }
            }
        }

        return m;
    }

    /// <summary>Reads the codewords back from the data regions (reverse placement).</summary>
    public static byte[] Read(BitMatrix m, DataMatrixSymbolSize size)
    {
        var map = Placement.Map(size.MappingRows, size.MappingColumns);
        var all = new byte[size.DataCodewords + size.ErrorCodewords];
        var rh = size.DataRegionHeight;
        var rw = size.DataRegionWidth;
        for (var mr = 0; mr < size.MappingRows; mr++)
        {
            var r = ((mr / rh) * (rh + 2)) + (mr % rh) + 1;
            for (var mc = 0; mc < size.MappingColumns; mc++)
            {
                var v = map[(mr * size.MappingColumns) + mc];
                if (v < 0)
                {
                    continue;
                }

                var c = ((mc / rw) * (rw + 2)) + (mc % rw) + 1;
                if (m[r, c])
                {
                    all[v >> 3] |= (byte)(0x80 >> (v & 7));
                }
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
