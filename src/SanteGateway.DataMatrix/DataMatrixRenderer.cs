using System.Globalization;
using System.Text;

namespace SanteGateway.DataMatrix;

/// <summary>
/// How a symbol is drawn. The defaults suit 300-dpi thermal label printers: a module of 0.5 mm is
/// 0.5 / 25.4 × 300 ≈ 5.9, so 6 printer dots, and a 2-module quiet zone (ISO/IEC 16022 asks for at least 1).
/// </summary>
public sealed record DataMatrixRenderOptions
{
    /// <summary>Defaults: 6 px modules (0.5 mm at 300 dpi), 2-module quiet zone.</summary>
    public static DataMatrixRenderOptions Default { get; } = new();

    /// <summary>Pixels per module in PNG output (whole pixels keep edges sharp on the printer).</summary>
    public int ModulePixels { get; init; } = 6;

    /// <summary>Light margin around the symbol, in modules.</summary>
    public int QuietZoneModules { get; init; } = 2;

    /// <summary>Physical module size written in SVG <c>width</c>/<c>height</c> (millimetres).</summary>
    public double ModuleMillimetres { get; init; } = 0.5;

    /// <summary>
    /// Resolution written in the PNG <c>pHYs</c> chunk so that printing software reproduces the physical size
    /// (default 300 dpi: 6 px modules print at 0.508 mm); 0 writes no resolution.
    /// </summary>
    public int DotsPerInch { get; init; } = 300;

    /// <summary>Options for a printer: the module size rounded to whole dots (at least 1).</summary>
    public static DataMatrixRenderOptions ForPrinter(double moduleMillimetres, int dotsPerInch)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(moduleMillimetres);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dotsPerInch);
        var dots = Math.Max(1, (int)Math.Round(moduleMillimetres / 25.4 * dotsPerInch, MidpointRounding.AwayFromZero));
        return new DataMatrixRenderOptions { ModulePixels = dots, ModuleMillimetres = dots * 25.4 / dotsPerInch, DotsPerInch = dotsPerInch };
    }

    internal void Validate()
    {
        if (ModulePixels is < 1 or > 100)
        {
            throw new ArgumentOutOfRangeException(nameof(ModulePixels), ModulePixels, "between 1 and 100 pixels per module");
        }

        if (QuietZoneModules is < 0 or > 50)
        {
            throw new ArgumentOutOfRangeException(nameof(QuietZoneModules), QuietZoneModules, "between 0 and 50 modules");
        }

        if (DotsPerInch is < 0 or > 10_000)
        {
            throw new ArgumentOutOfRangeException(nameof(DotsPerInch), DotsPerInch, "between 0 (none) and 10000 dpi");
        }

        if (!(ModuleMillimetres > 0 && ModuleMillimetres < 100))
        {
            throw new ArgumentOutOfRangeException(nameof(ModuleMillimetres), ModuleMillimetres, "a positive size under 100 mm");
        }
    }
}

/// <summary>Draws module matrices as PNG (8-bit greyscale, framework zlib) or SVG (one path).</summary>
public static class DataMatrixRenderer
{
    /// <summary>Renders a PNG image: black modules on white, quiet zone included.</summary>
    public static byte[] RenderPng(BitMatrix modules, DataMatrixRenderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(modules);
        options ??= DataMatrixRenderOptions.Default;
        options.Validate();
        var px = options.ModulePixels;
        var q = options.QuietZoneModules;
        var width = (modules.Columns + (2 * q)) * px;
        var height = (modules.Rows + (2 * q)) * px;
        var pixels = new byte[width * height];
        pixels.AsSpan().Fill(0xFF);
        var rowBuffer = new byte[width];
        for (var r = 0; r < modules.Rows; r++)
        {
            rowBuffer.AsSpan().Fill(0xFF);
            for (var c = 0; c < modules.Columns; c++)
            {
                if (modules[r, c])
                {
                    rowBuffer.AsSpan((c + q) * px, px).Clear();
                }
            }

            for (var y = 0; y < px; y++)
            {
                rowBuffer.CopyTo(pixels.AsSpan((((r + q) * px) + y) * width, width));
            }
        }

        // Written with the framework's zlib (PngWriter): no native graphics library in the deployed gateway.
        return PngWriter.Encode(pixels, width, height, options.DotsPerInch);
    }

    /// <summary>Renders an SVG document: a white background and one path of dark modules, sized in millimetres.</summary>
    public static string RenderSvg(BitMatrix modules, DataMatrixRenderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(modules);
        options ??= DataMatrixRenderOptions.Default;
        options.Validate();
        var q = options.QuietZoneModules;
        var w = modules.Columns + (2 * q);
        var h = modules.Rows + (2 * q);
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder(64 + (modules.Rows * modules.Columns * 3));
        sb.Append(inv, $"<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"{(w * options.ModuleMillimetres).ToString("0.###", inv)}mm\" height=\"{(h * options.ModuleMillimetres).ToString("0.###", inv)}mm\" viewBox=\"0 0 {w} {h}\" shape-rendering=\"crispEdges\">");
        sb.Append(inv, $"<rect width=\"{w}\" height=\"{h}\" fill=\"#fff\"/><path fill=\"#000\" d=\"");
        for (var r = 0; r < modules.Rows; r++)
        {
            var c = 0;
            while (c < modules.Columns)
            {
                if (!modules[r, c])
                {
                    c++;
                    continue;
                }

                // One rectangle per horizontal run of dark modules keeps the path short.
                var start = c;
                while (c < modules.Columns && modules[r, c])
                {
                    c++;
                }

                sb.Append(inv, $"M{start + q} {r + q}h{c - start}v1h-{c - start}z");
            }
        }

        sb.Append("\"/></svg>");
        return sb.ToString();
    }
}
