using System.Text;
using SanteGateway.Interop.Hl7v2.Segments;

namespace SanteGateway.Interop.Hl7v2.Er7;

/// <summary>
/// An HL7 v2 message in ER7 form: its segments in order (unknown and Z segments kept), its delimiters and character set.
/// A message read and written back without changes gives the same bytes.
/// </summary>
public sealed class Hl7Message
{
    private readonly List<Hl7Segment> _segments;

    internal Hl7Message(List<Hl7Segment> segments, Hl7Delimiters delimiters, Encoding encoding, bool byteOrderMark)
    {
        _segments = segments;
        Delimiters = delimiters;
        Encoding = encoding;
        ByteOrderMark = byteOrderMark;
    }

    /// <summary>The segments, MSH first.</summary>
    public IReadOnlyList<Hl7Segment> Segments => _segments;

    /// <summary>MSH-1 and MSH-2.</summary>
    public Hl7Delimiters Delimiters { get; }

    /// <summary>The character set the message is read and written in (from MSH-18).</summary>
    public Encoding Encoding { get; }

    /// <summary>True when the input began with a UTF-8 byte-order mark (written back).</summary>
    public bool ByteOrderMark { get; }

    /// <summary>The header.</summary>
    public MshSegment Msh => new(_segments[0]);

    /// <summary>The first PID segment, if any.</summary>
    public PidSegment? Pid => Find("PID") is { } s ? new PidSegment(s) : null;

    /// <summary>The first EVN segment, if any.</summary>
    public EvnSegment? Evn => Find("EVN") is { } s ? new EvnSegment(s) : null;

    /// <summary>The first PD1 segment, if any.</summary>
    public Pd1Segment? Pd1 => Find("PD1") is { } s ? new Pd1Segment(s) : null;

    /// <summary>The first PV1 segment, if any.</summary>
    public Pv1Segment? Pv1 => Find("PV1") is { } s ? new Pv1Segment(s) : null;

    /// <summary>The first MRG segment, if any.</summary>
    public MrgSegment? Mrg => Find("MRG") is { } s ? new MrgSegment(s) : null;

    /// <summary>The first ZFD segment, if any.</summary>
    public ZfdSegment? Zfd => Find("ZFD") is { } s ? new ZfdSegment(s) : null;

    /// <summary>The first TXA segment, if any.</summary>
    public TxaSegment? Txa => Find("TXA") is { } s ? new TxaSegment(s) : null;

    /// <summary>The first MSA segment, if any.</summary>
    public MsaSegment? Msa => Find("MSA") is { } s ? new MsaSegment(s) : null;

    /// <summary>Every OBX segment, in order.</summary>
    public IEnumerable<ObxSegment> Obx => All("OBX").Select(s => new ObxSegment(s));

    /// <summary>Every ERR segment, in order.</summary>
    public IEnumerable<ErrSegment> Err => All("ERR").Select(s => new ErrSegment(s));

    /// <summary>The first segment with this identifier, or null.</summary>
    /// <param name="name">A segment identifier.</param>
    /// <returns>The segment or null.</returns>
    public Hl7Segment? Find(string name)
    {
        foreach (var s in _segments)
        {
            if (s.Name == name)
            {
                return s;
            }
        }

        return null;
    }

    /// <summary>Every segment with this identifier, in order.</summary>
    /// <param name="name">A segment identifier.</param>
    /// <returns>The segments.</returns>
    public IEnumerable<Hl7Segment> All(string name) => _segments.Where(s => s.Name == name);

    /// <summary>Appends a segment built with <see cref="Hl7SegmentBuilder"/> (same delimiters).</summary>
    /// <param name="builder">The segment.</param>
    /// <returns>The added segment.</returns>
    /// <exception cref="ArgumentException">The segment is an MSH: one message holds one header, and the reader refuses a second.</exception>
    public Hl7Segment Add(Hl7SegmentBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (builder.Name == "MSH")
        {
            // A second MSH would make a batch that Hl7Reader refuses (rule second-msh): refuse to write what we cannot read.
            throw new ArgumentException("A message holds one MSH segment; start another message instead (rule second-msh).", nameof(builder));
        }

        var segment = new Hl7Segment(builder.Build(Delimiters).AsMemory(), "\r", Delimiters, Encoding);
        _segments.Add(segment);
        return segment;
    }

    /// <summary>The message as ER7 text (segments and their terminators, as read).</summary>
    /// <returns>The text.</returns>
    public string ToEr7()
    {
        var sb = new StringBuilder(_segments.Sum(s => s.Text.Length + s.Terminator.Length));
        foreach (var s in _segments)
        {
            sb.Append(s.Text.Span).Append(s.Terminator);
        }

        return sb.ToString();
    }

    /// <summary>The message as bytes in its character set (with the byte-order mark when the input had one).</summary>
    /// <returns>The bytes.</returns>
    /// <exception cref="InvalidOperationException">A character cannot be written in the message's character set (MSH-18).</exception>
    public byte[] ToBytes()
    {
        var text = ToEr7();
        byte[] body;
        try
        {
            body = Encoding.GetBytes(text);
        }
        catch (EncoderFallbackException e)
        {
            throw new InvalidOperationException(
                $"Character U+{(int)e.CharUnknown:X4} cannot be written in the message's character set (MSH-18 = '{Msh.CharacterSet}'); use {Hl7Charsets.Utf8}.", e);
        }

        return ByteOrderMark ? [0xEF, 0xBB, 0xBF, .. body] : body;
    }

    /// <inheritdoc/>
    public override string ToString() => ToEr7();
}
