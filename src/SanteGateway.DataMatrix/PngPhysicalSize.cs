using System.Buffers.Binary;

namespace SanteGateway.DataMatrix;

/// <summary>Adds a <c>pHYs</c> chunk (pixels per metre) right after <c>IHDR</c> of an existing PNG; also the CRC-32 of PNG chunks.</summary>
internal static class PngPhysicalSize
{
    private static readonly uint[] CrcTable = BuildCrcTable();

    public static byte[] Insert(ReadOnlySpan<byte> png, int dotsPerInch)
    {
        // Signature (8) + IHDR chunk (4 length + 4 type + 13 data + 4 CRC) = 33 bytes.
        const int afterIhdr = 33;
        var ppm = (uint)Math.Round(dotsPerInch / 0.0254);
        var output = new byte[png.Length + 21];
        png[..afterIhdr].CopyTo(output);
        var chunk = output.AsSpan(afterIhdr, 21);
        BinaryPrimitives.WriteUInt32BigEndian(chunk, 9);
        "pHYs"u8.CopyTo(chunk[4..]);
        BinaryPrimitives.WriteUInt32BigEndian(chunk[8..], ppm);
        BinaryPrimitives.WriteUInt32BigEndian(chunk[12..], ppm);
        chunk[16] = 1; // unit: metre
        BinaryPrimitives.WriteUInt32BigEndian(chunk[17..], Crc(chunk[4..17]));
        png[afterIhdr..].CopyTo(output.AsSpan(afterIhdr + 21));
        return output;
    }

    private static uint Crc(ReadOnlySpan<byte> data) => Crc(data, 0xFFFFFFFFu, finish: true);

    /// <summary>CRC-32 (ISO-HDLC, as PNG uses) of <paramref name="data"/> continuing from <paramref name="state"/>.</summary>
    public static uint Crc(ReadOnlySpan<byte> data, uint state, bool finish)
    {
        var c = state;
        foreach (var b in data)
        {
            c = CrcTable[(c ^ b) & 0xFF] ^ (c >> 8);
        }

        return finish ? c ^ 0xFFFFFFFFu : c;
    }

    private static uint[] BuildCrcTable()
    {
        var table = new uint[256];
        for (var n = 0u; n < 256; n++)
        {
            var c = n;
            for (var k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }

            table[n] = c;
        }

        return table;
    }
}
