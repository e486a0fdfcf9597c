using System.Globalization;
using Hl7.Fhir.Model;
using SanteGateway.Identity;

namespace SanteGateway.Interop.Fhir;

/// <summary>
/// Reads an FR Core Patient (or what real partners send instead) into the domain types. Tolerant where the meaning is clear,
/// strict on the INS: every refusal names the path and the rule.
/// </summary>
/// <remarks>
/// <para>The INS is kept only when the matricule and its key are valid, the OID is an INS OID accepted by the partner's
/// <see cref="FhirPartnerProfile.InsPolicy"/>, and the identity is qualified (QUAL, or VALI with the INS in table 0445).</para>
/// <para>Tolerated: <c>urn:oid:</c> or bare OIDs; INS identifiers without <c>type</c>; NIA with <c>use = temp</c>; all birth first
/// names in <c>given</c> when <c>birth-list-given-name</c> is missing; a name without <c>use</c> when there is no official one;
/// status codes from either FR Core code system; attributes in <c>identityStatus</c> or <c>comment</c>; partial birth dates.</para>
/// </remarks>
public static class FrCorePatientReader
{
    /// <summary>Reads a Patient.</summary>
    /// <param name="patient">The resource.</param>
    /// <param name="partner">The partner's conventions (INS OID policy).</param>
    /// <returns>The mapped identity with refusals and notes.</returns>
    public static FhirPatientReadResult Read(Patient patient, FhirPartnerProfile? partner = null)
    {
        ArgumentNullException.ThrowIfNull(patient);
        partner ??= FhirPartnerProfile.FrCore21;
        var refused = new List<FhirReadIssue>();
        var notes = new List<FhirReadIssue>();

        var reliability = ReadReliability(patient, refused, notes);
        var (active, history, locals) = ReadIdentifiers(patient, partner, refused, notes);

        // Status as meant by the sender, then the INS gate: the INS is accepted only with a qualified identity.
        IdentityStatus? status = reliability.Status;
        if (reliability.StatusCode == "VALI" && !reliability.RnivSystem && active is not null)
        {
            status = IdentityStatus.Qual; // FR Core 2.1 / table 0445: VALI + INS = qualified
        }

        InsIdentifier? ins = null;
        IReadOnlyList<InsIdentifier> insHistory = [];
        if (active is not null)
        {
            if (status == IdentityStatus.Qual)
            {
                ins = active.Value.Ins;
                insHistory = history;
            }
            else
            {
                refused.Add(new FhirReadIssue(active.Value.Path, "ins-requires-qualified-status",
                    $"An INS may be exchanged only with a qualified identity; the status received is {reliability.StatusCode ?? "absent"}. The INS is not kept."));
            }
        }
        else if (status == IdentityStatus.Qual)
        {
            refused.Add(new FhirReadIssue("Patient.extension('" + FrCore.IdentityReliability + "')", "qualified-without-ins",
                "The identity is said to be qualified but carries no acceptable INS; it is read as validated (VALI)."));
            status = IdentityStatus.Vali;
        }

        return new FhirPatientReadResult
        {
            Id = patient.Id,
            Traits = ReadTraits(patient, refused, notes),
            Status = status,
            StatusCode = reliability.StatusCode,
            Attributes = reliability.Attributes,
            Ins = ins,
            InsHistory = insHistory,
            Channel = reliability.Channel,
            InsiCalledOn = reliability.InsiCalledOn,
            ValidationMode = reliability.ValidationMode,
            ValidationDate = reliability.ValidationDate,
            LocalIdentifiers = locals,
            ReplacedBy = ReadReplacedBy(patient, notes),
            Active = patient.Active,
            Refused = refused,
            Notes = notes,
        };
    }

    private sealed class Reliability
    {
        public IdentityStatus? Status { get; set; }

        public string? StatusCode { get; set; }

        public bool RnivSystem { get; set; }

        public IdentityAttributes Attributes { get; set; }

        public CollectionChannel? Channel { get; set; }

        public DateOnly? InsiCalledOn { get; set; }

        public string? ValidationMode { get; set; }

        public DateOnly? ValidationDate { get; set; }
    }

    private static Reliability ReadReliability(Patient patient, List<FhirReadIssue> refused, List<FhirReadIssue> notes)
    {
        var r = new Reliability();
        for (var i = 0; i < patient.Extension.Count; i++)
        {
            var ext = patient.Extension[i];
            if (ext.Url != FrCore.IdentityReliability)
            {
                continue;
            }

            var at = $"Patient.extension[{i}]";
            foreach (var sub in ext.Extension)
            {
                var subAt = $"{at}.extension('{sub.Url}')";
                switch (sub.Url)
                {
                    case "identityStatus":
                        ReadStatusCoding(sub.Value as Coding, subAt, r, refused, notes);
                        break;
                    case "comment":
                        foreach (var c in (sub.Value as CodeableConcept)?.Coding ?? [])
                        {
                            ReadAttributeOrNote(c.Code, subAt, r, notes);
                        }

                        break;
                    case "methodCollection":
                        var method = (sub.Value as Coding)?.Code;
                        if (method is not null && Enum.TryParse<CollectionChannel>(method, ignoreCase: false, out var channel) && Enum.IsDefined(channel))
                        {
                            r.Channel = channel;
                        }
                        else
                        {
                            notes.Add(new FhirReadIssue(subAt, "unknown-method-collection", "Unknown collection method code; ignored."));
                        }

                        break;
                    case "dateCollection" or "dateInterrogationINSi":
                        r.InsiCalledOn = ReadDate(sub.Value, subAt, refused);
                        break;
                    case "validationDate":
                        r.ValidationDate = ReadDate(sub.Value, subAt, refused);
                        break;
                    case "validationMode":
                        r.ValidationMode = (sub.Value as Coding)?.Code;
                        break;
                    default:
                        notes.Add(new FhirReadIssue(subAt, "unknown-sub-extension", "Sub-extension not used by the gateway; ignored."));
                        break;
                }
            }
        }

        return r;
    }

    private static void ReadStatusCoding(Coding? coding, string at, Reliability r, List<FhirReadIssue> refused, List<FhirReadIssue> notes)
    {
        var code = coding?.Code;
        if (code is null)
        {
            refused.Add(new FhirReadIssue(at, "status-coding", "identityStatus has no code."));
            return;
        }

        if (RnivCodes.TryParseStatus(code, out var status))
        {
            if (r.StatusCode is not null && r.StatusCode != code)
            {
                refused.Add(new FhirReadIssue(at, "status-conflict", $"Two identity statuses were sent ({r.StatusCode} and {code}); the first is kept."));
                return;
            }

            r.Status = status;
            r.StatusCode = code;
            r.RnivSystem = coding!.System == FrCore.IdentityStatusSystem;
            return;
        }

        ReadAttributeOrNote(code, at, r, notes);
    }

    private static void ReadAttributeOrNote(string? code, string at, Reliability r, List<FhirReadIssue> notes)
    {
        if (RnivCodes.TryParseAttribute(code, out var attribute))
        {
            r.Attributes |= attribute;
        }
        else
        {
            notes.Add(new FhirReadIssue(at, "management-code", $"Code {code} is not an RNIV status or attribute (management code); ignored."));
        }
    }

    private static DateOnly? ReadDate(DataType? value, string at, List<FhirReadIssue> refused)
    {
        var text = (value as Date)?.Value ?? (value as FhirDateTime)?.Value;
        if (text is not null && text.Length >= 10
            && DateOnly.TryParseExact(text[..10], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d))
        {
            return d;
        }

        refused.Add(new FhirReadIssue(at, "date", "Not a full date (YYYY-MM-DD)."));
        return null;
    }

    private readonly record struct Candidate(InsIdentifier Ins, string Path);

    private static (Candidate? Active, IReadOnlyList<InsIdentifier> History, IReadOnlyList<LocalIdentifier> Locals) ReadIdentifiers(
        Patient patient, FhirPartnerProfile partner, List<FhirReadIssue> refused, List<FhirReadIssue> notes)
    {
        var actives = new List<Candidate>();
        var history = new List<InsIdentifier>();
        var locals = new List<LocalIdentifier>();
        for (var i = 0; i < patient.Identifier.Count; i++)
        {
            var id = patient.Identifier[i];
            var at = $"Patient.identifier[{i}]";
            var typeCode = id.Type?.Coding.FirstOrDefault()?.Code;
            if (!InsOids.TryGetKind(id.System, out var kind))
            {
                if (string.IsNullOrWhiteSpace(id.System) || string.IsNullOrWhiteSpace(id.Value))
                {
                    notes.Add(new FhirReadIssue(at, "identifier-incomplete", "Identifier without system or value; ignored."));
                }
                else
                {
                    locals.Add(new LocalIdentifier(id.System.StartsWith("urn:oid:", StringComparison.OrdinalIgnoreCase) ? id.System[8..] : id.System, id.Value));
                }

                continue;
            }

            if (typeCode is "NH")
            {
                // The .8 OID is also the billing NIR's authority: the type tells the NSS from the INS.
                notes.Add(new FhirReadIssue(at + ".type", "nss-not-ins", "Billing NIR (type NH) under an INS OID: not an INS; ignored."));
                continue;
            }

            var expectedType = FrCore.IdentifierTypeOf(kind);
            if (typeCode is not null && typeCode != expectedType && typeCode != "INS")
            {
                refused.Add(new FhirReadIssue(at + ".type", "ins-type-oid-mismatch", $"Type {typeCode} does not match the OID of the system (expected {expectedType})."));
                continue;
            }

            if (!InsIdentifier.TryCreate(id.Value ?? string.Empty, id.System!, partner.InsPolicy, out var ins, out var error))
            {
                var field = error.StartsWith("oid", StringComparison.Ordinal) ? ".system" : ".value";
                var rule = error.StartsWith("oid", StringComparison.Ordinal) ? "ins-oid-policy" : "ins-matricule";
                refused.Add(new FhirReadIssue(at + field, rule, error));
                continue;
            }

            switch (id.Use)
            {
                case Identifier.IdentifierUse.Old:
                    history.Add(ins);
                    break;
                case null or Identifier.IdentifierUse.Official:
                    actives.Add(new Candidate(ins, at));
                    break;
                case Identifier.IdentifierUse.Temp when kind == InsOidKind.Nia:
                    notes.Add(new FhirReadIssue(at + ".use", "nia-use-temp", "INS-NIA with use 'temp' (FR Core before 2025) read as the active INS."));
                    actives.Add(new Candidate(ins, at));
                    break;
                default:
                    refused.Add(new FhirReadIssue(at + ".use", "ins-use", $"An INS has use 'official' (or 'old' when deactivated), not '{id.Use.ToString()!.ToLowerInvariant()}'."));
                    break;
            }
        }

        Candidate? active = null;
        var distinct = actives.DistinctBy(c => c.Ins).ToList();
        if (distinct.Count == 1)
        {
            active = distinct[0];
        }
        else if (distinct.Count == 2 && distinct.Count(c => c.Ins.Kind == InsOidKind.Nia) == 1)
        {
            // NIA → NIR transition: both may be sent; the NIR wins (PAM §4.4.1).
            active = distinct.Single(c => c.Ins.Kind != InsOidKind.Nia);
            var nia = distinct.Single(c => c.Ins.Kind == InsOidKind.Nia);
            notes.Add(new FhirReadIssue(nia.Path, "nia-superseded", "Both a NIA and a NIR were sent: the NIR is the active INS, the NIA is kept as history."));
            history.Add(nia.Ins);
        }
        else if (distinct.Count > 1)
        {
            foreach (var c in distinct)
            {
                refused.Add(new FhirReadIssue(c.Path, "ins-ambiguous", $"{distinct.Count} different active INS were sent; none is kept."));
            }
        }

        return (active, history.Where(h => active is null || h != active.Value.Ins).ToArray(), locals);
    }

    private static IdentityTraits? ReadTraits(Patient patient, List<FhirReadIssue> refused, List<FhirReadIssue> notes)
    {
        var names = patient.Name;
        var officialIndex = names.FindIndex(n => n.Use == HumanName.NameUse.Official);
        if (officialIndex < 0)
        {
            officialIndex = names.FindIndex(n => n.Use is null);
            if (officialIndex >= 0)
            {
                notes.Add(new FhirReadIssue($"Patient.name[{officialIndex}].use", "name-use-missing", "No official name: the name without use is read as the birth name."));
            }
        }
        else if (names.Count(n => n.Use == HumanName.NameUse.Official) > 1)
        {
            notes.Add(new FhirReadIssue("Patient.name", "several-official-names", "Several official names: the first is read."));
        }

        var fieldPaths = new Dictionary<string, string>(StringComparer.Ordinal);
        string? birthName = null;
        string? firstFirstName = null;
        IReadOnlyList<string>? firstNames = null;
        if (officialIndex < 0)
        {
            refused.Add(new FhirReadIssue("Patient.name", "official-name-required", "No official (birth) name."));
        }
        else
        {
            var official = names[officialIndex];
            var at = $"Patient.name[{officialIndex}]";
            birthName = official.Family;
            var given = official.Given.Where(g => !string.IsNullOrWhiteSpace(g)).Select(g => g!).ToArray();
            firstFirstName = given.FirstOrDefault();
            var list = official.GetStringExtension(FrCore.BirthListGivenName);
            if (list is not null)
            {
                firstNames = SplitFirstNames(list);
                fieldPaths[nameof(IdentityTraits.BirthFirstNames)] = $"{at}.extension('{FrCore.BirthListGivenName}')";
            }
            else
            {
                // FR Core before 2.0 and many partners: every birth first name in given.
                firstNames = given.SelectMany(SplitFirstNames).ToArray();
                if (given.Length > 0)
                {
                    notes.Add(new FhirReadIssue(at, "birth-list-given-name-missing", "No birth-list-given-name: the given names are read as the birth first names."));
                }

                fieldPaths[nameof(IdentityTraits.BirthFirstNames)] = $"{at}.given";
            }

            if (given.Length > 1 && list is not null)
            {
                notes.Add(new FhirReadIssue($"{at}.given", "given-max-1", "Several given names in the official name: the first is the first first-name."));
            }

            fieldPaths[nameof(IdentityTraits.BirthName)] = $"{at}.family";
            fieldPaths[nameof(IdentityTraits.FirstFirstName)] = $"{at}.given[0]";
        }

        string? usedName = null;
        string? usedFirstName = null;
        var usualIndex = names.FindIndex(n => n.Use == HumanName.NameUse.Usual);
        if (usualIndex >= 0)
        {
            usedName = NullIfBlank(names[usualIndex].Family);
            usedFirstName = NullIfBlank(names[usualIndex].Given.FirstOrDefault());
            fieldPaths[nameof(IdentityTraits.UsedName)] = $"Patient.name[{usualIndex}].family";
            fieldPaths[nameof(IdentityTraits.UsedFirstName)] = $"Patient.name[{usualIndex}].given[0]";
        }

        var sex = Sex.Unknown;
        switch (patient.Gender)
        {
            case AdministrativeGender.Female:
                sex = Sex.Female;
                break;
            case AdministrativeGender.Male:
                sex = Sex.Male;
                break;
            case AdministrativeGender.Other:
                notes.Add(new FhirReadIssue("Patient.gender", "gender-other", "Gender 'other' has no INS sex; read as unknown."));
                break;
            case null:
                notes.Add(new FhirReadIssue("Patient.gender", "gender-missing", "No gender; read as unknown."));
                break;
        }

        var corrected = patient.Extension.FirstOrDefault(e => e.Url == FrCore.BirthDateUpdateIndicator)?.Value is FhirBoolean { Value: true };
        BirthDate? birthDate = null;
        if (patient.BirthDate is null)
        {
            refused.Add(new FhirReadIssue("Patient.birthDate", "required", "No birth date."));
        }
        else if (BirthDate.TryParseIso(patient.BirthDate, out var bd, out var dateError))
        {
            birthDate = bd with { IsCorrected = bd.IsCorrected || corrected };
        }
        else
        {
            refused.Add(new FhirReadIssue("Patient.birthDate", "birth-date", dateError!));
        }

        var cog = ReadBirthPlace(patient, refused, notes);

        if (officialIndex < 0 || birthDate is null)
        {
            return null;
        }

        var traits = IdentityTraits.Create(birthName, firstNames, firstFirstName, sex, birthDate.Value, cog, usedName, usedFirstName);
        if (!traits.IsValid)
        {
            foreach (var e in traits.Errors)
            {
                refused.Add(new FhirReadIssue(fieldPaths.GetValueOrDefault(e.Field, "Patient"), e.Rule, e.Message));
            }

            return null;
        }

        return traits.Value;
    }

    private static string? ReadBirthPlace(Patient patient, List<FhirReadIssue> refused, List<FhirReadIssue> notes)
    {
        var index = patient.Extension.FindIndex(e => e.Url == FrCore.BirthPlace);
        if (index < 0)
        {
            return null;
        }

        var at = $"Patient.extension[{index}].valueAddress";
        if (patient.Extension[index].Value is not Address address)
        {
            refused.Add(new FhirReadIssue($"Patient.extension[{index}]", "birth-place-address", "The birth place is not an Address."));
            return null;
        }

        var code = (address.GetExtensionValue<Coding>(FrCore.AddressInseeCode))?.Code;
        if (code is null)
        {
            notes.Add(new FhirReadIssue(at, "insee-code-missing", "Birth place without an INSEE code; the birth place is unknown."));
            return null;
        }

        var cog = code.Trim().ToUpperInvariant();
        if (cog == "99999")
        {
            notes.Add(new FhirReadIssue(at, "birth-place-unknown", "INSEE code 99999 (unknown place) read as an unknown birth place."));
            return null;
        }

        if (!BirthPlaceCog.IsValid(cog))
        {
            refused.Add(new FhirReadIssue($"{at}.extension('{FrCore.AddressInseeCode}').valueCoding.code", "cog-format",
                "An INSEE COG code has 5 characters: 2 digits or 2A/2B, then 3 digits."));
            return null;
        }

        return cog;
    }

    private static string? ReadReplacedBy(Patient patient, List<FhirReadIssue> notes)
    {
        string? replacedBy = null;
        for (var i = 0; i < patient.Link.Count; i++)
        {
            var link = patient.Link[i];
            if (link.Type == Patient.LinkType.ReplacedBy && link.Other?.Reference is { } reference)
            {
                replacedBy ??= reference;
            }
            else
            {
                notes.Add(new FhirReadIssue($"Patient.link[{i}]", "link-ignored", "Only replaced-by links are read."));
            }
        }

        return replacedBy;
    }

    private static string[] SplitFirstNames(string list) => list.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static string? NullIfBlank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s;
}
