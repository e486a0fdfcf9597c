using System.Text;

namespace SanteGateway.Interop.Hl7v2.Er7;

/// <summary>One component to write: its sub-components as text (escaped when written). A string converts to a
/// component with one sub-component.</summary>
public sealed record Hl7Component
{
    /// <summary>A component made of sub-components.</summary>
    /// <param name="subComponents">The texts; null entries are empty.</param>
    public Hl7Component(params string?[] subComponents) => SubComponents = subComponents ?? [];

    /// <summary>The sub-component texts.</summary>
    public IReadOnlyList<string?> SubComponents { get; }

    /// <summary>The empty component.</summary>
    public static Hl7Component Empty { get; } = new();

    /// <summary>A component holding one text.</summary>
    /// <param name="text">The text.</param>
    public static implicit operator Hl7Component(string? text) => new(text);

    /// <summary>A component holding one text.</summary>
    /// <param name="text">The text.</param>
    /// <returns>The component.</returns>
    public static Hl7Component FromString(string? text) => new(text);
}

/// <summary>Builds a segment field by field; text is escaped against the message delimiters when the segment is built,
/// trailing empty components and sub-components are left out.</summary>
public sealed class Hl7SegmentBuilder
{
    private readonly SortedDictionary<int, Func<Hl7Delimiters, string>> _fields = [];

    /// <summary>Starts a segment.</summary>
    /// <param name="name">The 3-character segment identifier (not MSH: messages are started by <see cref="Hl7MessageBuilder"/>).</param>
    public Hl7SegmentBuilder(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length != 3 || !name.All(c => char.IsAsciiLetterUpper(c) || char.IsAsciiDigit(c)))
        {
            throw new ArgumentException("A segment identifier has 3 upper-case letters or digits.", nameof(name));
        }

        Name = name;
    }

    /// <summary>The segment identifier.</summary>
    public string Name { get; }

    /// <summary>Sets field <paramref name="n"/> to one repetition made of these components.</summary>
    /// <param name="n">1-based field number.</param>
    /// <param name="components">The components (a string is a one-value component).</param>
    /// <returns>This builder.</returns>
    public Hl7SegmentBuilder Field(int n, params Hl7Component[] components)
    {
        Check(n);
        var copy = components.ToArray();
        _fields[n] = d => EncodeRepetition(copy, d);
        return this;
    }

    /// <summary>Sets field <paramref name="n"/> to several repetitions.</summary>
    /// <param name="n">1-based field number.</param>
    /// <param name="repetitions">Each repetition's components.</param>
    /// <returns>This builder.</returns>
    public Hl7SegmentBuilder Repetitions(int n, IEnumerable<Hl7Component[]> repetitions)
    {
        Check(n);
        ArgumentNullException.ThrowIfNull(repetitions);
        var copy = repetitions.Select(r => r.ToArray()).ToArray();
        _fields[n] = d => string.Join(d.Repetition, copy.Select(r => EncodeRepetition(r, d)));
        return this;
    }

    /// <summary>Sets field <paramref name="n"/> to already encoded text (for example the HL7 null <c>""</c>).</summary>
    /// <param name="n">1-based field number.</param>
    /// <param name="encoded">The encoded field.</param>
    /// <returns>This builder.</returns>
    public Hl7SegmentBuilder Raw(int n, string encoded)
    {
        Check(n);
        ArgumentNullException.ThrowIfNull(encoded);
        _fields[n] = _ => encoded;
        return this;
    }

    /// <summary>The segment text with these delimiters.</summary>
    /// <param name="delimiters">The message delimiters.</param>
    /// <returns>The encoded segment, without terminator.</returns>
    public string Build(Hl7Delimiters delimiters)
    {
        ArgumentNullException.ThrowIfNull(delimiters);
        var sb = new StringBuilder(Name);
        var last = _fields.Count == 0 ? 0 : _fields.Keys.Max();
        for (var i = 1; i <= last; i++)
        {
            sb.Append(delimiters.Field);
            if (_fields.TryGetValue(i, out var f))
            {
                sb.Append(f(delimiters));
            }
        }

        return sb.ToString();
    }

    private static string EncodeRepetition(Hl7Component[] components, Hl7Delimiters d)
    {
        var parts = components.Select(c => EncodeComponent(c, d)).ToList();
        while (parts.Count > 0 && parts[^1].Length == 0)
        {
            parts.RemoveAt(parts.Count - 1);
        }

        return string.Join(d.Component, parts);
    }

    private static string EncodeComponent(Hl7Component? c, Hl7Delimiters d)
    {
        if (c is null)
        {
            return string.Empty;
        }

        var parts = c.SubComponents.Select(s => Hl7Escaping.Encode(s, d)).ToList();
        while (parts.Count > 0 && parts[^1].Length == 0)
        {
            parts.RemoveAt(parts.Count - 1);
        }

        return string.Join(d.SubComponent, parts);
    }

    private static void Check(int n) => ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
}

/// <summary>Starts a message: MSH with its delimiters and character set, then segments.</summary>
public static class Hl7MessageBuilder
{
    /// <summary>Creates a message holding only its MSH segment.</summary>
    /// <param name="header">The header values.</param>
    /// <returns>The message, ready for <see cref="Hl7Message.Add"/>.</returns>
    public static Hl7Message Create(Hl7Header header)
    {
        ArgumentNullException.ThrowIfNull(header);
        var d = Hl7Delimiters.Default;
        var msh = new Hl7SegmentBuilder("ZZZ")
            .Field(1, header.SendingApplication)
            .Field(2, header.SendingFacility)
            .Field(3, header.ReceivingApplication)
            .Field(4, header.ReceivingFacility)
            .Field(5, header.Timestamp.ToString("yyyyMMddHHmmss", System.Globalization.CultureInfo.InvariantCulture))
            .Field(7, header.MessageCode, header.TriggerEvent, header.MessageStructure)
            .Field(8, header.ControlId)
            .Field(9, header.ProcessingId)
            .Field(10, header.Version, header.VersionCountry, header.VersionInternational)
            .Field(15, header.Country)
            .Field(16, Hl7Charsets.Utf8)
            .Field(17, header.Language);
        if (header.MessageProfile is { } profile)
        {
            msh.Field(19, profile.Identifier, profile.Namespace);
        }

        var body = msh.Build(d)[4..];
        var text = "MSH" + d.Field + d.EncodingCharacters + d.Field + body;
        var segment = new Hl7Segment(text.AsMemory(), "\r", d, Hl7Charsets.Utf8Lenient);
        return new Hl7Message([segment], d, Hl7Charsets.Utf8Lenient, false);
    }
}

/// <summary>Values of an MSH segment written by this gateway (UTF-8, default delimiters).</summary>
public sealed record Hl7Header
{
    /// <summary>MSH-3.</summary>
    public string SendingApplication { get; init; } = "SANTEGW";

    /// <summary>MSH-4.</summary>
    public string? SendingFacility { get; init; }

    /// <summary>MSH-5.</summary>
    public string? ReceivingApplication { get; init; }

    /// <summary>MSH-6.</summary>
    public string? ReceivingFacility { get; init; }

    /// <summary>MSH-7.</summary>
    public DateTimeOffset Timestamp { get; init; } = DateTimeOffset.Now;

    /// <summary>MSH-9.1 (<c>ADT</c>, <c>ACK</c>…).</summary>
    public required string MessageCode { get; init; }

    /// <summary>MSH-9.2 (<c>A28</c>…).</summary>
    public string? TriggerEvent { get; init; }

    /// <summary>MSH-9.3 (<c>ADT_A05</c>…).</summary>
    public string? MessageStructure { get; init; }

    /// <summary>MSH-10, unique per sender.</summary>
    public required string ControlId { get; init; }

    /// <summary>MSH-11: <c>P</c> production, <c>T</c> training, <c>D</c> debugging.</summary>
    public string ProcessingId { get; init; } = "P";

    /// <summary>MSH-12.1.</summary>
    public string Version { get; init; } = "2.5";

    /// <summary>MSH-12.2 (<c>FRA</c> for PAM France).</summary>
    public string? VersionCountry { get; init; } = "FRA";

    /// <summary>MSH-12.3 (<c>2.11</c> for PAM France 2.11).</summary>
    public string? VersionInternational { get; init; } = "2.11";

    /// <summary>MSH-17.</summary>
    public string? Country { get; init; } = "FRA";

    /// <summary>MSH-19.</summary>
    public string? Language { get; init; } = "FR";

    /// <summary>MSH-21 (identifier, namespace), e.g. <c>2.11^IHE_FRANCE-2.11-PAM</c>.</summary>
    public (string Identifier, string Namespace)? MessageProfile { get; init; } = ("2.11", "IHE_FRANCE-2.11-PAM");
}
