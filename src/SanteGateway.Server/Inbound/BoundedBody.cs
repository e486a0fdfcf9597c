using Microsoft.AspNetCore.Http.Features;

namespace SanteGateway.Server.Inbound;

/// <summary>
/// Reads a received request body into memory up to a limit (<c>Inbound:MaxBytes</c>), for every endpoint that hands bytes to
/// the inbound gate (<c>POST /api/inbound</c>, <c>POST /fhir/Patient</c>). A body over the limit is refused before the whole of
/// it is read: by its <c>Content-Length</c> when sent, else as soon as the bytes read pass the limit.
/// </summary>
internal static class BoundedBody
{
    /// <summary>The rule of a body over the limit (413).</summary>
    public const string TooLargeRule = "inbound.too-large";

    /// <summary>The field a refusal names.</summary>
    public const string Field = "body";

    /// <summary>The refusal's text, naming the limit.</summary>
    /// <param name="max">The limit in bytes.</param>
    /// <returns>The message.</returns>
    public static string TooLargeMessage(int max) =>
        $"The body exceeds the limit of {max.ToString(System.Globalization.CultureInfo.InvariantCulture)} bytes (Inbound:MaxBytes).";

    /// <summary>Reads the body, or returns null when it is larger than <paramref name="max"/> bytes.</summary>
    /// <param name="http">The request.</param>
    /// <param name="max">Largest body accepted, in bytes.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The bytes as received, or null when over the limit.</returns>
    public static async Task<byte[]?> ReadAsync(HttpContext http, int max, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(max);
        var length = http.Request.ContentLength;
        if (length > max)
        {
            return null;
        }

        // The server's own limit (Kestrel: 30 MB by default) must not answer first with a bare 413 when Inbound:MaxBytes is
        // larger; one byte more than ours, so that our check is the one that refuses.
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = (long)max + 1;
        }

        if (length is { } known)
        {
            // Declared length: one exact buffer, and a body longer than declared is the server's framing error, not ours.
            var exact = new byte[known];
            var read = 0;
            while (read < exact.Length)
            {
                var n = await http.Request.Body.ReadAsync(exact.AsMemory(read), ct).ConfigureAwait(false);
                if (n == 0)
                {
                    break;
                }

                read += n;
            }

            return read == exact.Length ? exact : exact[..read];
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int count;
        while ((count = await http.Request.Body.ReadAsync(chunk, ct).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + count > max)
            {
                return null;
            }

            buffer.Write(chunk, 0, count);
        }

        return buffer.ToArray();
    }
}
