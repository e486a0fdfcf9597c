using System.Text;
using Hl7.Fhir.Model;
using SanteGateway.Application;
using SanteGateway.Identity;
using SanteGateway.Interop.Cda;
using SanteGateway.Interop.Fhir;
using SanteGateway.Interop.Hl7v2.Er7;
using SanteGateway.Interop.Hl7v2.Pam;
using SanteGateway.Interop.Hl7v2.Segments;

namespace SanteGateway.Server.Inbound;

/// <summary>
/// Reads the patient of a received HL7 v2 message (ADT, ORU, MDM, with or without embedded CDA), FHIR resource (Patient, Bundle,
/// DocumentReference) or CDA document, through the interop libraries. The readers run with every INS OID allowed: the
/// environment policy is the gate's decision (a test INS in production is rejected, not silently dropped). Never throws.
/// </summary>
internal sealed partial class InboundExtractor(ILogger<InboundExtractor> log) : IInboundExtractor
{
    private static readonly PamReadOptions PamOptions = new() { InsPolicy = InsPolicy.AllowTestAndDemo };
    private static readonly CdaReadOptions CdaOptions = new() { InsPolicy = InsPolicy.AllowTestAndDemo };
    private static readonly string[] InsProblems = ["ins-wrong-key", "ins-malformed", "ins-oid-unknown", "ins-matricule", "ins-oid-policy", "ins-ambiguous"];

    public InboundExtraction Extract(ReadOnlyMemory<byte> raw, string contentType, InboundPartnerSettings partner) => Extract(raw, contentType, partner, null);

    public InboundExtraction Extract(ReadOnlyMemory<byte> raw, string contentType, InboundPartnerSettings partner, object? parsed)
    {
        var format = Detect(raw.Span, contentType ?? "");
        // The MLLP listener's reading of these bytes: the same reader, so the same message when it stayed within the limits
        // this extractor reads with (a listener configured with larger ones may have read what the default refuses).
        var listened = parsed is Hl7Message m && raw.Length <= Hl7ReadOptions.Default.MaxMessageBytes && m.Segments.Count <= Hl7ReadOptions.Default.MaxSegments ? m : null;
        try
        {
            return format switch
            {
                "hl7v2" => listened is null ? Hl7(raw.Span) : Hl7(listened),
                "fhir-json" or "fhir-xml" => Fhir(Text(raw.Span), format == "fhir-json"),
                "cda" => Cda(Text(raw.Span)),
                _ => InboundExtraction.Unreadable(null, "inbound.unknown-format", "Expected an HL7 v2 message, a FHIR resource (JSON or XML) or a CDA document; say which with Content-Type."),
            };
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Hostile or broken input: the item is stored and rejected with the reader's complaint, never a crash.
            LogUnreadable(log, format, ex.GetType().Name);
            return InboundExtraction.Unreadable(format.StartsWith("fhir", StringComparison.Ordinal) ? "fhir" : format, "inbound.unreadable", $"The {format} payload cannot be read: {Clip(ex.Message, 300)}");
        }
    }

    /// <summary>The format, from the content type, else from the first bytes.</summary>
    internal static string Detect(ReadOnlySpan<byte> raw, string contentType)
    {
        var ct = contentType.ToLowerInvariant();
        if (ct.Contains("hl7-v2", StringComparison.Ordinal) || ct.Contains("er7", StringComparison.Ordinal) || ct.Contains("x-hl7", StringComparison.Ordinal))
        {
            return "hl7v2";
        }

        var start = raw;
        if (start.StartsWith("\uFEFF"u8))
        {
            start = start[3..];
        }

        start = start.TrimStart(" \t\r\n"u8);
        var head = Encoding.UTF8.GetString(start[..Math.Min(start.Length, 4096)]);
        if (ct.Contains("cda", StringComparison.Ordinal))
        {
            return "cda";
        }

        if (ct.Contains("json", StringComparison.Ordinal))
        {
            return "fhir-json";
        }

        if (ct.Contains("xml", StringComparison.Ordinal) || head.StartsWith('<'))
        {
            return head.Contains("ClinicalDocument", StringComparison.Ordinal) ? "cda" : "fhir-xml";
        }

        if (head.StartsWith("MSH", StringComparison.Ordinal))
        {
            return "hl7v2";
        }

        return head.StartsWith('{') ? "fhir-json" : "unknown";
    }

    private static string Text(ReadOnlySpan<byte> raw) => new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(raw.StartsWith("\uFEFF"u8) ? raw[3..] : raw);

    private static string Clip(string s, int max) => s.Length > max ? s[..max] : s;

    private static InboundExtraction Hl7(ReadOnlySpan<byte> raw)
    {
        if (!Hl7Reader.TryRead(raw, null, out var message, out var error))
        {
            return InboundExtraction.Unreadable("hl7v2", "hl7." + error.Rule, error.ToString());
        }

        return Hl7(message);
    }

    private static InboundExtraction Hl7(Hl7Message message)
    {
        var msh = message.Msh;
        var kind = msh.TriggerEvent is null ? msh.MessageCode : $"{msh.MessageCode}^{msh.TriggerEvent}";
        var pam = PamIdentityReader.Read(message, PamOptions);
        if (pam is null)
        {
            return new InboundExtraction("hl7v2", kind, msh.ControlId, null, "inbound.no-patient", "The message has no PID segment.");
        }

        var ins = pam.InsAsReceived;
        var patient = new ReceivedPatient
        {
            Identifiers = pam.LocalIdentifiers.Where(c => !string.IsNullOrWhiteSpace(c.Id) && !c.IsNullId)
                .Select(c => new ReceivedIdentifier(c.Id!, Authorities(c.AssigningAuthority), c.TypeCode)).ToList(),
            Traits = pam.Traits,
            TraitProblems = pam.Issues.Where(i => i.Severity == PamIssueSeverity.Warning && !i.Rule.StartsWith("ins", StringComparison.Ordinal)).Select(i => $"{i.Rule} at {i.Location}").ToList(),
            Ins = ins,
            InsProblem = ins is null ? pam.Issues.FirstOrDefault(i => InsProblems.Contains(i.Rule))?.Rule : null,
            // Table 0445 has no QUAL: a partner that sends the RNIV code anyway (its qualified code is QUAL) is read as it wrote it.
            StatusCode = pam.StatusCode ?? pam.OtherReliabilityCodes.FirstOrDefault(c => c is "QUAL" or "RECUP"),
            Attributes = pam.Attributes,
            Contradiction = EmbeddedCdaContradiction(message, ins),
        };
        return new InboundExtraction("hl7v2", kind, msh.ControlId, patient);
    }

    private static IReadOnlyList<string> Authorities(Hd? hd) =>
        hd is null ? [] : new[] { hd.UniversalId, hd.NamespaceId }.Where(s => !string.IsNullOrWhiteSpace(s)).Select(s => s!.Trim()).ToList();

    /// <summary>ORU/MDM carrying a CDA (OBX ED, base64): PID-3 and the document's recordTarget must name the same INS (HL7 CDA IG).</summary>
    private static string? EmbeddedCdaContradiction(Hl7Message message, InsIdentifier? pidIns)
    {
        foreach (var obx in message.Obx)
        {
            if (!string.Equals(obx.ValueType, "ED", StringComparison.Ordinal))
            {
                continue;
            }

            var data = obx.ObservationValue.ComponentValue(5);
            if (string.IsNullOrEmpty(data) || !string.Equals(obx.ObservationValue.ComponentValue(4), "Base64", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var bytes = new byte[data.Length];
            if (!Convert.TryFromBase64String(data, bytes, out var n))
            {
                continue;
            }

            string xml;
            try
            {
                xml = Text(bytes.AsSpan(0, n));
            }
            catch (DecoderFallbackException)
            {
                continue;
            }

            if (!xml.Contains("ClinicalDocument", StringComparison.Ordinal))
            {
                continue;
            }

            CdaHeader header;
            try
            {
                header = CdaHeaderReader.Read(xml, CdaOptions);
            }
            catch (CdaFormatException)
            {
                continue;
            }

            if (header.Patient.Ins is { } docIns && (pidIns is null || docIns != pidIns))
            {
                return "inbound.cda-pid-mismatch";
            }
        }

        return null;
    }

    private static InboundExtraction Fhir(string text, bool json)
    {
        var resource = json ? FhirFormats.ParseJson<Resource>(text, checkValues: false).Resource : FhirFormats.ParseXml<Resource>(text).Resource;
        switch (resource)
        {
            case Patient p:
                return new InboundExtraction("fhir", "Patient", p.Id, FromPatient(p));
            case Bundle b:
            {
                var patients = b.Entry.Select(e => e.Resource).OfType<Patient>().ToList();
                if (patients.Count > 1)
                {
                    return new InboundExtraction("fhir", "Bundle", b.Id, null, "inbound.several-patients", $"The Bundle carries {patients.Count} Patient resources; send one patient's data per Bundle.");
                }

                if (patients.Count == 1)
                {
                    return new InboundExtraction("fhir", "Bundle", b.Id, FromPatient(patients[0]));
                }

                var document = b.Entry.Select(e => e.Resource).OfType<DocumentReference>().FirstOrDefault();
                return document is null
                    ? new InboundExtraction("fhir", "Bundle", b.Id, null, "inbound.no-patient", "The Bundle carries neither a Patient nor a DocumentReference.")
                    : new InboundExtraction("fhir", "Bundle", b.Id, FromDocumentReference(document));
            }

            case DocumentReference d:
                return new InboundExtraction("fhir", "DocumentReference", d.Id, FromDocumentReference(d));
            default:
                return new InboundExtraction("fhir", resource.TypeName, resource.Id, null, "inbound.unsupported-resource", $"A {resource.TypeName} carries no patient the gate reads (Patient, Bundle, DocumentReference).");
        }
    }

    private static ReceivedPatient? FromDocumentReference(DocumentReference d)
    {
        var reference = d.Subject?.Reference;
        if (reference is { Length: > 1 } && reference[0] == '#' && d.Contained.OfType<Patient>().FirstOrDefault(p => p.Id == reference[1..]) is { } contained)
        {
            return FromPatient(contained);
        }

        // A logical reference (subject.identifier): the INS alone, which document sharing carries only for a qualified identity.
        if (d.Subject?.Identifier is { } id)
        {
            var (ins, problem) = ReadIns([id]);
            return new ReceivedPatient
            {
                Ins = ins,
                InsProblem = problem,
                InsImpliesQualified = true,
                Identifiers = ins is null && problem is null && !string.IsNullOrWhiteSpace(id.Value) ? [new ReceivedIdentifier(id.Value, SystemNames(id.System))] : [],
                TraitProblems = ["traits-absent at DocumentReference.subject"],
            };
        }

        return null;
    }

    private static ReceivedPatient FromPatient(Patient p)
    {
        var read = FrCorePatientReader.Read(p, FhirPartnerProfile.FrCore21 with { InsPolicy = InsPolicy.AllowTestAndDemo });
        var (ins, problem) = ReadIns(p.Identifier);
        return new ReceivedPatient
        {
            Identifiers = read.LocalIdentifiers.Where(l => !string.IsNullOrWhiteSpace(l.Value)).Select(l => new ReceivedIdentifier(l.Value, SystemNames(l.System))).ToList(),
            Traits = read.Traits,
            TraitProblems = read.Refused.Where(r => !r.Rule.StartsWith("ins", StringComparison.Ordinal) && r.Rule != "qualified-without-ins").Select(r => $"{r.Rule} at {r.Path}").ToList(),
            Ins = ins,
            InsProblem = problem,
            StatusCode = read.StatusCode,
            Attributes = read.Attributes,
        };
    }

    private static IReadOnlyList<string> SystemNames(string? system)
    {
        if (string.IsNullOrWhiteSpace(system))
        {
            return [];
        }

        var s = system.Trim();
        return s.StartsWith("urn:oid:", StringComparison.OrdinalIgnoreCase) ? [s[8..], s] : [s];
    }

    /// <summary>The INS among FHIR identifiers (system = an INS OID; <c>use = old</c> ignored; NIR preferred over NIA).</summary>
    private static (InsIdentifier? Ins, string? Problem) ReadIns(IEnumerable<Identifier> identifiers)
    {
        var found = new List<InsIdentifier>();
        string? problem = null;
        foreach (var id in identifiers)
        {
            var system = id.System?.Trim() ?? "";
            var oid = system.StartsWith("urn:oid:", StringComparison.OrdinalIgnoreCase) ? system[8..] : system;
            if (!InsOids.TryGetKind(oid, out _) || id.Use == Identifier.IdentifierUse.Old)
            {
                continue;
            }

            if (InsIdentifier.TryCreate(id.Value ?? "", oid, InsPolicy.AllowTestAndDemo, out var ins, out _))
            {
                found.Add(ins);
            }
            else
            {
                problem ??= "ins-matricule";
            }
        }

        var distinct = found.Distinct().ToList();
        if (distinct.Count > 1 && distinct.Count(i => i.Kind != InsOidKind.Nia) > 1)
        {
            return (null, "ins-ambiguous");
        }

        return distinct.Count == 0 ? (null, problem) : (distinct.FirstOrDefault(i => i.Kind != InsOidKind.Nia) ?? distinct[0], null);
    }

    private static InboundExtraction Cda(string xml)
    {
        var header = CdaHeaderReader.Read(xml, CdaOptions);
        var p = header.Patient;
        var kind = "ClinicalDocument";
        var id = header.Document?.Id.ToString();
        if (p.Traits is null && p.Ins is null && p.LocalIds.Count == 0)
        {
            return new InboundExtraction("cda", kind, id, null, "inbound.no-patient", "The document names no patient (recordTarget/patientRole).");
        }

        return new InboundExtraction("cda", kind, id, new ReceivedPatient
        {
            Identifiers = p.LocalIds.Where(l => !string.IsNullOrWhiteSpace(l.Extension)).Select(l => new ReceivedIdentifier(l.Extension!, [l.Root])).ToList(),
            Traits = p.Traits,
            TraitProblems = p.Refused.Where(r => !r.Rule.StartsWith("ins", StringComparison.Ordinal)).Select(r => $"{r.Rule} at {r.Path}").ToList(),
            Ins = p.Ins,
            InsProblem = p.Ins is null ? p.Refused.FirstOrDefault(r => InsProblems.Contains(r.Rule))?.Rule : null,

            // CI-SIS: the INS is written in a document header only for a qualified identity; there is no status element.
            InsImpliesQualified = true,
        });
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Inbound payload ({Format}) unreadable: {Error}")]
    private static partial void LogUnreadable(ILogger logger, string format, string error);
}
