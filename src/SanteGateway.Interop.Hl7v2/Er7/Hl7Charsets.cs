using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace SanteGateway.Interop.Hl7v2.Er7;

/// <summary>The character sets of MSH-18 this library reads and writes (HL7 table 0211).</summary>
public static class Hl7Charsets
{
    /// <summary>MSH-18 for UTF-8.</summary>
    public const string Utf8 = "UNICODE UTF-8";

    /// <summary>MSH-18 for ISO 8859-1 (Latin-1).</summary>
    public const string Latin1 = "8859/1";

    /// <summary>MSH-18 for ISO 8859-15 (Latin-9, with the euro sign).</summary>
    public const string Latin9 = "8859/15";

    /// <summary>MSH-18 for 7-bit ASCII (the HL7 default when MSH-18 is empty).</summary>
    public const string Ascii = "ASCII";

    /// <summary>UTF-8 without byte-order mark, replacing invalid bytes (used for values, never to check input).</summary>
    internal static readonly Encoding Utf8Lenient = new UTF8Encoding(false, false);

    /// <summary>UTF-8 that refuses invalid bytes (used to check input).</summary>
    internal static readonly Encoding Utf8Strict = new UTF8Encoding(false, true);

    /// <summary>Latin-1 that refuses characters it cannot write.</summary>
    internal static readonly Encoding Latin1Strict = Encoding.GetEncoding("iso-8859-1", EncoderFallback.ExceptionFallback, DecoderFallback.ReplacementFallback);

    /// <summary>Latin-9 that refuses characters it cannot write.</summary>
    internal static readonly Encoding Latin9Strict = (Encoding)CodePagesEncodingProvider.Instance.GetEncoding(28605)!.Clone();

    static Hl7Charsets()
    {
        Latin9Strict.EncoderFallback = EncoderFallback.ExceptionFallback;
    }

    /// <summary>The .NET encoding of an MSH-18 value; null for an empty value (the reader then decides).</summary>
    /// <param name="msh18">MSH-18 (first repetition), trimmed.</param>
    /// <param name="encoding">The encoding, or null when MSH-18 is empty.</param>
    /// <returns>False when the value names a character set this library does not support.</returns>
    public static bool TryGetEncoding(string? msh18, out Encoding? encoding)
    {
        switch (msh18?.Trim().ToUpperInvariant())
        {
            case null or "":
                encoding = null;
                return true;
            case "UNICODE UTF-8" or "UTF-8" or "UTF8":
                encoding = Utf8Lenient;
                return true;
            case "8859/1" or "ISO-8859-1" or "ISO 8859-1":
                encoding = Latin1Strict;
                return true;
            case "8859/15" or "ISO-8859-15" or "ISO 8859-15":
                encoding = Latin9Strict;
                return true;
            case "ASCII":
                // Read as Latin-1, a byte-preserving superset: senders that declare ASCII and send accents are common,
                // and the message must still be written back byte for byte.
                encoding = Latin1Strict;
                return true;
            default:
                encoding = null;
                return false;
        }
    }

    /// <summary>True when the encoding is one of the UTF-8 ones.</summary>
    /// <param name="encoding">An encoding.</param>
    /// <returns>True for UTF-8.</returns>
    public static bool IsUtf8([NotNullWhen(true)] Encoding? encoding) => encoding is UTF8Encoding;
}
