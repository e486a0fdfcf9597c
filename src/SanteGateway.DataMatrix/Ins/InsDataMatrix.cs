using System.Diagnostics.CodeAnalysis;
using System.Text;
using SanteGateway.Identity;

namespace SanteGateway.DataMatrix;

/// <summary>
/// One-call facade for the INS DataMatrix: payload → ECC 200 symbol (smallest square) → PNG or SVG, and back from
/// a PNG or a scanner's text.
/// </summary>
public static class InsDataMatrix
{
    /// <summary>
    /// Builds the payload of an RNIV identity. Refused unless the identity may transmit its INS
    /// (<see cref="RnivIdentity.CanTransmitIns"/>: status QUAL with an INS), because only a qualified identity's
    /// matricule may be printed.
    /// </summary>
    /// <param name="identity">The identity.</param>
    /// <param name="payload">The payload on success.</param>
    /// <param name="errors">Field <c>Status</c>, rule <c>qualified-only</c> for a non-qualified identity; otherwise the
    /// payload's own errors (block id, rule).</param>
    /// <returns>True when the payload was built.</returns>
    public static bool TryCreatePayload(RnivIdentity identity, [NotNullWhen(true)] out InsDataMatrixPayload? payload, out IReadOnlyList<ValidationError> errors)
    {
        ArgumentNullException.ThrowIfNull(identity);
        if (!identity.CanTransmitIns || identity.TransmittableIns is not { } ins)
        {
            payload = null;
            errors = [new ValidationError("Status", "qualified-only", $"Only a qualified (QUAL) identity's INS may be put in a DataMatrix; this identity is {identity.Status.ToString().ToUpperInvariant()}.")];
            return false;
        }

        return InsDataMatrixPayload.TryCreate(ins, identity.Traits, out payload, out errors);
    }

    /// <summary>The symbol for a payload (smallest square size unless <paramref name="options"/> says otherwise).</summary>
    public static DataMatrixSymbol Encode(InsDataMatrixPayload payload, DataMatrixEncodeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(payload);
        return DataMatrixEncoder.Encode(Encoding.ASCII.GetBytes(payload.ToText()), options);
    }

    /// <summary>A PNG of the payload's symbol (defaults: 6 px modules = 0.5 mm at 300 dpi, 2-module quiet zone).</summary>
    public static byte[] RenderPng(InsDataMatrixPayload payload, DataMatrixRenderOptions? options = null) =>
        DataMatrixRenderer.RenderPng(Encode(payload).Modules, options);

    /// <summary>An SVG of the payload's symbol (one path, physical size from <see cref="DataMatrixRenderOptions.ModuleMillimetres"/>).</summary>
    public static string RenderSvg(InsDataMatrixPayload payload, DataMatrixRenderOptions? options = null) =>
        DataMatrixRenderer.RenderSvg(Encode(payload).Modules, options);

    /// <summary>Reads an INS DataMatrix from an image (such as the PNGs produced here) and checks its payload.</summary>
    /// <param name="image">The encoded image.</param>
    /// <param name="payload">The payload on success.</param>
    /// <param name="errors">Why the image or its payload was refused (field <c>image</c> for unreadable images).</param>
    /// <returns>True when a valid payload was read.</returns>
    public static bool TryReadImage(ReadOnlySpan<byte> image, [NotNullWhen(true)] out InsDataMatrixPayload? payload, out IReadOnlyList<ValidationError> errors)
    {
        payload = null;
        if (!DataMatrixImageReader.TryDecode(image, out var result, out var error))
        {
            errors = [new ValidationError("image", "unreadable", error ?? "no symbol found")];
            return false;
        }

        return InsDataMatrixPayload.TryParse(result!.Text, out payload, out errors);
    }
}
