using System.Diagnostics.CodeAnalysis;
using SkiaSharp;

namespace SanteGateway.DataMatrix;

/// <summary>
/// Reads back axis-aligned Data Matrix images such as the PNGs of <see cref="DataMatrixRenderer"/> (any module
/// size, any quiet zone): the dark bounding box gives the symbol edges, the clock tracks along the top and the right
/// give the number of columns and rows, and each module is sampled at its centre.
/// Not a camera decoder: rotated, skewed or perspective images are out of scope.
/// </summary>
public static class DataMatrixImageReader
{
    /// <summary>Largest accepted image, in pixels (keeps hostile images from exhausting memory).</summary>
    public const int MaxPixels = 16_000_000;

    /// <summary>Extracts the module matrix from an encoded image (PNG, or any format SkiaSharp decodes).</summary>
    public static bool TryReadModules(ReadOnlySpan<byte> image, [NotNullWhen(true)] out BitMatrix? modules, [NotNullWhen(false)] out string? error)
    {
        modules = null;
        byte[] gray;
        int width, height;
        try
        {
            using var data = SKData.CreateCopy(image);
            using var codec = SKCodec.Create(data);
            if (codec is null)
            {
                error = "not a readable image";
                return false;
            }

            width = codec.Info.Width;
            height = codec.Info.Height;
            if (width <= 0 || height <= 0 || (long)width * height > MaxPixels)
            {
                error = $"image of {width}x{height} pixels is empty or too large";
                return false;
            }

            var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
            using var bitmap = new SKBitmap(info);
            var result = codec.GetPixels(info, bitmap.GetPixels());
            if (result is not (SKCodecResult.Success or SKCodecResult.IncompleteInput))
            {
                error = $"image could not be decoded ({result})";
                return false;
            }

            gray = ToGray(bitmap.GetPixelSpan(), bitmap.RowBytes, width, height);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or NotSupportedException)
        {
            error = $"image could not be decoded ({e.GetType().Name})";
            return false;
        }

        return TryReadModules(gray, width, height, out modules, out error);
    }

    /// <summary>Decodes an image straight to the symbol's data.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> image, [NotNullWhen(true)] out DataMatrixDecodeResult? result, [NotNullWhen(false)] out string? error)
    {
        result = null;
        return TryReadModules(image, out var modules, out error) && DataMatrixDecoder.TryDecode(modules!, out result, out error);
    }

    private static byte[] ToGray(ReadOnlySpan<byte> rgba, int stride, int width, int height)
    {
        var gray = new byte[width * height];
        for (var y = 0; y < height; y++)
        {
            var row = rgba.Slice(y * stride, width * 4);
            for (var x = 0; x < width; x++)
            {
                int r = row[4 * x], g = row[(4 * x) + 1], b = row[(4 * x) + 2], a = row[(4 * x) + 3];
                var luma = ((299 * r) + (587 * g) + (114 * b)) / 1000;

                // Transparent pixels count as the white paper they will be printed on.
                gray[(y * width) + x] = (byte)(((luma * a) + (255 * (255 - a))) / 255);
            }
        }

        return gray;
    }

    private static bool TryReadModules(byte[] gray, int width, int height, out BitMatrix? modules, out string? error)
    {
        modules = null;
        int min = 255, max = 0;
        foreach (var g in gray)
        {
            min = Math.Min(min, g);
            max = Math.Max(max, g);
        }

        if (max - min < 64)
        {
            error = "no contrast: the image holds no symbol";
            return false;
        }

        var threshold = (min + max) / 2;
        bool Dark(int x, int y) => gray[(y * width) + x] < threshold;

        int left = width, right = -1, top = height, bottom = -1;
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                if (Dark(x, y))
                {
                    left = Math.Min(left, x);
                    right = Math.Max(right, x);
                    top = Math.Min(top, y);
                    bottom = Math.Max(bottom, y);
                }
            }
        }

        if (right - left < 7 || bottom - top < 7)
        {
            error = "the dark area is too small to be a symbol";
            return false;
        }

        // Module size from the solid "L": along a row, the left column's dark run is one module wide wherever the
        // module next to it is light, which is always the case on the top row (clock track); along a column, the
        // bottom row's run up is one module wide under the right column. Every such module row spans several pixel
        // rows, so the third smallest run ignores a stray pixel or two on blurred corners.
        var runsRight = new List<int>();
        for (var y = top; y <= bottom; y++)
        {
            var x = left;
            while (x <= right && !Dark(x, y))
            {
                x++;
            }

            var run = 0;
            while (x + run <= right && Dark(x + run, y))
            {
                run++;
            }

            if (run > 0)
            {
                runsRight.Add(run);
            }
        }

        var runsUp = new List<int>();
        for (var x = left; x <= right; x++)
        {
            var y = bottom;
            while (y >= top && !Dark(x, y))
            {
                y--;
            }

            var run = 0;
            while (y - run >= top && Dark(x, y - run))
            {
                run++;
            }

            if (run > 0)
            {
                runsUp.Add(run);
            }
        }

        if (runsRight.Count == 0 || runsUp.Count == 0)
        {
            error = "no finder pattern: no solid left column or bottom row";
            return false;
        }

        runsRight.Sort();
        runsUp.Sort();
        var moduleWidth = runsRight[Math.Min(2, runsRight.Count - 1)];
        var moduleHeight = runsUp[Math.Min(2, runsUp.Count - 1)];

        // The clock tracks: dark modules alternate along the top row and (region by region) the right column, so the
        // number of dark runs is half the number of columns and of rows.
        var columns = 2 * CountDarkRuns(x => Dark(x, Math.Min(bottom, top + (moduleHeight / 2))), left, right);
        var rows = 2 * CountDarkRuns(y => Dark(Math.Max(left, right - (moduleWidth / 2)), y), top, bottom);
        if (columns < 8 || rows < 8)
        {
            error = "no clock track: the symbol edges were not found";
            return false;
        }

        if (DataMatrixSymbolSize.Find(rows, columns) is null)
        {
            error = $"found a {rows}x{columns} grid, which is not an ECC 200 size";
            return false;
        }

        var mw = (right - left + 1) / (double)columns;
        var mh = (bottom - top + 1) / (double)rows;
        var m = new BitMatrix(rows, columns);
        for (var r = 0; r < rows; r++)
        {
            var y = Math.Clamp((int)(top + ((r + 0.5) * mh)), 0, height - 1);
            for (var c = 0; c < columns; c++)
            {
                var x = Math.Clamp((int)(left + ((c + 0.5) * mw)), 0, width - 1);
                m[r, c] = Dark(x, y);
            }
        }

        modules = m;
        error = null;
        return true;
    }

    private static int CountDarkRuns(Func<int, bool> dark, int from, int to)
    {
        var runs = 0;
        var previous = false;
        for (var i = from; i <= to; i++)
        {
            var d = dark(i);
            if (d && !previous)
            {
                runs++;
            }

            previous = d;
        }

        return runs;
    }
}
