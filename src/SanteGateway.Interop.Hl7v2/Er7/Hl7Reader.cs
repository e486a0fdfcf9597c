using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace SanteGateway.Interop.Hl7v2.Er7;

/// <summary>Limits and defaults of the reader. Every limit bounds memory and time for hostile input.</summary>
public sealed record Hl7ReadOptions
{
    /// <summary>The default options.</summary>
    public static Hl7ReadOptions Default { get; } = new();

    /// <summary>Largest message accepted, in bytes (default 16 MiB: ANS messages embedding base64 CDA reach 0.8 MB).</summary>
    public int MaxMessageBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>Most segments accepted (default 10,000).</summary>
    public int MaxSegments { get; init; } = 10_000;
}

/// <summary>Reads ER7 messages: <c>\r</c> segment ends (tolerating <c>\n</c> and <c>\r\n</c>), MSH-1/MSH-2 delimiters,
/// MSH-18 character set (UTF-8, ISO 8859-1). Never throws on input from <see cref="TryRead(ReadOnlySpan{byte}, Hl7ReadOptions?, out Hl7Message?, out Hl7ParseError?)"/>.</summary>
/// <remarks>When MSH-18 is empty, the bytes are read as UTF-8 when they are valid UTF-8 and as ISO 8859-1 otherwise
/// (HL7 says ASCII; French senders often send Latin-1 undeclared). A declared UTF-8 message with invalid bytes is refused.
/// A second MSH (batches, concatenated messages) is refused: one message per read.</remarks>
public static class Hl7Reader
{
    /// <summary>Reads a message from bytes.</summary>
    /// <param name="bytes">The message (without MLLP framing).</param>
    /// <param name="options">Limits; <see cref="Hl7ReadOptions.Default"/> when null.</param>
    /// <param name="message">The message when the method returns true.</param>
    /// <param name="error">Why and where it failed when the method returns false.</param>
    /// <returns>True when read.</returns>
    public static bool TryRead(ReadOnlySpan<byte> bytes, Hl7ReadOptions? options, [NotNullWhen(true)] out Hl7Message? message, [NotNullWhen(false)] out Hl7ParseError? error)
    {
        options ??= Hl7ReadOptions.Default;
        message = null;
        if (bytes.Length > options.MaxMessageBytes)
        {
            error = new Hl7ParseError("too-large", string.Create(CultureInfo.InvariantCulture, $"The message has {bytes.Length} bytes; at most {options.MaxMessageBytes} are accepted."));
            return false;
        }

        var bom = bytes.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]);
        if (bom)
        {
            bytes = bytes[3..];
        }

        if (bytes.Length < 3 || bytes[0] != (byte)'M' || bytes[1] != (byte)'S' || bytes[2] != (byte)'H')
        {
            error = bytes.IsEmpty
                ? new Hl7ParseError("empty", "The message is empty.")
                : new Hl7ParseError("no-msh", "A message starts with an MSH segment (the first 3 bytes must be 'MSH').", 1, ByteOffset: 0);
            return false;
        }

        // MSH-18 is ASCII in every supported character set, but some senders use a non-ASCII delimiter (the ANS examples
        // have U+02DC '˜' as repetition character): read the first line as UTF-8 when it is valid UTF-8, else as Latin-1.
        var lineEnd = bytes.IndexOfAny((byte)'\r', (byte)'\n');
        var headerBytes = lineEnd < 0 ? bytes : bytes[..lineEnd];
        string header;
        try
        {
            header = Hl7Charsets.Utf8Strict.GetString(headerBytes);
        }
        catch (DecoderFallbackException)
        {
            header = Encoding.Latin1.GetString(headerBytes);
        }

        if (!TryDelimiters(header, out var delimiters, out error))
        {
            return false;
        }

        var headerSegment = new Hl7Segment(header.AsMemory(), string.Empty, delimiters, Hl7Charsets.Utf8Lenient);
        var msh18 = headerSegment.Field(18).Repetition(1);
        var charset = Hl7Escaping.Decode(msh18.Raw.Span, delimiters, Encoding.Latin1);
        if (!Hl7Charsets.TryGetEncoding(charset, out var encoding))
        {
            error = new Hl7ParseError("charset", "MSH-18 names a character set this gateway does not read (supported: UNICODE UTF-8, 8859/1, 8859/15, ASCII).", 1, "MSH", 18);
            return false;
        }

        string text;
        if (encoding is null || Hl7Charsets.IsUtf8(encoding))
        {
            try
            {
                text = Hl7Charsets.Utf8Strict.GetString(bytes);
                encoding = Hl7Charsets.Utf8Lenient;
            }
            catch (DecoderFallbackException e)
            {
                if (encoding is not null)
                {
                    error = new Hl7ParseError("invalid-bytes", "MSH-18 declares UNICODE UTF-8 but the message holds bytes that are not valid UTF-8.", null, null, 18, e.Index >= 0 ? e.Index : null);
                    return false;
                }

                encoding = Hl7Charsets.Latin1Strict;
                text = encoding.GetString(bytes);
            }
        }
        else
        {
            text = encoding.GetString(bytes);
        }

        return TrySplit(text, delimiters, encoding, bom, options, out message, out error);
    }

    /// <summary>Reads a message from text already decoded (for example typed in a test); <c>\X…\</c> escapes are read with
    /// the MSH-18 character set, UTF-8 when empty.</summary>
    /// <param name="text">The message.</param>
    /// <param name="options">Limits.</param>
    /// <param name="message">The message when the method returns true.</param>
    /// <param name="error">The error when it returns false.</param>
    /// <returns>True when read.</returns>
    public static bool TryRead(string text, Hl7ReadOptions? options, [NotNullWhen(true)] out Hl7Message? message, [NotNullWhen(false)] out Hl7ParseError? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        options ??= Hl7ReadOptions.Default;
        message = null;
        if (text.Length > options.MaxMessageBytes)
        {
            error = new Hl7ParseError("too-large", string.Create(CultureInfo.InvariantCulture, $"The message has {text.Length} characters; at most {options.MaxMessageBytes} are accepted."));
            return false;
        }

        if (!text.StartsWith("MSH", StringComparison.Ordinal))
        {
            error = text.Length == 0 ? new Hl7ParseError("empty", "The message is empty.") : new Hl7ParseError("no-msh", "A message starts with an MSH segment.", 1);
            return false;
        }

        var lineEnd = text.AsSpan().IndexOfAny('\r', '\n');
        var header = lineEnd < 0 ? text : text[..lineEnd];
        if (!TryDelimiters(header, out var delimiters, out error))
        {
            return false;
        }

        var headerSegment = new Hl7Segment(header.AsMemory(), string.Empty, delimiters, Hl7Charsets.Utf8Lenient);
        var charset = headerSegment.Field(18).Repetition(1).Value;
        if (!Hl7Charsets.TryGetEncoding(charset, out var encoding))
        {
            error = new Hl7ParseError("charset", "MSH-18 names a character set this gateway does not read (supported: UNICODE UTF-8, 8859/1, 8859/15, ASCII).", 1, "MSH", 18);
            return false;
        }

        return TrySplit(text, delimiters, encoding ?? Hl7Charsets.Utf8Lenient, false, options, out message, out error);
    }

    /// <summary>Reads a message, throwing on unreadable input.</summary>
    /// <param name="bytes">The message.</param>
    /// <param name="options">Limits.</param>
    /// <returns>The message.</returns>
    /// <exception cref="Hl7ParseException">The input is not a readable message.</exception>
    public static Hl7Message Read(ReadOnlySpan<byte> bytes, Hl7ReadOptions? options = null) =>
        TryRead(bytes, options, out var m, out var e) ? m : throw new Hl7ParseException(e);

    /// <summary>Reads a message from text, throwing on unreadable input.</summary>
    /// <param name="text">The message.</param>
    /// <param name="options">Limits.</param>
    /// <returns>The message.</returns>
    /// <exception cref="Hl7ParseException">The input is not a readable message.</exception>
    public static Hl7Message Read(string text, Hl7ReadOptions? options = null) =>
        TryRead(text, options, out var m, out var e) ? m : throw new Hl7ParseException(e);

    private static bool TryDelimiters(string header, [NotNullWhen(true)] out Hl7Delimiters? delimiters, [NotNullWhen(false)] out Hl7ParseError? error)
    {
        delimiters = null;
        if (header.Length < 8)
        {
            error = new Hl7ParseError("delimiters", "The MSH segment is too short to hold MSH-1 and MSH-2.", 1, "MSH", 2);
            return false;
        }

        var field = header[3];
        var rest = header.AsSpan(4);
        var next = rest.IndexOf(field);
        var msh2 = next < 0 ? rest : rest[..next];
        if (!Hl7Delimiters.TryCreate(field, msh2, out delimiters, out var reason))
        {
            error = new Hl7ParseError("delimiters", reason, 1, "MSH", msh2.Length is 4 or 5 ? 1 : 2);
            return false;
        }

        error = null;
        return true;
    }

    private static bool TrySplit(string text, Hl7Delimiters delimiters, Encoding encoding, bool bom, Hl7ReadOptions options, [NotNullWhen(true)] out Hl7Message? message, [NotNullWhen(false)] out Hl7ParseError? error)
    {
        message = null;
        var segments = new List<Hl7Segment>(16);
        var memory = text.AsMemory();
        var span = text.AsSpan();
        var pos = 0;
        while (pos < span.Length)
        {
            var rel = span[pos..].IndexOfAny('\r', '\n');
            var end = rel < 0 ? span.Length : pos + rel;
            var termEnd = end;
            while (termEnd < span.Length && span[termEnd] is '\r' or '\n')
            {
                termEnd++;
            }

            var index = segments.Count + 1;
            if (index > options.MaxSegments)
            {
                error = new Hl7ParseError("too-many-segments", string.Create(CultureInfo.InvariantCulture, $"The message has more than {options.MaxSegments} segments."), index);
                return false;
            }

            var line = span[pos..end];
            if (!IsSegmentName(line, delimiters.Field))
            {
                error = new Hl7ParseError("segment-name", "A segment starts with a 3-character identifier (upper-case letters and digits) followed by the field separator.", index);
                return false;
            }

            if (index > 1 && line.StartsWith("MSH", StringComparison.Ordinal))
            {
                error = new Hl7ParseError("second-msh", "A second MSH segment was found: one message per read (batches are not supported).", index, "MSH");
                return false;
            }

            segments.Add(new Hl7Segment(memory[pos..end], TerminatorText(span[end..termEnd]), delimiters, encoding));
            pos = termEnd;
        }

        message = new Hl7Message(segments, delimiters, encoding, bom);
        error = null;
        return true;
    }

    private static string TerminatorText(ReadOnlySpan<char> t) => t switch
    {
        "" => string.Empty,
        "\r" => "\r",
        "\n" => "\n",
        "\r\n" => "\r\n",
        _ => new string(t),
    };

    private static bool IsSegmentName(ReadOnlySpan<char> line, char fieldSeparator)
    {
        if (line.Length < 3 || (line.Length > 3 && line[3] != fieldSeparator))
        {
            return false;
        }

        for (var i = 0; i < 3; i++)
        {
            if (!char.IsAsciiLetterUpper(line[i]) && !char.IsAsciiDigit(line[i]))
            {
                return false;
            }
        }

        return true;
    }
}
