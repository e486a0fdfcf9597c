namespace SanteGateway.DataMatrix;

/// <summary>
/// One ECC 200 symbol size (ISO/IEC 16022 table 7): the 24 square sizes 10x10..144x144 and the 6 rectangular
/// sizes 8x18..16x48.
/// </summary>
public sealed class DataMatrixSymbolSize
{
    private DataMatrixSymbolSize(int rows, int columns, int regionHeight, int regionWidth, int dataCodewords, int errorCodewords, int blockCount)
    {
        Rows = rows;
        Columns = columns;
        DataRegionHeight = regionHeight;
        DataRegionWidth = regionWidth;
        DataCodewords = dataCodewords;
        ErrorCodewords = errorCodewords;
        BlockCount = blockCount;
        RegionRows = rows / (regionHeight + 2);
        RegionColumns = columns / (regionWidth + 2);
    }

    /// <summary>Number of module rows, finder pattern included (quiet zone excluded).</summary>
    public int Rows { get; }

    /// <summary>Number of module columns, finder pattern included (quiet zone excluded).</summary>
    public int Columns { get; }

    /// <summary>Height in modules of one data region (without its finder/alignment border).</summary>
    public int DataRegionHeight { get; }

    /// <summary>Width in modules of one data region (without its finder/alignment border).</summary>
    public int DataRegionWidth { get; }

    /// <summary>Number of data regions vertically.</summary>
    public int RegionRows { get; }

    /// <summary>Number of data regions horizontally.</summary>
    public int RegionColumns { get; }

    /// <summary>Data capacity in codewords.</summary>
    public int DataCodewords { get; }

    /// <summary>Total number of Reed–Solomon codewords (all blocks).</summary>
    public int ErrorCodewords { get; }

    /// <summary>Number of interleaved Reed–Solomon blocks.</summary>
    public int BlockCount { get; }

    /// <summary>Reed–Solomon codewords per block.</summary>
    public int ErrorCodewordsPerBlock => ErrorCodewords / BlockCount;

    /// <summary>True for the six rectangular sizes.</summary>
    public bool IsRectangular => Rows != Columns;

    /// <summary>Height of the mapping matrix (all data regions side by side, borders removed).</summary>
    public int MappingRows => RegionRows * DataRegionHeight;

    /// <summary>Width of the mapping matrix.</summary>
    public int MappingColumns => RegionColumns * DataRegionWidth;

    /// <summary>Number of data codewords carried by block <paramref name="block"/> (blocks are filled round-robin).</summary>
    public int DataCodewordsInBlock(int block) => (DataCodewords / BlockCount) + (block < DataCodewords % BlockCount ? 1 : 0);

    /// <summary>Every size, ordered by data capacity (squares and rectangles mixed).</summary>
    public static IReadOnlyList<DataMatrixSymbolSize> All { get; } = Build();

    /// <summary>The 24 square sizes, smallest first.</summary>
    public static IReadOnlyList<DataMatrixSymbolSize> Square { get; } = [.. All.Where(s => !s.IsRectangular)];

    /// <summary>The 6 rectangular sizes, smallest first.</summary>
    public static IReadOnlyList<DataMatrixSymbolSize> Rectangular { get; } = [.. All.Where(s => s.IsRectangular)];

    /// <summary>Finds the size with exactly these dimensions.</summary>
    /// <returns><see langword="null"/> when no ECC 200 symbol has these dimensions.</returns>
    public static DataMatrixSymbolSize? Find(int rows, int columns)
    {
        foreach (var s in All)
        {
            if (s.Rows == rows && s.Columns == columns)
            {
                return s;
            }
        }

        return null;
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Rows}x{Columns}";

    private static DataMatrixSymbolSize[] Build()
    {
        DataMatrixSymbolSize[] sizes =
        [
            new(10, 10, 8, 8, 3, 5, 1),
            new(12, 12, 10, 10, 5, 7, 1),
            new(8, 18, 6, 16, 5, 7, 1),
            new(14, 14, 12, 12, 8, 10, 1),
            new(8, 32, 6, 14, 10, 11, 1),
            new(16, 16, 14, 14, 12, 12, 1),
            new(12, 26, 10, 24, 16, 14, 1),
            new(18, 18, 16, 16, 18, 14, 1),
            new(20, 20, 18, 18, 22, 18, 1),
            new(12, 36, 10, 16, 22, 18, 1),
            new(22, 22, 20, 20, 30, 20, 1),
            new(16, 36, 14, 16, 32, 24, 1),
            new(24, 24, 22, 22, 36, 24, 1),
            new(26, 26, 24, 24, 44, 28, 1),
            new(16, 48, 14, 22, 49, 28, 1),
            new(32, 32, 14, 14, 62, 36, 1),
            new(36, 36, 16, 16, 86, 42, 1),
            new(40, 40, 18, 18, 114, 48, 1),
            new(44, 44, 20, 20, 144, 56, 1),
            new(48, 48, 22, 22, 174, 68, 1),
            new(52, 52, 24, 24, 204, 84, 2),
            new(64, 64, 14, 14, 280, 112, 2),
            new(72, 72, 16, 16, 368, 144, 4),
            new(80, 80, 18, 18, 456, 192, 4),
            new(88, 88, 20, 20, 576, 224, 4),
            new(96, 96, 22, 22, 696, 272, 4),
            new(104, 104, 24, 24, 816, 336, 6),
            new(120, 120, 18, 18, 1050, 408, 6),
            new(132, 132, 20, 20, 1304, 496, 8),
            new(144, 144, 22, 22, 1558, 620, 10),
        ];
        return sizes;
    }
}
