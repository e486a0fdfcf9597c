using System.Text;

namespace SanteGateway.Documents.Xds;

/// <summary>A MIME part of an MTOM/XOP message.</summary>
/// <param name="ContentId">Content-ID without the angle brackets.</param>
/// <param name="ContentType">Content-Type.</param>
/// <param name="Body">Bytes.</param>
public sealed record MimePart(string ContentId, string ContentType, ReadOnlyMemory<byte> Body);

/// <summary>An MTOM/XOP message: the SOAP envelope (root part) and the attachments by Content-ID.</summary>
/// <param name="Envelope">The SOAP envelope bytes.</param>
/// <param name="Attachments">Other parts by Content-ID.</param>
public sealed record MtomMessage(ReadOnlyMemory<byte> Envelope, IReadOnlyDictionary<string, byte[]> Attachments);

/// <summary>
/// MTOM/XOP (SOAP 1.2) packaging: <c>multipart/related; type="application/xop+xml"; start-info="application/soap+xml"</c>
/// with the envelope as the root part and each document as a binary part referenced by <c>xop:Include</c>.
/// </summary>
public static class Mtom
{
    private const string Crlf = "\r\n";

    /// <summary>Builds a message.</summary>
    /// <param name="envelope">The SOAP envelope (with xop:Include references).</param>
    /// <param name="attachments">Parts (Content-ID, MIME type, bytes).</param>
    /// <param name="action">SOAP action, written in the start-info parameters.</param>
    /// <param name="contentType">The HTTP Content-Type to send.</param>
    /// <returns>The body bytes.</returns>
    public static byte[] Write(ReadOnlySpan<byte> envelope, IEnumerable<MimePart> attachments, string action, out string contentType)
    {
        ArgumentNullException.ThrowIfNull(attachments);
        var boundary = "MIMEBoundary_" + Guid.NewGuid().ToString("N");
        const string root = "root.message@santegateway";
        contentType = $"multipart/related; type=\"application/xop+xml\"; boundary=\"{boundary}\"; start=\"<{root}>\"; start-info=\"application/soap+xml\"; action=\"{action}\"";
        using var ms = new MemoryStream(envelope.Length + 1024);
        WriteAscii(ms, $"--{boundary}{Crlf}Content-Type: application/xop+xml; charset=UTF-8; type=\"application/soap+xml\"; action=\"{action}\"{Crlf}Content-Transfer-Encoding: binary{Crlf}Content-ID: <{root}>{Crlf}{Crlf}");
        ms.Write(envelope);
        foreach (var part in attachments)
        {
            WriteAscii(ms, $"{Crlf}--{boundary}{Crlf}Content-Type: {part.ContentType}{Crlf}Content-Transfer-Encoding: binary{Crlf}Content-ID: <{part.ContentId}>{Crlf}{Crlf}");
            ms.Write(part.Body.Span);
        }

        WriteAscii(ms, $"{Crlf}--{boundary}--{Crlf}");
        return ms.ToArray();
    }

    /// <summary>
    /// Reads a body: MTOM multipart (envelope = the <c>start</c> part, else the first), or a plain SOAP envelope.
    /// </summary>
    /// <param name="contentType">HTTP Content-Type.</param>
    /// <param name="body">Body.</param>
    /// <returns>The message.</returns>
    /// <exception cref="XdsFormatException">Malformed multipart.</exception>
    public static MtomMessage Read(string? contentType, ReadOnlyMemory<byte> body)
    {
        if (contentType is null || !contentType.TrimStart().StartsWith("multipart/related", StringComparison.OrdinalIgnoreCase))
        {
            return new MtomMessage(body, new Dictionary<string, byte[]>(StringComparer.Ordinal));
        }

        var boundary = Parameter(contentType, "boundary") ?? throw new XdsFormatException("multipart/related without a boundary.");
        var start = Parameter(contentType, "start")?.Trim('<', '>');
        var delimiter = Encoding.ASCII.GetBytes("--" + boundary);
        var span = body.Span;
        var parts = new List<(string? Id, ReadOnlyMemory<byte> Body)>();
        var pos = span.IndexOf(delimiter);
        if (pos < 0)
        {
            throw new XdsFormatException("multipart body without its boundary.");
        }

        while (true)
        {
            pos += delimiter.Length;
            if (span.Length >= pos + 2 && span[pos] == '-' && span[pos + 1] == '-')
            {
                break; // closing delimiter
            }

            var headerEnd = span[pos..].IndexOf("\r\n\r\n"u8);
            if (headerEnd < 0)
            {
                throw new XdsFormatException("MIME part without a header end.");
            }

            var headers = Encoding.ASCII.GetString(span.Slice(pos, headerEnd));
            var bodyStart = pos + headerEnd + 4;
            var next = span[bodyStart..].IndexOf(Concat("\r\n"u8, delimiter));
            if (next < 0)
            {
                throw new XdsFormatException("MIME part without a closing boundary.");
            }

            string? id = null;
            foreach (var line in headers.Split("\r\n", StringSplitOptions.RemoveEmptyEntries))
            {
                var colon = line.IndexOf(':', StringComparison.Ordinal);
                if (colon > 0 && line[..colon].Trim().Equals("Content-ID", StringComparison.OrdinalIgnoreCase))
                {
                    id = line[(colon + 1)..].Trim().Trim('<', '>');
                }
            }

            parts.Add((id, body.Slice(bodyStart, next)));
            pos = bodyStart + next + 2;
        }

        if (parts.Count == 0)
        {
            throw new XdsFormatException("multipart body without parts.");
        }

        var rootIndex = start is null ? 0 : Math.Max(0, parts.FindIndex(p => p.Id == start));
        var attachments = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        for (var i = 0; i < parts.Count; i++)
        {
            if (i != rootIndex && parts[i].Id is { } pid)
            {
                attachments[pid] = parts[i].Body.ToArray();
            }
        }

        return new MtomMessage(parts[rootIndex].Body, attachments);
    }

    /// <summary>A parameter of a Content-Type header (quotes removed).</summary>
    /// <param name="contentType">The header.</param>
    /// <param name="name">Parameter name.</param>
    /// <returns>The value or null.</returns>
    public static string? Parameter(string contentType, string name)
    {
        ArgumentNullException.ThrowIfNull(contentType);
        foreach (var piece in Split(contentType))
        {
            var eq = piece.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0 && piece[..eq].Trim().Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return piece[(eq + 1)..].Trim().Trim('"');
            }
        }

        return null;
    }

    private static IEnumerable<string> Split(string header)
    {
        var sb = new StringBuilder();
        var quoted = false;
        foreach (var ch in header)
        {
            if (ch == '"')
            {
                quoted = !quoted;
            }

            if (ch == ';' && !quoted)
            {
                yield return sb.ToString();
                sb.Clear();
            }
            else
            {
                sb.Append(ch);
            }
        }

        yield return sb.ToString();
    }

    private static byte[] Concat(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        var r = new byte[a.Length + b.Length];
        a.CopyTo(r);
        b.CopyTo(r.AsSpan(a.Length));
        return r;
    }

    private static void WriteAscii(Stream s, string text) => s.Write(Encoding.ASCII.GetBytes(text));
}
