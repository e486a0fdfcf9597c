using Hl7.Fhir.Model;
using SanteGateway.Identity;

namespace SanteGateway.Interop.Fhir;

/// <summary>A written Patient with the profile it claims and what could not be written.</summary>
/// <param name="Patient">The resource.</param>
/// <param name="Profile">The FR Core profile in <c>meta.profile</c>: <see cref="FrCore.PatientInsProfile"/> only with a qualified INS.</param>
/// <param name="Omissions">Data of the identity the format or the partner's profile cannot carry (e.g. evidence of a type the INS
/// profile does not allow). Empty when nothing was left out.</param>
public sealed record FhirWriteResult(Patient Patient, string Profile, IReadOnlyList<string> Omissions);

/// <summary>Writes an identity as an FR Core Patient (Patient INS when the INS may be transmitted).</summary>
/// <remarks>The INS, its history (<c>use = old</c>) and the INS profile are written only when
/// <see cref="RnivIdentity.CanTransmitIns"/> is true: the domain's single gate (EXI SI 08). Everything else follows
/// <c>shared/spec/ins-rules.md</c> §5.2; choices are listed in <c>docs/conformance.md</c>.</remarks>
public static class FrCorePatientWriter
{
    /// <summary>Writes the Patient.</summary>
    /// <param name="source">The identity and its ids.</param>
    /// <param name="partner">The partner's conventions (status dialect, allowed codes).</param>
    /// <returns>The Patient, its profile and the omissions.</returns>
    public static FhirWriteResult Write(FhirPatientSource source, FhirPartnerProfile? partner = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        partner ??= FhirPartnerProfile.FrCore21;
        var identity = source.Identity;
        var traits = identity.Traits;
        var omissions = new List<string>();
        var ins = identity.TransmittableIns;
        var profile = ins is not null ? FrCore.PatientInsProfile : FrCore.PatientProfile;

        var patient = new Patient
        {
            Id = source.Id,
            Meta = new Meta { Profile = [profile] },
        };

        // Extensions: reliability first, then birth place, then the corrected-date marker.
        patient.Extension.Add(Reliability(identity, ins is not null, partner, omissions));
        if (partner.Dialect == IdentityStatusDialect.Table0445)
        {
            foreach (var code in RnivCodes.ToCodes(identity.Attributes))
            {
                patient.Extension.Add(new Extension
                {
                    Url = FrCore.IdentityReliability,
                    Extension = [new Extension("identityStatus", new Coding(FrCore.Table0445System, code))],
                });
            }
        }

        if (traits.BirthPlaceCog is { } cog)
        {
            var address = new Address();
            address.Extension.Add(new Extension(FrCore.AddressInseeCode, new Coding(FrCore.CommuneSystem, cog)));
            patient.Extension.Add(new Extension(FrCore.BirthPlace, address));
        }

        if (traits.BirthDate.IsCorrected)
        {
            patient.Extension.Add(new Extension(FrCore.BirthDateUpdateIndicator, new FhirBoolean(true)));
        }

        if (ins is not null)
        {
            patient.Identifier.Add(InsIdentifierOf(ins, Identifier.IdentifierUse.Official));
            foreach (var old in identity.InsHistory)
            {
                patient.Identifier.Add(InsIdentifierOf(old, Identifier.IdentifierUse.Old));
            }
        }

        foreach (var local in source.LocalIdentifiers)
        {
            patient.Identifier.Add(new Identifier(local.SystemUri, local.Value)
            {
                Use = Identifier.IdentifierUse.Usual,
                Type = new CodeableConcept(FrCore.Hl7IdentifierTypeSystem, "PI"),
            });
        }

        var official = new HumanName
        {
            Use = HumanName.NameUse.Official,
            Family = traits.BirthName,
            Given = [traits.FirstFirstName],
        };
        if (traits.BirthFirstNames.Count > 0)
        {
            official.Extension.Add(new Extension(FrCore.BirthListGivenName, new FhirString(traits.BirthFirstNamesJoined)));
        }

        patient.Name.Add(official);
        if (traits.UsedName is not null || traits.UsedFirstName is not null)
        {
            patient.Name.Add(new HumanName
            {
                Use = HumanName.NameUse.Usual,
                Family = traits.UsedName,
                Given = traits.UsedFirstName is null ? [] : [traits.UsedFirstName],
            });
        }

        patient.Gender = traits.Sex switch
        {
            Sex.Female => AdministrativeGender.Female,
            Sex.Male => AdministrativeGender.Male,
            _ => AdministrativeGender.Unknown,
        };
        patient.BirthDate = FhirBirthDate(traits.BirthDate);

        if (source.ReplacedById is { } survivor)
        {
            patient.Active = false;
            patient.Link.Add(new Patient.LinkComponent
            {
                Other = new ResourceReference((partner.ReferenceBase is { } b ? b.TrimEnd('/') + "/" : string.Empty) + "Patient/" + survivor),
                Type = Patient.LinkType.ReplacedBy,
            });
        }
        else
        {
            patient.Active = true;
        }

        return new FhirWriteResult(patient, profile, omissions);
    }

    /// <summary>The FHIR <c>date</c> of a birth date: partial (<c>YYYY</c>, <c>YYYY-MM</c>) when its unknown parts allow it, so that it
    /// reads back with them; a date with only the month unknown cannot be written partial and is written completed.</summary>
    /// <param name="date">The birth date.</param>
    /// <returns>The FHIR date text.</returns>
    public static string FhirBirthDate(BirthDate date)
    {
        var iso = date.ToIso();
        return date.UnknownParts switch
        {
            BirthDateParts.Day | BirthDateParts.Month => iso[..4],
            BirthDateParts.Day => iso[..7],
            _ => iso,
        };
    }

    private static Identifier InsIdentifierOf(InsIdentifier ins, Identifier.IdentifierUse use) =>
        new("urn:oid:" + ins.Oid, ins.Matricule.Value)
        {
            Use = use,
            Type = new CodeableConcept(FrCore.IdentifierTypeSystem, FrCore.IdentifierTypeOf(ins.Kind)),
        };

    private static Extension Reliability(RnivIdentity identity, bool withIns, FhirPartnerProfile partner, List<string> omissions)
    {
        var ext = new Extension { Url = FrCore.IdentityReliability };
        var channel = identity.Channel.ToString();
        if (partner.CollectionMethods.Contains(channel))
        {
            ext.Extension.Add(new Extension("methodCollection", new Coding(FrCore.MethodCollectionSystem, channel)));
        }
        else
        {
            omissions.Add($"methodCollection: collection channel {channel} is not a code of the partner's FR Core version.");
        }

        if (identity.InsiCalledAt is { } called)
        {
            ext.Extension.Add(new Extension("dateCollection", new Date(called.UtcDateTime.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture))));
        }

        var (system, code) = StatusCoding(identity.Status, withIns, partner);
        ext.Extension.Add(new Extension("identityStatus", new Coding(system, code)));
        if (partner.Dialect == IdentityStatusDialect.Rniv)
        {
            foreach (var attribute in RnivCodes.ToCodes(identity.Attributes))
            {
                ext.Extension.Add(new Extension("comment", new CodeableConcept(FrCore.IdentityStatusCommentSystem, attribute)));
            }
        }

        if (identity.Evidence is { } evidence && identity.Status is IdentityStatus.Vali or IdentityStatus.Qual)
        {
            ext.Extension.Add(new Extension("validationDate", new Date(evidence.CheckedOn.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture))));
            var allowed = withIns ? partner.InsValidationModes : partner.ValidationModes;
            if (allowed.Contains(evidence.DocumentType))
            {
                ext.Extension.Add(new Extension("validationMode", new Coding(FrCore.ValidationModeSystem, evidence.DocumentType)));
            }
            else
            {
                omissions.Add($"validationMode: document type {evidence.DocumentType} is not allowed by the {(withIns ? "FR Core Patient INS" : "FR Core Patient")} profile.");
            }

            if (evidence.ExpiresOn is not null)
            {
                omissions.Add("validationMode: the document's end of validity has no FR Core element.");
            }
        }

        return ext;
    }

    private static (string System, string Code) StatusCoding(IdentityStatus status, bool withIns, FhirPartnerProfile partner)
    {
        if (partner.Dialect == IdentityStatusDialect.Rniv)
        {
            return (partner.RnivStatusSystem, status == IdentityStatus.Qual ? partner.RnivQualifiedCode : RnivCodes.ToCode(status));
        }

        // Table 0445 has no RECUP or QUAL: qualified = VALI with the INS, RECUP = PROV (its INS may not be sent).
        var code = status switch
        {
            IdentityStatus.Qual when withIns => "VALI",
            IdentityStatus.Vali or IdentityStatus.Qual => "VALI",
            _ => "PROV",
        };
        return (FrCore.Table0445System, code);
    }
}
