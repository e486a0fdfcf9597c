using System.Text;
using SanteGateway.DataMatrix.Ecc200;

namespace SanteGateway.DataMatrix;

/// <summary>Which ECC 200 sizes the encoder may choose from.</summary>
public enum DataMatrixShape
{
    /// <summary>Square sizes only (10x10..144x144); the usual choice for labels.</summary>
    Square,

    /// <summary>Rectangular sizes only (8x18..16x48, at most 49 data codewords).</summary>
    Rectangle,

    /// <summary>The smallest capacity that fits, square or rectangular.</summary>
    Any,
}

/// <summary>Encoder settings.</summary>
public sealed record DataMatrixEncodeOptions
{
    /// <summary>Default settings: smallest square symbol.</summary>
    public static DataMatrixEncodeOptions Default { get; } = new();

    /// <summary>Sizes to choose from when <see cref="Size"/> is not set.</summary>
    public DataMatrixShape Shape { get; init; } = DataMatrixShape.Square;

    /// <summary>Forces one size; encoding fails when the data does not fit it.</summary>
    public DataMatrixSymbolSize? Size { get; init; }
}

/// <summary>An encoded ECC 200 symbol.</summary>
public sealed class DataMatrixSymbol
{
    internal DataMatrixSymbol(DataMatrixSymbolSize size, BitMatrix modules, byte[] dataCodewords)
    {
        Size = size;
        Modules = modules;
        DataCodewords = dataCodewords;
    }

    /// <summary>The symbol size.</summary>
    public DataMatrixSymbolSize Size { get; }

    /// <summary>The modules, finder pattern included, quiet zone excluded.</summary>
    public BitMatrix Modules { get; }

    /// <summary>The data codewords (encodation and padding), before error correction.</summary>
    public IReadOnlyList<byte> DataCodewords { get; }
}

/// <summary>
/// ISO/IEC 16022 Data Matrix ECC 200 encoder: minimal ASCII/C40/Text encodation, padding, Reed–Solomon with
/// block interleaving, module placement, finder and alignment patterns.
/// </summary>
public static class DataMatrixEncoder
{
    private static readonly Encoding Latin1 = Encoding.Latin1;

    /// <summary>Longest input that could fit the largest symbol (1558 codewords × 2 digits).</summary>
    public const int MaxDataLength = 3116;

    /// <summary>Encodes bytes (interpreted as ISO-8859-1 by readers).</summary>
    /// <exception cref="ArgumentException">The data does not fit the allowed sizes.</exception>
    public static DataMatrixSymbol Encode(ReadOnlySpan<byte> data, DataMatrixEncodeOptions? options = null)
    {
        options ??= DataMatrixEncodeOptions.Default;

        // The largest symbol holds 1558 codewords, at most two digits each: anything longer cannot fit, so refuse it
        // before the encodation search spends time (and stack) on it.
        if (data.Length > MaxDataLength)
        {
            throw new ArgumentException($"{data.Length} bytes cannot fit any ECC 200 symbol (at most {MaxDataLength} digits)", nameof(data));
        }

        IReadOnlyList<DataMatrixSymbolSize> sizes = options.Size is { } fixedSize
            ? [fixedSize]
            : options.Shape switch
            {
                DataMatrixShape.Rectangle => DataMatrixSymbolSize.Rectangular,
                DataMatrixShape.Any => DataMatrixSymbolSize.All,
                _ => DataMatrixSymbolSize.Square,
            };
        var (codewords, size) = Encodation.Encode(data, sizes);
        var all = SymbolLayout.AddErrorCorrection(codewords, size);
        return new DataMatrixSymbol(size, SymbolLayout.Draw(all, size), codewords);
    }

    /// <summary>
    /// Builds a symbol from ready-made data codewords (for interoperability tests and published vectors): they are
    /// padded to the size's capacity if shorter, then error correction and placement are applied as usual.
    /// </summary>
    /// <exception cref="ArgumentException">More codewords than the size holds.</exception>
    public static DataMatrixSymbol EncodeCodewords(ReadOnlySpan<byte> dataCodewords, DataMatrixSymbolSize size)
    {
        ArgumentNullException.ThrowIfNull(size);
        if (dataCodewords.Length > size.DataCodewords)
        {
            throw new ArgumentException($"{dataCodewords.Length} codewords do not fit {size} ({size.DataCodewords})", nameof(dataCodewords));
        }

        var codewords = new byte[size.DataCodewords];
        dataCodewords.CopyTo(codewords);
        for (var i = dataCodewords.Length; i < codewords.Length; i++)
        {
            codewords[i] = i == dataCodewords.Length ? Encodation.Pad : Encodation.RandomisedPad(i + 1);
        }

        var all = SymbolLayout.AddErrorCorrection(codewords, size);
        return new DataMatrixSymbol(size, SymbolLayout.Draw(all, size), codewords);
    }

    /// <summary>Encodes text made of ISO-8859-1 characters (U+0000..U+00FF); the GS separator is U+001D.</summary>
    /// <exception cref="ArgumentException">A character is outside ISO-8859-1, or the data does not fit.</exception>
    public static DataMatrixSymbol Encode(string text, DataMatrixEncodeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] > '\u00FF')
            {
                throw new ArgumentException($"character U+{(int)text[i]:X4} at position {i + 1} is outside ISO-8859-1", nameof(text));
            }
        }

        return Encode(Latin1.GetBytes(text), options);
    }
}
