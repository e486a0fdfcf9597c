using SanteGateway.Interop.Hl7v2.Er7;

namespace SanteGateway.Interop.Hl7v2.Segments;

/// <summary>Base of the typed views: named accessors over a <see cref="Hl7Segment"/>, which stays the single source of truth.</summary>
public abstract class Hl7TypedSegment
{
    /// <summary>Wraps a segment, checking its identifier.</summary>
    /// <param name="segment">The segment.</param>
    /// <param name="name">The expected identifier.</param>
    protected Hl7TypedSegment(Hl7Segment segment, string name)
    {
        ArgumentNullException.ThrowIfNull(segment);
        if (segment.Name != name)
        {
            throw new ArgumentException($"Expected a {name} segment, got {segment.Name}.", nameof(segment));
        }

        Segment = segment;
    }

    /// <summary>The underlying segment.</summary>
    public Hl7Segment Segment { get; }

    /// <summary>Field <paramref name="n"/> (1-based).</summary>
    /// <param name="n">The field number.</param>
    /// <returns>The field.</returns>
    public Hl7Element Field(int n) => Segment.Field(n);

    /// <summary>The decoded value of field <paramref name="n"/>, or null when empty.</summary>
    /// <param name="n">The field number.</param>
    /// <returns>The value.</returns>
    protected string? Value(int n) => Segment.Field(n).ValueOrNull;
}

/// <summary>MSH: message header.</summary>
/// <param name="segment">The segment.</param>
public sealed class MshSegment(Hl7Segment segment) : Hl7TypedSegment(segment, "MSH")
{
    /// <summary>MSH-3.</summary>
    public Hd? SendingApplication => Hd.FromComponent(Field(3).Component(1)) is { } h ? h with { UniversalId = Field(3).ComponentValue(2), UniversalIdType = Field(3).ComponentValue(3) } : null;

    /// <summary>MSH-3.1.</summary>
    public string? SendingApplicationName => Value(3);

    /// <summary>MSH-4.1.</summary>
    public string? SendingFacilityName => Value(4);

    /// <summary>MSH-5.1.</summary>
    public string? ReceivingApplicationName => Value(5);

    /// <summary>MSH-6.1.</summary>
    public string? ReceivingFacilityName => Value(6);

    /// <summary>MSH-7 as written (<c>YYYYMMDDHHMMSS</c>…).</summary>
    public string? DateTimeOfMessage => Value(7);

    /// <summary>MSH-9.1 (<c>ADT</c>, <c>ORU</c>, <c>MDM</c>, <c>ACK</c>).</summary>
    public string? MessageCode => Field(9).ComponentValue(1);

    /// <summary>MSH-9.2 (<c>A28</c>…).</summary>
    public string? TriggerEvent => Field(9).ComponentValue(2);

    /// <summary>MSH-9.3 (<c>ADT_A05</c>…).</summary>
    public string? MessageStructure => Field(9).ComponentValue(3);

    /// <summary>MSH-10.</summary>
    public string? ControlId => Value(10);

    /// <summary>MSH-11.1.</summary>
    public string? ProcessingId => Value(11);

    /// <summary>MSH-12.1.</summary>
    public string? Version => Value(12);

    /// <summary>MSH-15.</summary>
    public string? AcceptAcknowledgmentType => Value(15);

    /// <summary>MSH-16.</summary>
    public string? ApplicationAcknowledgmentType => Value(16);

    /// <summary>MSH-17.</summary>
    public string? Country => Value(17);

    /// <summary>MSH-18 (first repetition).</summary>
    public string? CharacterSet => Value(18);

    /// <summary>MSH-19.1.</summary>
    public string? Language => Value(19);

    /// <summary>MSH-21.1 (<c>2.11</c> for PAM France).</summary>
    public string? MessageProfile => Value(21);

    /// <summary>MSH-21.2 (<c>IHE_FRANCE-2.11-PAM</c>).</summary>
    public string? MessageProfileNamespace => Field(21).ComponentValue(2);
}

/// <summary>EVN: event type.</summary>
/// <param name="segment">The segment.</param>
public sealed class EvnSegment(Hl7Segment segment) : Hl7TypedSegment(segment, "EVN")
{
    /// <summary>EVN-1 (deprecated).</summary>
    public string? EventTypeCode => Value(1);

    /// <summary>EVN-2, as written.</summary>
    public string? RecordedDateTime => Value(2);

    /// <summary>EVN-4.</summary>
    public string? EventReasonCode => Value(4);

    /// <summary>EVN-6, as written.</summary>
    public string? EventOccurred => Value(6);
}

/// <summary>PID: patient identification.</summary>
/// <param name="segment">The segment.</param>
public sealed class PidSegment(Hl7Segment segment) : Hl7TypedSegment(segment, "PID")
{
    /// <summary>PID-1.</summary>
    public string? SetId => Value(1);

    /// <summary>PID-3, every repetition.</summary>
    public IReadOnlyList<Cx> Identifiers => Field(3).Repetitions.Select(Cx.FromElement).ToArray();

    /// <summary>PID-5, every repetition.</summary>
    public IReadOnlyList<Xpn> Names => Field(5).Repetitions.Select(Xpn.FromElement).ToArray();

    /// <summary>PID-7 as written (<c>YYYYMMDD</c>, possibly with a time).</summary>
    public string? BirthDateTime => Value(7);

    /// <summary>PID-8 (<c>F</c>, <c>M</c>, <c>U</c>).</summary>
    public string? Sex => Value(8);

    /// <summary>PID-11, every repetition.</summary>
    public IReadOnlyList<Xad> Addresses => Field(11).Repetitions.Select(Xad.FromElement).ToArray();

    /// <summary>PID-23 (free-text birth place).</summary>
    public string? BirthPlace => Value(23);

    /// <summary>PID-29 as written.</summary>
    public string? DeathDateTime => Value(29);

    /// <summary>PID-30 (Y/N).</summary>
    public string? DeathIndicator => Value(30);

    /// <summary>PID-32, every repetition: in PAM France, the identity status first, then the attributes.</summary>
    public IReadOnlyList<string> IdentityReliabilityCodes => Field(32).Repetitions.Select(r => r.Value).Where(v => v.Length > 0).ToArray();

    /// <summary>PID-33 as written.</summary>
    public string? LastUpdateDateTime => Value(33);
}

/// <summary>PD1: additional demographics.</summary>
/// <param name="segment">The segment.</param>
public sealed class Pd1Segment(Hl7Segment segment) : Hl7TypedSegment(segment, "PD1")
{
    /// <summary>PD1-12 protection indicator (Y/N).</summary>
    public string? ProtectionIndicator => Value(12);
}

/// <summary>PV1: patient visit.</summary>
/// <param name="segment">The segment.</param>
public sealed class Pv1Segment(Hl7Segment segment) : Hl7TypedSegment(segment, "PV1")
{
    /// <summary>PV1-2 (<c>I</c>, <c>O</c>, <c>E</c>, <c>N</c>…).</summary>
    public string? PatientClass => Value(2);

    /// <summary>PV1-19 visit number.</summary>
    public Cx? VisitNumber => Field(19).IsEmpty ? null : Cx.FromElement(Field(19).Repetition(1));

    /// <summary>PV1-44 as written.</summary>
    public string? AdmitDateTime => Value(44);
}

/// <summary>MRG: merge information (A40 prior IPP, A47 prior INS in MRG-1).</summary>
/// <param name="segment">The segment.</param>
public sealed class MrgSegment(Hl7Segment segment) : Hl7TypedSegment(segment, "MRG")
{
    /// <summary>MRG-1, every repetition.</summary>
    public IReadOnlyList<Cx> PriorIdentifiers => Field(1).Repetitions.Select(Cx.FromElement).ToArray();

    /// <summary>MRG-7, every repetition.</summary>
    public IReadOnlyList<Xpn> PriorNames => Field(7).Repetitions.Select(Xpn.FromElement).ToArray();
}

/// <summary>ZFD: French demographic complement (PAM France §6.18).</summary>
/// <param name="segment">The segment.</param>
public sealed class ZfdSegment(Hl7Segment segment) : Hl7TypedSegment(segment, "ZFD")
{
    /// <summary>ZFD-1 lunar date (NA: day^month^year), as written.</summary>
    public string? LunarDate => Field(1).IsEmpty ? null : Field(1).RawText;

    /// <summary>ZFD-1 components: day (31–35 = week of the month), month (may exceed 12), year.</summary>
    public (string? Day, string? Month, string? Year) LunarDateParts => (Field(1).ComponentValue(1), Field(1).ComponentValue(2), Field(1).ComponentValue(3));

    /// <summary>ZFD-2 weeks of gestation.</summary>
    public string? WeeksOfGestation => Value(2);

    /// <summary>ZFD-3 SMS consent (Y/N).</summary>
    public string? SmsConsent => Value(3);

    /// <summary>ZFD-4 birth date corrected (Y/N).</summary>
    public string? BirthDateCorrected => Value(4);

    /// <summary>ZFD-5 identity collection mode (<c>SM</c>, <c>CV</c>, <c>INSI</c>, <c>CB</c>, <c>RFID</c>, <c>AV</c>).</summary>
    public string? CollectionMode => Value(5);

    /// <summary>ZFD-6 date of the INSi call, as written.</summary>
    public string? InsiCallDate => Value(6);

    /// <summary>ZFD-7 identity document type (<c>CN</c>, <c>PA</c>, <c>CS</c>…).</summary>
    public string? DocumentType => Value(7);

    /// <summary>ZFD-8 end of validity of the document, as written.</summary>
    public string? DocumentExpiry => Value(8);
}

/// <summary>OBX: observation (ORU results, MDM/ORU embedded documents).</summary>
/// <param name="segment">The segment.</param>
public sealed class ObxSegment(Hl7Segment segment) : Hl7TypedSegment(segment, "OBX")
{
    /// <summary>OBX-1.</summary>
    public string? SetId => Value(1);

    /// <summary>OBX-2 value type (<c>ED</c>, <c>CWE</c>, <c>ST</c>…).</summary>
    public string? ValueType => Value(2);

    /// <summary>OBX-3.</summary>
    public Cwe? ObservationIdentifier => Cwe.FromElement(Field(3));

    /// <summary>OBX-5 (first repetition), still encoded: its structure depends on OBX-2.</summary>
    public Hl7Element ObservationValue => Field(5).Repetition(1);

    /// <summary>OBX-11 result status.</summary>
    public string? ResultStatus => Value(11);
}

/// <summary>TXA: transcription document header (MDM).</summary>
/// <param name="segment">The segment.</param>
public sealed class TxaSegment(Hl7Segment segment) : Hl7TypedSegment(segment, "TXA")
{
    /// <summary>TXA-2 document type.</summary>
    public string? DocumentType => Value(2);

    /// <summary>TXA-4 activity date, as written.</summary>
    public string? ActivityDateTime => Value(4);

    /// <summary>TXA-12.1 unique document number.</summary>
    public string? UniqueDocumentNumber => Value(12);

    /// <summary>TXA-13.1 parent document number.</summary>
    public string? ParentDocumentNumber => Value(13);

    /// <summary>TXA-17 completion status.</summary>
    public string? CompletionStatus => Value(17);
}

/// <summary>MSA: message acknowledgment.</summary>
/// <param name="segment">The segment.</param>
public sealed class MsaSegment(Hl7Segment segment) : Hl7TypedSegment(segment, "MSA")
{
    /// <summary>MSA-1 (<c>AA</c>, <c>AE</c>, <c>AR</c>, <c>CA</c>, <c>CE</c>, <c>CR</c>).</summary>
    public string? AcknowledgmentCode => Value(1);

    /// <summary>MSA-2 control id of the acknowledged message.</summary>
    public string? ControlId => Value(2);

    /// <summary>MSA-3 text (deprecated, still sent by many systems).</summary>
    public string? Text => Value(3);
}

/// <summary>ERR: error (v2.5 layout).</summary>
/// <param name="segment">The segment.</param>
public sealed class ErrSegment(Hl7Segment segment) : Hl7TypedSegment(segment, "ERR")
{
    /// <summary>ERR-2 error location (segment^sequence^field^repetition^component^sub-component), as written.</summary>
    public string? Location => Field(2).IsEmpty ? null : Field(2).RawText;

    /// <summary>ERR-3.1 HL7 error code (table 0357: 100, 101, 102, 103, 200, 207…).</summary>
    public string? Hl7ErrorCode => Field(3).ComponentValue(1);

    /// <summary>ERR-4 severity (<c>E</c>, <c>W</c>, <c>I</c>).</summary>
    public string? Severity => Value(4);

    /// <summary>ERR-5.1 application error code: the rule that failed.</summary>
    public string? ApplicationErrorCode => Field(5).ComponentValue(1);

    /// <summary>ERR-8 user message.</summary>
    public string? UserMessage => Value(8);
}
