using System.Globalization;
using SanteGateway.Identity;
using SanteGateway.Interop.Hl7v2.Er7;
using SanteGateway.Interop.Hl7v2.Segments;

namespace SanteGateway.Interop.Hl7v2.Pam;

/// <summary>Options of the inbound mapping.</summary>
public sealed record PamReadOptions
{
    /// <summary>Production policy: test and demonstration INS OIDs are recognised and refused.</summary>
    public static PamReadOptions Production { get; } = new();

    /// <summary>Which INS OIDs are accepted (production refuses <c>.10</c> test and <c>.11</c> demonstration).</summary>
    public InsPolicy InsPolicy { get; init; } = InsPolicy.Production;
}

/// <summary>
/// Reads the patient identity of a PAM France message (PID, ZFD) into the identity domain (IHE PAM France 2.11 §6.6, §6.18;
/// shared/spec/ins-rules.md §5.1).
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>PID-3 <c>INS</c> repetitions are read with their OID (NIR <c>.8</c>, NIA <c>.9</c>, test <c>.10</c>, demo <c>.11</c>); an INS is
/// integrated only with PID-32 <c>VALI</c> (PAM §6.6.1), a correct key, an OID allowed by the policy and no DOUT/FICT attribute.
/// NIR preferred over NIA when both come.</item>
/// <item><c>NH</c> identifiers are NSS, never INS, even with OID <c>.8</c>.</item>
/// <item>Findings never refuse the message: they are listed in <see cref="PamPatient.Issues"/>.</item>
/// </list>
/// </remarks>
public static class PamIdentityReader
{
    /// <summary>Reads the identity of the first PID of a message.</summary>
    /// <param name="message">The message.</param>
    /// <param name="options">Policy; production when null.</param>
    /// <returns>The identity, or null when the message has no PID.</returns>
    public static PamPatient? Read(Hl7Message message, PamReadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(message);
        return message.Pid is { } pid ? Read(pid, message.Zfd, options) : null;
    }

    /// <summary>Reads the identity of a PID segment (and its ZFD).</summary>
    /// <param name="pid">The PID.</param>
    /// <param name="zfd">The ZFD, if any.</param>
    /// <param name="options">Policy.</param>
    /// <returns>The identity.</returns>
    public static PamPatient Read(PidSegment pid, ZfdSegment? zfd, PamReadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(pid);
        options ??= PamReadOptions.Production;
        var issues = new List<PamIssue>();

        // PID-32: status first, then attributes; every repetition is scanned so that a sender that puts them in another order is still read.
        string? statusCode = null;
        IdentityStatus? statusFromCode = null;
        var attributes = IdentityAttributes.None;
        var others = new List<string>();
        var reliability = pid.Field(32);
        for (var r = 1; r <= reliability.RepetitionCount; r++)
        {
            var code = reliability.Repetition(r).Value;
            if (code.Length == 0)
            {
                continue;
            }

            if (code is "PROV" or "VALI" && statusCode is null)
            {
                statusCode = code;
                statusFromCode = code == "VALI" ? IdentityStatus.Vali : IdentityStatus.Prov;
            }
            else if (RnivCodes.TryParseAttribute(code, out var attribute))
            {
                attributes |= attribute;
                if (code == "FICTI")
                {
                    issues.Add(new PamIssue("legacy-code", Loc(32, r), "FICTI is a legacy code, read as FICT.", PamIssueSeverity.Information));
                }
            }
            else
            {
                others.Add(code);
            }
        }

        if (RnivIdentity.CheckAttributes(attributes) is { } attributeError)
        {
            issues.Add(new PamIssue("attribute-combination", "PID-32", attributeError));
        }

        // PID-3.
        var local = new List<Cx>();
        var nss = new List<Cx>();
        var insFound = new List<(InsIdentifier Ins, int Repetition)>();
        var insDeleted = false;
        var ids = pid.Field(3);
        for (var r = 1; r <= ids.RepetitionCount; r++)
        {
            var cx = Cx.FromElement(ids.Repetition(r));
            switch (cx.TypeCode)
            {
                case "NH":
                    nss.Add(cx);
                    break;
                case "INS":
                    if (cx.IsNullId)
                    {
                        insDeleted = true;
                        break;
                    }

                    if (ReadIns(cx, Loc(3, r), options, issues) is { } ins)
                    {
                        insFound.Add((ins, r));
                    }

                    break;
                case "INS-C":
                    issues.Add(new PamIssue("ins-c-ignored", Loc(3, r), "INS-C (computed INS) has been superseded by the INS since 2021; it is read as a local identifier, never as an INS.", PamIssueSeverity.Information));
                    local.Add(cx);
                    break;
                default:
                    local.Add(cx);
                    break;
            }
        }

        // NIR preferred over NIA (PAM §4.4.1); otherwise the first.
        var chosen = insFound.Count == 0 ? ((InsIdentifier Ins, int Repetition)?)null
            : insFound.FirstOrDefault(i => i.Ins.Kind != InsOidKind.Nia) is { Ins: not null } nir ? nir : insFound[0];
        InsIdentifier? accepted = null;
        if (chosen is { } c)
        {
            if (statusCode != "VALI")
            {
                issues.Add(new PamIssue("ins-without-vali", Loc(3, c.Repetition),
                    "An INS is integrated only with PID-32 = VALI (identity qualified at the sender, PAM §6.6.1); the message is kept without the INS."));
            }
            else if ((attributes & (IdentityAttributes.Doubtful | IdentityAttributes.Fictitious)) != 0)
            {
                issues.Add(new PamIssue("ins-with-doubtful-or-fictitious", Loc(3, c.Repetition),
                    "A doubtful or fictitious identity holds no INS; the message is kept without the INS."));
            }
            else
            {
                accepted = c.Ins;
            }
        }

        var zfdRead = zfd is null ? null : ReadZfd(zfd, issues);
        var (traits, pseudonym) = ReadTraits(pid, zfdRead, issues);

        IdentityStatus? senderStatus = statusFromCode switch
        {
            IdentityStatus.Vali when accepted is not null => IdentityStatus.Qual,
            _ => statusFromCode,
        };

        return new PamPatient
        {
            Ipp = local.FirstOrDefault(x => x.TypeCode == "PI"),
            LocalIdentifiers = local,
            Nss = nss,
            Ins = accepted,
            InsAsReceived = chosen?.Ins,
            InsDeleted = insDeleted,
            StatusCode = statusCode,
            SenderStatus = senderStatus,
            Attributes = attributes,
            OtherReliabilityCodes = others,
            Traits = traits,
            Pseudonym = pseudonym,
            Zfd = zfdRead,
            Issues = issues,
        };
    }

    /// <summary>Reads an HL7 date (<c>YYYY[MM[DD[HHMM[SS]]]]</c>, time zone ignored) as a date.</summary>
    /// <param name="ts">The text.</param>
    /// <returns>The date, or null when it is not a readable full date.</returns>
    public static DateOnly? ParseDate(string? ts)
    {
        if (ts is null || ts.Length < 8)
        {
            return null;
        }

        return DateOnly.TryParseExact(ts.AsSpan(0, 8), "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) ? d : null;
    }

    private static InsIdentifier? ReadIns(Cx cx, string location, PamReadOptions options, List<PamIssue> issues)
    {
        var oid = cx.AssigningAuthority?.UniversalId;
        if (!InsOids.TryGetKind(oid, out var kind))
        {
            issues.Add(new PamIssue("ins-oid-unknown", location + ".4.2",
                "CX-5 = INS but CX-4.2 is not an INS OID (expected 1.2.250.1.213.1.4.8 NIR, .9 NIA, .10 test or .11 demonstration); the INS is not integrated."));
            return null;
        }

        if (!InsMatricule.TryParse(cx.Id, out var matricule, out var error))
        {
            var rule = error.Kind == InsMatriculeErrorKind.WrongKey ? "ins-wrong-key" : "ins-malformed";
            issues.Add(new PamIssue(rule, location + ".1", $"{error.Message} The INS is not integrated; the message is kept."));
            return null;
        }

        if (!InsOids.IsAllowed(kind, options.InsPolicy, out var reason))
        {
            issues.Add(new PamIssue("ins-oid-not-allowed", location + ".4.2", reason + " The INS is not integrated."));
            return null;
        }

        return new InsIdentifier(matricule, InsOids.OidOf(kind));
    }

    private static PamZfd ReadZfd(ZfdSegment zfd, List<PamIssue> issues)
    {
        var (day, month, year) = zfd.LunarDateParts;
        int? weeks = int.TryParse(zfd.WeeksOfGestation, NumberStyles.None, CultureInfo.InvariantCulture, out var w) ? w : null;
        var mode = zfd.CollectionMode;
        CollectionChannel? channel = null;
        if (mode is not null)
        {
            if (Enum.TryParse<CollectionChannel>(mode, ignoreCase: false, out var ch) && Enum.IsDefined(ch) && !int.TryParse(mode, out _))
            {
                channel = ch;
            }
            else
            {
                issues.Add(new PamIssue("zfd5-unknown", "ZFD-5", "The collection mode is not one of SM, CV, INSI, CB, RFID, AV.", PamIssueSeverity.Information));
            }
        }

        var insiDate = ParseDate(zfd.InsiCallDate);
        if (zfd.InsiCallDate is not null && insiDate is null)
        {
            issues.Add(new PamIssue("zfd6-date", "ZFD-6", "The INSi call date is not an HL7 date (YYYYMMDD…)."));
        }

        var expiry = ParseDate(zfd.DocumentExpiry);
        if (zfd.DocumentExpiry is not null && expiry is null)
        {
            issues.Add(new PamIssue("zfd8-date", "ZFD-8", "The document end of validity is not an HL7 date (YYYYMMDD…)."));
        }

        return new PamZfd(day, month, year, weeks, YesNo(zfd.SmsConsent), YesNo(zfd.BirthDateCorrected), mode, channel, insiDate, zfd.DocumentType, expiry);
    }

    private static (IdentityTraits? Traits, string? Pseudonym) ReadTraits(PidSegment pid, PamZfd? zfd, List<PamIssue> issues)
    {
        Xpn? legal = null;
        Xpn? used = null;
        string? pseudonym = null;
        var names = pid.Field(5);
        for (var r = 1; r <= names.RepetitionCount; r++)
        {
            var name = Xpn.FromElement(names.Repetition(r));
            switch (name.TypeCode)
            {
                case "L":
                    legal ??= name;
                    break;
                case "D":
                    used ??= name;
                    break;
                case "S":
                    pseudonym ??= name.Family;
                    break;
                case null or "U":
                    break;
                default:
                    issues.Add(new PamIssue("name-type-forbidden", Loc(5, r) + ".7", "PAM France allows the name types L, D, S and U only; this repetition is ignored."));
                    break;
            }
        }

        if (legal is null)
        {
            issues.Add(new PamIssue("no-birth-name", "PID-5", "No name of type L (birth name): the traits cannot be read."));
            return (null, pseudonym);
        }

        var birthDateText = pid.BirthDateTime;
        BirthDate birthDate = default;
        if (!TryReadBirthDate(birthDateText, out birthDate))
        {
            issues.Add(new PamIssue("birth-date", "PID-7", "The birth date is missing or is not an HL7 date (YYYYMMDD, YYYYMM or YYYY)."));
        }
        else if (zfd?.BirthDateCorrected == true && !birthDate.IsCorrected)
        {
            birthDate = birthDate with { IsCorrected = true };
        }

        var sex = pid.Sex switch
        {
            "F" => Sex.Female,
            "M" => Sex.Male,
            _ => Sex.Unknown,
        };
        if (pid.Sex is not (null or "F" or "M" or "U"))
        {
            issues.Add(new PamIssue("sex-code", "PID-8", "PAM France sex codes are F, M and U; read as unknown."));
        }

        string? cog = null;
        var addresses = pid.Field(11);
        for (var r = 1; r <= addresses.RepetitionCount; r++)
        {
            var a = Xad.FromElement(addresses.Repetition(r));
            if (a.TypeCode == "BDL")
            {
                cog = a.County;
                break;
            }
        }

        var firstNames = IdentityTraits.SplitFirstNames(legal.SecondAndFurtherGiven);
        var usedName = used?.Family is { } un && un != "\"\"" ? un : null;
        var usedFirst = used?.Given is { } uf && uf != "\"\"" ? uf : null;
        if (birthDate == default)
        {
            return (null, pseudonym);
        }

        var result = IdentityTraits.Create(legal.Family, firstNames, legal.Given, sex, birthDate, cog, usedName, usedFirst);
        if (!result.IsValid)
        {
            foreach (var e in result.Errors)
            {
                issues.Add(new PamIssue("traits-" + e.Rule, TraitLocation(e.Field), e.Message));
            }

            return (null, pseudonym);
        }

        return (result.Value, pseudonym);
    }

    private static bool TryReadBirthDate(string? text, out BirthDate date)
    {
        date = default;
        if (text is null || text.Length < 4 || !text.AsSpan(0, 4).ContainsOnlyDigits())
        {
            return false;
        }

        var year = int.Parse(text.AsSpan(0, 4), CultureInfo.InvariantCulture);
        int? month = null;
        int? day = null;
        if (text.Length >= 6)
        {
            if (!text.AsSpan(4, 2).ContainsOnlyDigits())
            {
                return false;
            }

            month = int.Parse(text.AsSpan(4, 2), CultureInfo.InvariantCulture);
        }

        if (text.Length >= 8)
        {
            if (!text.AsSpan(6, 2).ContainsOnlyDigits())
            {
                return false;
            }

            day = int.Parse(text.AsSpan(6, 2), CultureInfo.InvariantCulture);
        }

        return BirthDate.TryFromParts(year, month == 0 ? null : month, day == 0 ? null : day, out date, out _);
    }

    private static string TraitLocation(string field) => field switch
    {
        nameof(IdentityTraits.BirthName) => "PID-5.1",
        nameof(IdentityTraits.FirstFirstName) => "PID-5.2",
        nameof(IdentityTraits.BirthFirstNames) => "PID-5.3",
        nameof(IdentityTraits.UsedName) => "PID-5.1 (D)",
        nameof(IdentityTraits.UsedFirstName) => "PID-5.2 (D)",
        nameof(IdentityTraits.BirthDate) => "PID-7",
        nameof(IdentityTraits.Sex) => "PID-8",
        nameof(IdentityTraits.BirthPlaceCog) => "PID-11.9 (BDL)",
        _ => "PID",
    };

    private static bool? YesNo(string? v) => v switch
    {
        "Y" => true,
        "N" => false,
        _ => null,
    };

    private static string Loc(int field, int repetition) => string.Create(CultureInfo.InvariantCulture, $"PID-{field}[{repetition}]");
}

file static class SpanExtensions
{
    public static bool ContainsOnlyDigits(this ReadOnlySpan<char> s)
    {
        foreach (var c in s)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return true;
    }
}
