using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using SanteGateway.Identity;
using SanteGateway.Interop.Hl7v2.Er7;
using SanteGateway.Interop.Hl7v2.Mllp;
using SanteGateway.Interop.Hl7v2.Pam;
using SanteGateway.Interop.Hl7v2.Segments;

namespace SanteGateway.Cli;

/// <summary>
/// <c>santegw hl7</c>: HL7 v2 messages offline and over MLLP.
/// <list type="bullet">
/// <item><c>hl7 inspect FILE [--json]</c>: segments, message type, patient identity, INS and its status, mapping findings.
/// Exit 0 read, 1 unreadable (rule and position on stderr).</item>
/// <item><c>hl7 send --to HOST:PORT FILE [--timeout S] [--tls] [--raw]</c>: sends the message over MLLP and prints the ACK.
/// Exit 0 on AA/CA, 1 on AE/AR (or an unreadable file), 3 on timeout or connection failure.</item>
/// <item><c>hl7 dead-letters list|show ID|replay ID</c>: the outbox's dead letters (HL7 identity feed and inbound deliveries),
/// on the data folder or a running gateway (<c>--url</c>, <c>--api-key</c>).</item>
/// </list>
/// </summary>
internal sealed class Hl7Commands : ICommandModule
{
    /// <summary>Exit code of an unreadable file or a negative acknowledgment.</summary>
    public const int Refused = 1;

    /// <summary>Exit code of a timeout or a connection failure.</summary>
    public const int Unreachable = 3;

    public Command Create()
    {
        var hl7 = new Command("hl7", "HL7 v2 (IHE PAM France): inspect a message, send one over MLLP, manage the outbox's dead letters.");
        hl7.Subcommands.Add(CreateInspect());
        hl7.Subcommands.Add(CreateSend());
        hl7.Subcommands.Add(Hl7DeadLetterCommands.Create());
        return hl7;
    }

    private static Command CreateInspect()
    {
        var file = new Argument<FileInfo>("file") { Description = "The ER7 message (segments ended by CR, LF or CRLF)." };
        var json = new Option<bool>("--json") { Description = "Write the result as JSON on stdout." };
        var inspect = new Command("inspect", "Show the segments, the patient identity, the INS and its status (test OIDs are shown as TEST).");
        inspect.Arguments.Add(file);
        inspect.Options.Add(json);
        inspect.SetAction(parse => Inspect(parse.GetValue(file)!, parse.GetValue(json)));
        return inspect;
    }

    private static Command CreateSend()
    {
        var file = new Argument<FileInfo>("file") { Description = "The ER7 message to send." };
        var to = new Option<string>("--to") { Description = "The partner, HOST:PORT.", Required = true };
        var timeout = new Option<double>("--timeout") { Description = "Seconds to wait for the connection and for the ACK (default 30).", DefaultValueFactory = _ => 30 };
        var tls = new Option<bool>("--tls") { Description = "Use TLS (the server certificate is checked against the system's trust store)." };
        var raw = new Option<bool>("--raw") { Description = "Send the file's bytes unchanged (by default segment ends are normalised to CR)." };
        var send = new Command("send", "Send a message over MLLP and print the acknowledgment.");
        send.Arguments.Add(file);
        send.Options.Add(to);
        send.Options.Add(timeout);
        send.Options.Add(tls);
        send.Options.Add(raw);
        send.SetAction((parse, ct) => SendAsync(parse.GetValue(file)!, parse.GetValue(to)!, parse.GetValue(timeout), parse.GetValue(tls), parse.GetValue(raw), ct));
        return send;
    }

    private static int Inspect(FileInfo file, bool json)
    {
        if (!TryLoad(file, out var bytes))
        {
            return Refused;
        }

        if (!Hl7Reader.TryRead(bytes, null, out var message, out var error))
        {
            return ReportParseError(error, json);
        }

        var patient = PamIdentityReader.Read(message, new PamReadOptions { InsPolicy = InsPolicy.AllowTestAndDemo });
        if (json)
        {
            Console.Out.WriteLine(ToJson(message, patient).ToJsonString());
            return 0;
        }

        var msh = message.Msh;
        Console.Out.WriteLine($"{msh.MessageCode}^{msh.TriggerEvent}^{msh.MessageStructure}  control id {msh.ControlId}  version {msh.Version}  charset {msh.CharacterSet ?? "(none)"}  profile {msh.MessageProfile} {msh.MessageProfileNamespace}".TrimEnd());
        Console.Out.WriteLine($"from {msh.SendingApplicationName}/{msh.SendingFacilityName} to {msh.ReceivingApplicationName}/{msh.ReceivingFacilityName}");
        Console.Out.WriteLine("segments: " + string.Join(' ', message.Segments.Select(s => string.Create(CultureInfo.InvariantCulture, $"{s.Name}({s.FieldCount})"))));
        if (patient is null)
        {
            Console.Out.WriteLine("no PID segment");
            return 0;
        }

        if (patient.Ipp is { } ipp)
        {
            Console.Out.WriteLine($"IPP      {ipp.Id} ({ipp.AssigningAuthority?.NamespaceId} {ipp.AssigningAuthority?.UniversalId})");
        }

        foreach (var nss in patient.Nss)
        {
            Console.Out.WriteLine($"NSS      {nss.Id} (NH: billing number, never an INS)");
        }

        var ins = patient.Ins ?? patient.InsAsReceived;
        Console.Out.WriteLine(ins is null
            ? "INS      none" + (patient.InsDeleted ? " (INS deletion \"\")" : string.Empty)
            : $"INS      {ins.Matricule.ToDisplayString()} {ins.Kind.ToString().ToUpperInvariant()} ({ins.Oid}) environment {ins.Environment.ToString().ToUpperInvariant()}{(patient.Ins is null ? " NOT INTEGRATED" : string.Empty)}");
        Console.Out.WriteLine($"status   PID-32 {patient.StatusCode ?? "(none)"} -> {StatusText(patient.SenderStatus)}{AttributesText(patient.Attributes)}");
        if (patient.Traits is { } t)
        {
            Console.Out.WriteLine($"name     {t.BirthName} / {t.FirstFirstName} / [{t.BirthFirstNamesJoined}]{(t.UsedName is null ? string.Empty : $"  used {t.UsedName}")}{(t.UsedFirstName is null ? string.Empty : $" {t.UsedFirstName}")}");
            Console.Out.WriteLine($"born     {t.BirthDate.ToIso()}{(t.BirthDate.IsCorrected ? " (corrected)" : string.Empty)} sex {t.Sex} place {t.BirthPlaceCog ?? "(none)"}");
        }

        if (patient.Zfd is { } z)
        {
            Console.Out.WriteLine($"ZFD      collection {z.CollectionMode ?? "-"} INSi {z.InsiCallDate?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "-"} document {z.DocumentType ?? "-"} until {z.DocumentExpiry?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "-"}");
        }

        foreach (var issue in patient.Issues)
        {
            Console.Out.WriteLine($"{(issue.Severity == PamIssueSeverity.Warning ? "warning" : "note   ")}  {issue}");
        }

        return 0;
    }

    private static async Task<int> SendAsync(FileInfo file, string to, double timeoutSeconds, bool tls, bool raw, CancellationToken ct)
    {
        var colon = to.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(to.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            await Console.Error.WriteLineAsync("--to must be HOST:PORT (port 1-65535).").ConfigureAwait(false);
            return Program.UsageError;
        }

        if (timeoutSeconds is not (> 0 and <= 3600))
        {
            await Console.Error.WriteLineAsync("--timeout must be between 0 and 3600 seconds.").ConfigureAwait(false);
            return Program.UsageError;
        }

        if (!TryLoad(file, out var bytes))
        {
            return Refused;
        }

        if (!Hl7Reader.TryRead(bytes, null, out var message, out var error))
        {
            return ReportParseError(error, json: false);
        }

        if (!raw)
        {
            foreach (var segment in message.Segments)
            {
                segment.Terminator = "\r";
            }

            bytes = message.ToBytes();
        }

        var host = to[..colon].Trim('[', ']');
        var timeout = TimeSpan.FromSeconds(timeoutSeconds);
        await using var client = new MllpClient(new MllpClientOptions { Host = host, Port = port, UseTls = tls, ConnectTimeout = timeout, AckTimeout = timeout });
        MllpAck ack;
        try
        {
            ack = await client.SendAsync(bytes, message.Msh.ControlId, ct).ConfigureAwait(false);
        }
        catch (MllpTimeoutException e)
        {
            await Console.Error.WriteLineAsync(e.Message).ConfigureAwait(false);
            return Unreachable;
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or System.Security.Authentication.AuthenticationException)
        {
            await Console.Error.WriteLineAsync($"{to}: {e.Message}").ConfigureAwait(false);
            return Unreachable;
        }

        Console.Out.WriteLine($"{ack.Code} for control id {ack.AcknowledgedControlId}{(ack.Message?.Msa?.Text is { } text ? $": {text}" : string.Empty)}");
        foreach (var err in ack.Errors)
        {
            Console.Out.WriteLine($"ERR {err.Severity} {err.Hl7ErrorCode} rule {err.ApplicationErrorCode} at {err.Location ?? "-"}: {err.UserMessage}");
        }

        return ack.IsAccepted ? 0 : Refused;
    }

    private static bool TryLoad(FileInfo file, out byte[] bytes)
    {
        bytes = [];
        try
        {
            if (file.Length > Hl7ReadOptions.Default.MaxMessageBytes)
            {
                Console.Error.WriteLine($"{file.Name}: larger than {Hl7ReadOptions.Default.MaxMessageBytes} bytes.");
                return false;
            }

            bytes = File.ReadAllBytes(file.FullName);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"{file.Name}: {e.Message}");
            return false;
        }
    }

    private static int ReportParseError(Hl7ParseError error, bool json)
    {
        if (json)
        {
            Console.Out.WriteLine(new JsonObject
            {
                ["readable"] = false,
                ["rule"] = error.Rule,
                ["message"] = error.Message,
                ["segment"] = error.SegmentIndex,
                ["segmentName"] = error.SegmentName,
                ["field"] = error.Field,
                ["byteOffset"] = error.ByteOffset,
            }.ToJsonString());
        }
        else
        {
            Console.Error.WriteLine(error.ToString());
        }

        return Refused;
    }

    private static JsonObject ToJson(Hl7Message message, PamPatient? patient)
    {
        var msh = message.Msh;
        var node = new JsonObject
        {
            ["readable"] = true,
            ["messageType"] = $"{msh.MessageCode}^{msh.TriggerEvent}^{msh.MessageStructure}",
            ["controlId"] = msh.ControlId,
            ["version"] = msh.Version,
            ["charset"] = msh.CharacterSet,
            ["segments"] = new JsonArray([.. message.Segments.Select(s => (JsonNode)new JsonObject { ["name"] = s.Name, ["fields"] = s.FieldCount })]),
        };
        if (patient is null)
        {
            return node;
        }

        var ins = patient.Ins ?? patient.InsAsReceived;
        node["patient"] = new JsonObject
        {
            ["ipp"] = patient.Ipp is { } ipp ? new JsonObject { ["id"] = ipp.Id, ["authority"] = ipp.AssigningAuthority?.NamespaceId, ["oid"] = ipp.AssigningAuthority?.UniversalId } : null,
            ["nss"] = new JsonArray([.. patient.Nss.Select(n => (JsonNode?)JsonValue.Create(n.Id))]),
            ["ins"] = ins is null ? null : new JsonObject
            {
                ["matricule"] = ins.Matricule.Value,
                ["oid"] = ins.Oid,
                ["kind"] = ins.Kind.ToString().ToUpperInvariant(),
                ["environment"] = ins.Environment.ToString().ToUpperInvariant(),
                ["integrated"] = patient.Ins is not null,
            },
            ["insDeleted"] = patient.InsDeleted,
            ["pid32"] = patient.StatusCode,
            ["status"] = patient.SenderStatus is { } s ? RnivCodes.ToCode(s) : null,
            ["attributes"] = new JsonArray([.. RnivCodes.ToCodes(patient.Attributes).Select(c => (JsonNode?)JsonValue.Create(c))]),
            ["traits"] = patient.Traits is { } t ? new JsonObject
            {
                ["birthName"] = t.BirthName,
                ["firstFirstName"] = t.FirstFirstName,
                ["birthFirstNames"] = t.BirthFirstNamesJoined,
                ["usedName"] = t.UsedName,
                ["usedFirstName"] = t.UsedFirstName,
                ["birthDate"] = t.BirthDate.ToIso(),
                ["birthDateCorrected"] = t.BirthDate.IsCorrected,
                ["sex"] = t.Sex.ToString(),
                ["birthPlace"] = t.BirthPlaceCog,
            } : null,
            ["issues"] = new JsonArray([.. patient.Issues.Select(i => (JsonNode)new JsonObject { ["rule"] = i.Rule, ["location"] = i.Location, ["message"] = i.Message, ["severity"] = i.Severity.ToString() })]),
        };
        return node;
    }

    private static string StatusText(IdentityStatus? status) => status switch
    {
        IdentityStatus.Qual => "qualified at the sender (VALI + INS)",
        IdentityStatus.Vali => "validated (VALI, no INS)",
        IdentityStatus.Prov => "provisional",
        _ => "unknown",
    };

    private static string AttributesText(IdentityAttributes attributes) =>
        attributes == IdentityAttributes.None ? string.Empty : " attributes " + string.Join(',', RnivCodes.ToCodes(attributes));
}
