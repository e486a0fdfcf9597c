namespace SanteGateway.DataMatrix;

/// <summary>A rectangular grid of modules; <see langword="true"/> is a dark module.</summary>
public sealed class BitMatrix
{
    private readonly bool[] _bits;

    /// <summary>Creates an all-light matrix.</summary>
    public BitMatrix(int rows, int columns)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(columns);
        Rows = rows;
        Columns = columns;
        _bits = new bool[rows * columns];
    }

    internal BitMatrix(int rows, int columns, bool[] bits)
    {
        Rows = rows;
        Columns = columns;
        _bits = bits;
    }

    /// <summary>Number of rows.</summary>
    public int Rows { get; }

    /// <summary>Number of columns.</summary>
    public int Columns { get; }

    /// <summary>The module at <paramref name="row"/>, <paramref name="column"/> (0,0 is the top-left).</summary>
    public bool this[int row, int column]
    {
        get => _bits[Index(row, column)];
        set => _bits[Index(row, column)] = value;
    }

    internal bool GetAt(int index) => _bits[index];

    /// <summary>Flips one module (used to simulate damage).</summary>
    public void Flip(int row, int column) => _bits[Index(row, column)] ^= true;

    /// <summary>A copy as a two-dimensional array indexed <c>[row, column]</c>.</summary>
    public bool[,] ToArray()
    {
        var a = new bool[Rows, Columns];
        for (var r = 0; r < Rows; r++)
        {
            for (var c = 0; c < Columns; c++)
            {
                a[r, c] = _bits[(r * Columns) + c];
            }
        }

        return a;
    }

    /// <summary>Builds a matrix from a two-dimensional array indexed <c>[row, column]</c>.</summary>
    public static BitMatrix FromArray(bool[,] modules)
    {
        ArgumentNullException.ThrowIfNull(modules);
        var m = new BitMatrix(modules.GetLength(0), modules.GetLength(1));
        for (var r = 0; r < m.Rows; r++)
        {
            for (var c = 0; c < m.Columns; c++)
            {
                m[r, c] = modules[r, c];
            }
        }

        return m;
    }

    /// <summary>A deep copy.</summary>
    public BitMatrix Clone()
    {
        var m = new BitMatrix(Rows, Columns);
        _bits.CopyTo(m._bits, 0);
        return m;
    }

    /// <summary>The matrix as text, one line per row, <c>#</c> dark and <c>.</c> light (for diagnostics).</summary>
    public override string ToString()
    {
        var sb = new System.Text.StringBuilder(Rows * (Columns + 1));
        for (var r = 0; r < Rows; r++)
        {
            for (var c = 0; c < Columns; c++)
            {
                sb.Append(_bits[(r * Columns) + c] ? '#' : '.');
            }

            sb.Append('\n');
        }

        return sb.ToString();
    }

    private int Index(int row, int column)
    {
        if ((uint)row >= (uint)Rows || (uint)column >= (uint)Columns)
        {
            throw new ArgumentOutOfRangeException(nameof(row), $"module ({row},{column}) outside a {Rows}x{Columns} matrix");
        }

        return (row * Columns) + column;
    }
}
