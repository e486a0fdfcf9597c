using System.Globalization;
using SanteGateway.Interop.Hl7v2.Segments;

namespace SanteGateway.Interop.Hl7v2.Er7;

/// <summary>MSA-1 acknowledgment codes (original mode).</summary>
public enum Hl7AckCode
{
    /// <summary>AA: accepted (and, for this gateway, stored).</summary>
    Accept,

    /// <summary>AE: application error: the message was stored but a rule refused it; resending it unchanged will not help.</summary>
    Error,

    /// <summary>AR: rejected: the message was not stored (unreadable, or storage failed); the sender may retry.</summary>
    Reject,
}

/// <summary>What went wrong, for ERR: the rule (ERR-5), a message (ERR-8), the HL7 error code (ERR-3, table 0357) and the location (ERR-2).</summary>
/// <param name="Rule">The application rule that failed (ERR-5.1), e.g. <c>ins-wrong-key</c>, <c>store-failed</c>.</param>
/// <param name="Message">A reason fit for the partner's operators (ERR-8); never identity values.</param>
/// <param name="Hl7ErrorCode">Table 0357: <c>100</c> segment sequence, <c>101</c> required field missing, <c>102</c> data type, <c>103</c> table value,
/// <c>200</c> unsupported message type, <c>207</c> application internal error.</param>
/// <param name="Segment">ERR-2.1 segment identifier.</param>
/// <param name="Field">ERR-2.3 field position.</param>
public sealed record Hl7AckError(string Rule, string Message, string Hl7ErrorCode = "207", string? Segment = null, int? Field = null);

/// <summary>Builds acknowledgments: MSA with the received control id, ERR naming the failed rule.</summary>
public static class Hl7Acks
{
    /// <summary>The MSA-1 text of a code.</summary>
    /// <param name="code">The code.</param>
    /// <returns><c>AA</c>, <c>AE</c> or <c>AR</c>.</returns>
    public static string ToText(Hl7AckCode code) => code switch
    {
        Hl7AckCode.Accept => "AA",
        Hl7AckCode.Error => "AE",
        Hl7AckCode.Reject => "AR",
        _ => throw new ArgumentOutOfRangeException(nameof(code), code, "Unknown code."),
    };

    /// <summary>Builds the acknowledgment of a message.</summary>
    /// <param name="received">The received message, or null when it could not be read (MSA-2 is then empty).</param>
    /// <param name="code">The answer.</param>
    /// <param name="controlId">MSH-10 of the acknowledgment.</param>
    /// <param name="error">The error, for AE/AR.</param>
    /// <param name="now">MSH-7.</param>
    /// <param name="ourApplication">MSH-3 when the received message is unreadable (otherwise its MSH-5 is used).</param>
    /// <returns>The ACK.</returns>
    public static Hl7Message Build(Hl7Message? received, Hl7AckCode code, string controlId, Hl7AckError? error, DateTimeOffset now, string ourApplication = "SANTEGW")
    {
        var msh = received?.Msh;
        var message = Hl7MessageBuilder.Create(new Hl7Header
        {
            SendingApplication = msh?.ReceivingApplicationName ?? ourApplication,
            SendingFacility = msh?.ReceivingFacilityName,
            ReceivingApplication = msh?.SendingApplicationName,
            ReceivingFacility = msh?.SendingFacilityName,
            Timestamp = now,
            MessageCode = "ACK",
            TriggerEvent = msh?.TriggerEvent,
            MessageStructure = "ACK",
            ControlId = controlId,
            ProcessingId = msh?.ProcessingId ?? "P",
            Version = msh?.Version ?? "2.5",
            VersionCountry = null,
            VersionInternational = null,
            MessageProfile = null,
        });
        var msa = new Hl7SegmentBuilder("MSA").Field(1, ToText(code)).Field(2, msh?.ControlId);
        if (error is not null)
        {
            msa.Field(3, Truncate(error.Message, 80));
        }

        message.Add(msa);
        if (error is not null)
        {
            var err = new Hl7SegmentBuilder("ERR")
                .Field(3, error.Hl7ErrorCode, Hl7ErrorText(error.Hl7ErrorCode), "HL70357")
                .Field(4, code == Hl7AckCode.Accept ? "W" : "E")
                .Field(5, error.Rule, Hl7Component.Empty, "SANTEGW")
                .Field(8, error.Message);
            if (error.Segment is not null)
            {
                err.Field(2, error.Segment, "1", error.Field?.ToString(CultureInfo.InvariantCulture));
            }

            message.Add(err);
        }

        return message;
    }

    private static string? Hl7ErrorText(string code) => code switch
    {
        "0" => "Message accepted",
        "100" => "Segment sequence error",
        "101" => "Required field missing",
        "102" => "Data type error",
        "103" => "Table value not found",
        "200" => "Unsupported message type",
        "201" => "Unsupported event code",
        "203" => "Unsupported version id",
        "206" => "Application record locked",
        "207" => "Application internal error",
        _ => null,
    };

    private static string Truncate(string s, int max) => s.Length <= max ? s : s[..max];
}
