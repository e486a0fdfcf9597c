using Hl7.Fhir.Model;
using static SanteGateway.Ror.RorConstants;

namespace SanteGateway.Ror.Sandbox;

/// <summary>
/// Access-profile filtering, as the sandbox applies it (the real rules are per element in the IG mapping notes and the access
/// policy document; this is a faithful-in-spirit subset, see the README):
/// profiles 0, 2 and 3 do not see sensitive units (nor their professionals); profile 0 sees only telecoms of confidentiality
/// level 1; profile 2 no level-3 telecom; profile 3 only level-1 telecoms outside the medico-social field; profile 4 no contact
/// and no personal data (telecoms, contacts, practitioner names); profile 5 no bed/place capacity.
/// </summary>
public static class RorRedaction
{
    private const string TelecomConfidentiality = StructureDefinitionBase + "ror-telecom-confidentiality-level";

    /// <summary>True when the offer is a sensitive unit hidden from <paramref name="profile"/>.</summary>
    /// <param name="resource">A resource.</param>
    /// <param name="profile">Access profile.</param>
    /// <param name="data">Store (to find the offer of a PractitionerRole).</param>
    /// <returns>True when hidden.</returns>
    public static bool IsHidden(Resource resource, int profile, RorSandboxData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (profile is not (0 or 2 or 3))
        {
            return false;
        }

        return resource switch
        {
            HealthcareService hs => IsSensitive(hs),
            PractitionerRole role => role.HealthcareService.Select(data.Resolve).OfType<HealthcareService>().Any(IsSensitive),
            _ => false,
        };
    }

    /// <summary>True when the offer carries <c>sensitive-unit = true</c>.</summary>
    /// <param name="hs">The offer.</param>
    /// <returns>True when sensitive.</returns>
    public static bool IsSensitive(HealthcareService hs) =>
        hs.GetExtension(SensitiveUnitExtension)?.Value is FhirBoolean { Value: true };

    /// <summary>A copy of <paramref name="resource"/> with what <paramref name="profile"/> may not see removed.</summary>
    /// <param name="resource">The stored resource (not changed).</param>
    /// <param name="profile">Access profile.</param>
    /// <returns>The copy.</returns>
    public static Resource Apply(Resource resource, int profile)
    {
        ArgumentNullException.ThrowIfNull(resource);
        var copy = (Resource)resource.DeepCopy();
        var medicoSocial = copy is HealthcareService h && h.Type.Any(t => t.Coding.Any(c => c.Code == "04"));
        Func<ContactPoint, bool> keepTelecom = profile switch
        {
            0 => t => Level(t) == "1",
            2 => t => Level(t) != "3",
            3 => t => medicoSocial ? Level(t) != "3" : Level(t) == "1",
            4 => _ => false,
            _ => _ => true,
        };
        switch (copy)
        {
            case Organization o:
                o.Telecom.RemoveAll(t => !keepTelecom(t));
                foreach (var c in o.Contact)
                {
                    c.Telecom.RemoveAll(t => !keepTelecom(t));
                }

                if (profile == 4)
                {
                    o.Contact.Clear();
                }

                break;
            case HealthcareService hs:
                hs.Telecom.RemoveAll(t => !keepTelecom(t));
                if (profile is 0 or 4)
                {
                    hs.Extension.RemoveAll(e => e.Url == StructureDefinitionBase + "ror-healthcareservice-contact");
                }

                break;
            case Location l:
                l.Telecom.RemoveAll(t => !keepTelecom(t));
                if (profile == 5)
                {
                    l.Extension.RemoveAll(e => e.Url == SupportedCapacityExtension);
                }

                break;
            case Practitioner p:
                p.Telecom.RemoveAll(t => !keepTelecom(t));
                if (profile == 4)
                {
                    p.Name.Clear();
                }

                break;
            case PractitionerRole r:
                r.Telecom.RemoveAll(t => !keepTelecom(t));
                if (profile == 4)
                {
                    r.Extension.RemoveAll(e => e.Url == StructureDefinitionBase + "RORPractitionerRoleName");
                }

                break;
        }

        return copy;
    }

    private static string? Level(ContactPoint t) => (t.GetExtension(TelecomConfidentiality)?.Value as CodeableConcept)?.Coding.FirstOrDefault()?.Code;
}
