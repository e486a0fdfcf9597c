using System.Buffers.Binary;
using System.IO.Compression;

namespace SanteGateway.DataMatrix.Tests;

/// <summary>The framework-zlib PNG writer: a well-formed greyscale PNG an independent inflater and CRC agree with.</summary>
public sealed class PngWriterTests
{
    [Fact]
    public void The_png_has_valid_chunk_crcs_an_8_bit_greyscale_header_the_dpi_and_the_exact_pixels()
    {
        var matrix = DataMatrixEncoder.Encode("SANTEGW"u8.ToArray()).Modules;
        var options = new DataMatrixRenderOptions { ModulePixels = 3, QuietZoneModules = 2, DotsPerInch = 300 };
        var png = DataMatrixRenderer.RenderPng(matrix, options);

        png.AsSpan(0, 8).ToArray().Should().Equal(0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A);
        var chunks = new List<(string Type, byte[] Data)>();
        for (var at = 8; at < png.Length;)
        {
            var length = (int)BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(at));
            var type = System.Text.Encoding.ASCII.GetString(png, at + 4, 4);
            var data = png.AsSpan(at + 8, length).ToArray();
            var crc = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(at + 8 + length));
            crc.Should().Be(Crc32(png.AsSpan(at + 4, 4 + length)), $"CRC of {type}");
            chunks.Add((type, data));
            at += 12 + length;
        }

        chunks.Select(c => c.Type).Should().Equal("IHDR", "pHYs", "IDAT", "IEND");
        var width = (matrix.Columns + 4) * 3;
        var height = (matrix.Rows + 4) * 3;
        var ihdr = chunks[0].Data;
        BinaryPrimitives.ReadUInt32BigEndian(ihdr).Should().Be((uint)width);
        BinaryPrimitives.ReadUInt32BigEndian(ihdr.AsSpan(4)).Should().Be((uint)height);
        ihdr[8].Should().Be(8);
        ihdr[9].Should().Be(0);
        BinaryPrimitives.ReadUInt32BigEndian(chunks[1].Data).Should().Be(11811u, "300 dpi in pixels per metre");

        using var inflated = new MemoryStream();
        using (var z = new ZLibStream(new MemoryStream(chunks[2].Data), CompressionMode.Decompress))
        {
            z.CopyTo(inflated);
        }

        var raw = inflated.ToArray();
        raw.Length.Should().Be(height * (width + 1));
        var previous = new byte[width];
        for (var y = 0; y < height; y++)
        {
            var filter = raw[y * (width + 1)];
            var row = raw.AsSpan((y * (width + 1)) + 1, width).ToArray();
            if (filter == 2)
            {
                for (var x = 0; x < width; x++)
                {
                    row[x] = (byte)(row[x] + previous[x]);
                }
            }
            else
            {
                filter.Should().Be(0);
            }

            for (var x = 0; x < width; x++)
            {
                var r = (y / 3) - 2;
                var c = (x / 3) - 2;
                var dark = r >= 0 && c >= 0 && r < matrix.Rows && c < matrix.Columns && matrix[r, c];
                row[x].Should().Be(dark ? (byte)0 : (byte)255);
            }

            previous = row;
        }
    }

    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        var c = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            c ^= b;
            for (var k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }
        }

        return ~c;
    }
}
