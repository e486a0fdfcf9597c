using System.Globalization;
using System.Text;

namespace SanteGateway.Interop.Hl7v2.Er7;

/// <summary>Why a message could not be read, and where.</summary>
/// <param name="Rule">A short stable code (<c>too-large</c>, <c>no-msh</c>, <c>delimiters</c>, <c>charset</c>, <c>invalid-bytes</c>,
/// <c>segment-name</c>, <c>too-many-segments</c>, <c>second-msh</c>, <c>empty</c>).</param>
/// <param name="Message">A reason fit for an operator; it never quotes patient data.</param>
/// <param name="SegmentIndex">1-based position of the segment, when known.</param>
/// <param name="SegmentName">The segment identifier, when known.</param>
/// <param name="Field">The field number, when known.</param>
/// <param name="ByteOffset">The offset in the input, when known.</param>
public sealed record Hl7ParseError(string Rule, string Message, int? SegmentIndex = null, string? SegmentName = null, int? Field = null, long? ByteOffset = null)
{
    /// <summary>The location in HL7 style, e.g. <c>segment 3 (PID), field 5</c>.</summary>
    public string Location
    {
        get
        {
            var sb = new StringBuilder();
            if (SegmentIndex is { } i)
            {
                sb.Append(CultureInfo.InvariantCulture, $"segment {i}");
                if (SegmentName is { } n)
                {
                    sb.Append(CultureInfo.InvariantCulture, $" ({n})");
                }
            }

            if (Field is { } f)
            {
                sb.Append(sb.Length > 0 ? ", " : string.Empty).Append(CultureInfo.InvariantCulture, $"field {f}");
            }

            if (ByteOffset is { } o)
            {
                sb.Append(sb.Length > 0 ? ", " : string.Empty).Append(CultureInfo.InvariantCulture, $"byte {o}");
            }

            return sb.ToString();
        }
    }

    /// <inheritdoc/>
    public override string ToString() => Location.Length == 0 ? $"{Rule}: {Message}" : $"{Rule} at {Location}: {Message}";
}

/// <summary>Thrown by <see cref="Hl7Reader.Read(ReadOnlySpan{byte}, Hl7ReadOptions?)"/> for input that is not a readable message.</summary>
public sealed class Hl7ParseException : FormatException
{
    /// <summary>Wraps a parse error.</summary>
    /// <param name="error">The error.</param>
    public Hl7ParseException(Hl7ParseError error)
        : base(error?.ToString())
    {
        Error = error ?? throw new ArgumentNullException(nameof(error));
    }

    /// <summary>The error.</summary>
    public Hl7ParseError Error { get; }
}
