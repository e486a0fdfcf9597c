using System.Buffers.Binary;
using System.IO.Compression;

namespace SanteGateway.DataMatrix;

/// <summary>
/// A minimal PNG encoder for 8-bit greyscale images (colour type 0): IHDR, optional pHYs, one zlib IDAT (the
/// framework's <see cref="ZLibStream"/>), IEND, each chunk with its CRC-32. Enough for Data Matrix symbols, with no
/// native graphics library to ship.
/// </summary>
internal static class PngWriter
{
    private static ReadOnlySpan<byte> Signature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Encodes <paramref name="gray"/> (row-major, one byte per pixel).</summary>
    public static byte[] Encode(ReadOnlySpan<byte> gray, int width, int height, int dotsPerInch)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        if (gray.Length != width * height)
        {
            throw new ArgumentException("Pixel buffer does not match the size.", nameof(gray));
        }

        using var output = new MemoryStream(1024 + (width * height / 16));
        output.Write(Signature);

        Span<byte> ihdr = stackalloc byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(ihdr, (uint)width);
        BinaryPrimitives.WriteUInt32BigEndian(ihdr[4..], (uint)height);
        ihdr[8] = 8; // bit depth
        ihdr[9] = 0; // greyscale
        ihdr[10] = 0; // deflate
        ihdr[11] = 0; // adaptive filtering (one filter byte per row)
        ihdr[12] = 0; // no interlace
        WriteChunk(output, "IHDR"u8, ihdr);

        if (dotsPerInch > 0)
        {
            Span<byte> phys = stackalloc byte[9];
            var ppm = (uint)Math.Round(dotsPerInch / 0.0254);
            BinaryPrimitives.WriteUInt32BigEndian(phys, ppm);
            BinaryPrimitives.WriteUInt32BigEndian(phys[4..], ppm);
            phys[8] = 1; // unit: metre
            WriteChunk(output, "pHYs"u8, phys);
        }

        // "Up" filter: each pixel row of a module repeats the one above, so most rows become zeros and compress to
        // almost nothing at the fastest level.
        using var compressed = new MemoryStream();
        using (var z = new ZLibStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            var row = new byte[width + 1];
            for (var y = 0; y < height; y++)
            {
                var current = gray.Slice(y * width, width);
                if (y == 0)
                {
                    row[0] = 0;
                    current.CopyTo(row.AsSpan(1));
                }
                else
                {
                    row[0] = 2;
                    var above = gray.Slice((y - 1) * width, width);
                    for (var x = 0; x < width; x++)
                    {
                        row[x + 1] = (byte)(current[x] - above[x]);
                    }
                }

                z.Write(row);
            }
        }

        WriteChunk(output, "IDAT"u8, compressed.GetBuffer().AsSpan(0, (int)compressed.Length));
        WriteChunk(output, "IEND"u8, []);
        return output.ToArray();
    }

    private static void WriteChunk(Stream output, ReadOnlySpan<byte> type, ReadOnlySpan<byte> data)
    {
        Span<byte> header = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(header, (uint)data.Length);
        type.CopyTo(header[4..]);
        output.Write(header);
        output.Write(data);
        var crc = PngPhysicalSize.Crc(data, PngPhysicalSize.Crc(type, 0xFFFFFFFFu, finish: false), finish: true);
        Span<byte> crcBytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crcBytes, crc);
        output.Write(crcBytes);
    }
}
