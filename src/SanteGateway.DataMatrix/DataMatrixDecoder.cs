using System.Diagnostics.CodeAnalysis;
using System.Text;
using SanteGateway.DataMatrix.Ecc200;

namespace SanteGateway.DataMatrix;

/// <summary>A decoded symbol.</summary>
/// <param name="Data">The decoded bytes (ISO-8859-1; FNC1 is returned as GS, 0x1D).</param>
/// <param name="Size">The symbol size.</param>
/// <param name="CorrectedCodewords">How many codewords Reed–Solomon had to correct.</param>
public sealed record DataMatrixDecodeResult(byte[] Data, DataMatrixSymbolSize Size, int CorrectedCodewords)
{
    /// <summary>The data as text (ISO-8859-1).</summary>
    public string Text => Encoding.Latin1.GetString(Data);
}

/// <summary>
/// Decodes ECC 200 module matrices: reverse placement, Reed–Solomon correction, then the ASCII, C40, Text, X12,
/// EDIFACT and Base 256 encodations. Never throws on bad input; failures come back as a reason.
/// </summary>
public static class DataMatrixDecoder
{
    /// <summary>Decodes a symbol given as its modules (finder pattern included, no quiet zone).</summary>
    public static bool TryDecode(BitMatrix symbol, [NotNullWhen(true)] out DataMatrixDecodeResult? result, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(symbol);
        result = null;
        var size = DataMatrixSymbolSize.Find(symbol.Rows, symbol.Columns);
        if (size is null)
        {
            error = $"{symbol.Rows}x{symbol.Columns} is not an ECC 200 symbol size";
            return false;
        }

        // Finder and clock modules carry no data: if many are wrong, this is not a symbol (or not one of this size).
        var mismatches = SymbolLayout.FinderMismatches(symbol, size);
        var finderModules = 2 * ((size.RegionRows * size.Columns) + (size.RegionColumns * size.Rows));
        if (mismatches * 4 > finderModules)
        {
            error = $"{mismatches} of the {finderModules} finder and clock modules are wrong: not an ECC 200 symbol";
            return false;
        }

        var all = SymbolLayout.Read(symbol, size);
        var corrected = SymbolLayout.Correct(all, size);
        if (corrected < 0)
        {
            error = "too many damaged codewords for Reed–Solomon correction";
            return false;
        }

        if (!TryDecodeData(all.AsSpan(0, size.DataCodewords), out var data, out var dataError))
        {
            error = dataError ?? "invalid data codewords";
            return false;
        }

        result = new DataMatrixDecodeResult(data, size, corrected);
        error = null;
        return true;
    }

    /// <summary>Decodes data codewords (encodation layer only, no error correction).</summary>
    public static bool TryDecodeData(ReadOnlySpan<byte> codewords, out byte[] data, out string? error)
    {
        var output = new List<byte>(codewords.Length * 2);
        var trailer = (string?)null;
        var upper = false;
        var p = 0;
        data = [];
        error = null;
        while (p < codewords.Length)
        {
            var cw = codewords[p++];
            if (cw == 0)
            {
                error = $"codeword {p}: 0 is not a valid ASCII codeword";
                return false;
            }

            if (cw <= 128)
            {
                Add(output, (byte)(cw - 1), ref upper);
            }
            else if (cw == Encodation.Pad)
            {
                break;
            }
            else if (cw <= 229)
            {
                var v = cw - 130;
                Add(output, (byte)('0' + (v / 10)), ref upper);
                Add(output, (byte)('0' + (v % 10)), ref upper);
            }
            else
            {
                switch (cw)
                {
                    case Encodation.LatchC40:
                    case Encodation.LatchText:
                        p = DecodeC40Text(codewords, p, cw == Encodation.LatchText, output, ref upper);
                        break;
                    case 231:
                        if (!DecodeBase256(codewords, ref p, output, out error))
                        {
                            return false;
                        }

                        break;
                    case 232:
                        output.Add(0x1D);
                        break;
                    case 233:
                        p += 3; // Structured append: sequence indicator and file id, not data.
                        break;
                    case 234:
                        break;
                    case Encodation.UpperShift:
                        upper = true;
                        break;
                    case 236:
                    case 237:
                        output.AddRange("[)>\u001e0"u8);
                        output.Add(cw == 236 ? (byte)'5' : (byte)'6');
                        output.Add(0x1D);
                        trailer = "\u001e\u0004";
                        break;
                    case 238:
                        p = DecodeX12(codewords, p, output);
                        break;
                    case 240:
                        p = DecodeEdifact(codewords, p, output);
                        break;
                    case 241:
                        // ECI designator: 1 to 3 codewords; the value does not change our byte output.
                        p += p < codewords.Length && codewords[p] <= 127 ? 1 : p < codewords.Length && codewords[p] <= 191 ? 2 : 3;
                        break;
                    default:
                        error = $"codeword {p}: {cw} is not valid in ASCII encodation";
                        return false;
                }
            }
        }

        if (trailer is not null)
        {
            output.Add(0x1E);
            output.Add(0x04);
        }

        data = [.. output];
        return true;
    }

    private static void Add(List<byte> output, byte b, ref bool upper)
    {
        output.Add(upper ? (byte)(b + 128) : b);
        upper = false;
    }

    private static int DecodeC40Text(ReadOnlySpan<byte> cw, int p, bool text, List<byte> output, ref bool upper)
    {
        var shift = 0;
        Span<int> v = stackalloc int[3];
        while (p < cw.Length)
        {
            if (cw[p] == Encodation.Unlatch)
            {
                return p + 1;
            }

            if (cw.Length - p < 2)
            {
                // A single codeword left is ASCII (implied unlatch).
                return p;
            }

            var packed = (cw[p] << 8) + cw[p + 1] - 1;
            p += 2;
            v[0] = packed / 1600;
            v[1] = packed / 40 % 40;
            v[2] = packed % 40;
            foreach (var value in v)
            {
                switch (shift)
                {
                    case 0:
                        if (value < 3)
                        {
                            shift = value + 1;
                        }
                        else if (value == 3)
                        {
                            Add(output, (byte)' ', ref upper);
                        }
                        else if (value < 14)
                        {
                            Add(output, (byte)('0' + value - 4), ref upper);
                        }
                        else
                        {
                            Add(output, (byte)((text ? 'a' : 'A') + value - 14), ref upper);
                        }

                        break;
                    case 1:
                        Add(output, (byte)value, ref upper);
                        shift = 0;
                        break;
                    case 2:
                        if (value < 15)
                        {
                            Add(output, (byte)(33 + value), ref upper);
                        }
                        else if (value < 22)
                        {
                            Add(output, (byte)(58 + value - 15), ref upper);
                        }
                        else if (value < 27)
                        {
                            Add(output, (byte)(91 + value - 22), ref upper);
                        }
                        else if (value == 27)
                        {
                            output.Add(0x1D); // FNC1
                        }
                        else if (value == 30)
                        {
                            upper = true;
                        }

                        shift = 0;
                        break;
                    default:
                        if (text)
                        {
                            Add(output, value == 0 ? (byte)96 : value < 27 ? (byte)('A' + value - 1) : (byte)(123 + value - 27), ref upper);
                        }
                        else
                        {
                            Add(output, (byte)(96 + value), ref upper);
                        }

                        shift = 0;
                        break;
                }
            }
        }

        return p;
    }

    private static int DecodeX12(ReadOnlySpan<byte> cw, int p, List<byte> output)
    {
        Span<int> v = stackalloc int[3];
        while (p < cw.Length)
        {
            if (cw[p] == Encodation.Unlatch)
            {
                return p + 1;
            }

            if (cw.Length - p < 2)
            {
                return p;
            }

            var packed = (cw[p] << 8) + cw[p + 1] - 1;
            p += 2;
            v[0] = packed / 1600;
            v[1] = packed / 40 % 40;
            v[2] = packed % 40;
            foreach (var value in v)
            {
                output.Add(value switch
                {
                    0 => 13,
                    1 => (byte)'*',
                    2 => (byte)'>',
                    3 => (byte)' ',
                    < 14 => (byte)('0' + value - 4),
                    _ => (byte)('A' + value - 14),
                });
            }
        }

        return p;
    }

    private static int DecodeEdifact(ReadOnlySpan<byte> cw, int p, List<byte> output)
    {
        while (p < cw.Length)
        {
            // Four 6-bit values in three codewords; fewer codewords may remain at the end of the symbol.
            var n = Math.Min(3, cw.Length - p);
            var bits = 0;
            for (var i = 0; i < 3; i++)
            {
                bits = (bits << 8) | (i < n ? cw[p + i] : 0);
            }

            var values = n * 8 / 6;
            for (var i = 0; i < values; i++)
            {
                var v = (bits >> (18 - (6 * i))) & 0x3F;
                if (v == 0x1F)
                {
                    // Unlatch: ASCII resumes at the next codeword boundary.
                    return p + (((6 * (i + 1)) + 7) / 8);
                }

                output.Add((byte)(v >= 32 ? v : v + 64));
            }

            p += n;
        }

        return p;
    }

    private static bool DecodeBase256(ReadOnlySpan<byte> cw, ref int p, List<byte> output, out string? error)
    {
        error = null;
        if (p >= cw.Length)
        {
            return true;
        }

        var d1 = Unrandomise255(cw[p], p + 1);
        p++;
        int length;
        if (d1 == 0)
        {
            length = cw.Length - p;
        }
        else if (d1 <= 249)
        {
            length = d1;
        }
        else
        {
            if (p >= cw.Length)
            {
                error = "Base 256 length runs past the end of the data";
                return false;
            }

            length = (250 * (d1 - 249)) + Unrandomise255(cw[p], p + 1);
            p++;
        }

        if (length > cw.Length - p)
        {
            error = $"Base 256 field of {length} bytes runs past the end of the data";
            return false;
        }

        for (var i = 0; i < length; i++)
        {
            output.Add((byte)Unrandomise255(cw[p], p + 1));
            p++;
        }

        return true;
    }

    private static int Unrandomise255(byte value, int position)
    {
        var r = (149 * position % 255) + 1;
        var v = value - r;
        return v >= 0 ? v : v + 256;
    }
}
