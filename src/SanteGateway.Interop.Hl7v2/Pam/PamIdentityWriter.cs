using System.Globalization;
using SanteGateway.Identity;
using SanteGateway.Interop.Hl7v2.Er7;
using SanteGateway.Interop.Hl7v2.Segments;

namespace SanteGateway.Interop.Hl7v2.Pam;

/// <summary>What a PID needs beyond the RNIV identity: the local identifiers and address of the patient.</summary>
/// <param name="Ipp">The IPP with its assigning authority (CX-5 <c>PI</c>).</param>
public sealed record PamPatientContext(Cx Ipp)
{
    /// <summary>Other identifiers to send in PID-3 (never an INS: the INS comes only from the identity's gate).</summary>
    public IReadOnlyList<Cx> OtherIdentifiers { get; init; } = [];

    /// <summary>Home addresses to send in PID-11 before the birth-place repetition.</summary>
    public IReadOnlyList<Xad> Addresses { get; init; } = [];

    /// <summary>PID-33 last update, when known.</summary>
    public DateTimeOffset? LastUpdated { get; init; }

    /// <summary>ZFD-3 SMS consent, when known.</summary>
    public bool? SmsConsent { get; init; }
}

/// <summary>
/// Writes an <see cref="RnivIdentity"/> as PAM France PID and ZFD segments.
/// </summary>
/// <remarks>
/// The INS goes into PID-3 only through <see cref="RnivIdentity.TransmittableIns"/> (the domain's single gate: QUAL only). PID-32 maps
/// PROV→PROV, RECUP→PROV (no INS), VALI→VALI, QUAL→VALI with the INS (PAM §6.6.1, §4.4.4), followed by the attributes.
/// </remarks>
public static class PamIdentityWriter
{
    /// <summary>CX-4 namespace of INS-NIR (also used with the test and demonstration OIDs, as in the ANS examples).</summary>
    public const string InsNirNamespace = "ASIP-SANTE-INS-NIR";

    /// <summary>CX-4 namespace of INS-NIA.</summary>
    public const string InsNiaNamespace = "ASIP-SANTE-INS-NIA";

    /// <summary>The PID-32 status code emitted for a status.</summary>
    /// <param name="status">The RNIV status.</param>
    /// <returns><c>PROV</c> or <c>VALI</c>.</returns>
    public static string StatusCode(IdentityStatus status) => status switch
    {
        IdentityStatus.Prov or IdentityStatus.Recup => "PROV",
        IdentityStatus.Vali or IdentityStatus.Qual => "VALI",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "Unknown status."),
    };

    /// <summary>The CX of an INS for PID-3 or MRG-1.</summary>
    /// <param name="ins">The INS.</param>
    /// <returns><c>matricule^^^ASIP-SANTE-INS-NIR&amp;OID&amp;ISO^INS</c>.</returns>
    public static Cx InsCx(InsIdentifier ins)
    {
        ArgumentNullException.ThrowIfNull(ins);
        return new Cx(ins.Matricule.Value, InsAuthority(ins.Kind), "INS");
    }

    /// <summary>The HD of an INS authority.</summary>
    /// <param name="kind">The authority.</param>
    /// <returns>The HD.</returns>
    public static Hd InsAuthority(InsOidKind kind) => new(kind == InsOidKind.Nia ? InsNiaNamespace : InsNirNamespace, InsOids.OidOf(kind), "ISO");

    /// <summary>Builds the PID segment.</summary>
    /// <param name="identity">The identity.</param>
    /// <param name="context">IPP and other local data.</param>
    /// <param name="withdrawnInsKind">For A47: the authority of a withdrawn INS, written as <c>""</c> with its OID when no INS may be sent.</param>
    /// <returns>The segment.</returns>
    public static Hl7SegmentBuilder BuildPid(RnivIdentity identity, PamPatientContext context, InsOidKind? withdrawnInsKind = null)
    {
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentNullException.ThrowIfNull(context);
        var traits = identity.Traits;
        var ids = new List<Hl7Component[]> { context.Ipp.ToComponents() };
        ids.AddRange(context.OtherIdentifiers.Where(i => i.TypeCode is not ("INS" or "INS-C")).Select(i => i.ToComponents()));
        if (identity.TransmittableIns is { } ins)
        {
            ids.Add(InsCx(ins).ToComponents());
        }
        else if (withdrawnInsKind is { } kind)
        {
            ids.Add(new Cx("\"\"", InsAuthority(kind), "INS").ToComponents());
        }

        var names = new List<Hl7Component[]>
        {
            new Xpn(traits.BirthName, traits.FirstFirstName, traits.BirthFirstNames.Count > 0 ? traits.BirthFirstNamesJoined : null, null, null, "L").ToComponents(),
        };
        if (traits.UsedName is not null || traits.UsedFirstName is not null)
        {
            names.Add(new Xpn(traits.UsedName, traits.UsedFirstName, null, null, null, "D").ToComponents());
        }

        var addresses = context.Addresses.Select(a => a.ToComponents()).ToList();
        if (traits.BirthPlaceCog is { } cog)
        {
            var abroad = BirthPlaceCog.IsAbroad(cog);
            addresses.Add(new Xad(null, null, null, null, null, abroad ? null : "FRA", "BDL", null, cog).ToComponents());
        }

        var reliability = new List<Hl7Component[]> { new Hl7Component[] { StatusCode(identity.Status) } };
        reliability.AddRange(RnivCodes.ToCodes(identity.Attributes).Select(c => new Hl7Component[] { c }));

        var pid = new Hl7SegmentBuilder("PID")
            .Field(1, "1")
            .Repetitions(3, ids)
            .Repetitions(5, names)
            .Field(7, traits.BirthDate.Value.ToString("yyyyMMdd", CultureInfo.InvariantCulture))
            .Field(8, SexCodes.ToCode(traits.Sex))
            .Repetitions(32, reliability);
        if (addresses.Count > 0)
        {
            pid.Repetitions(11, addresses);
        }

        if (context.LastUpdated is { } updated)
        {
            pid.Field(33, updated.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture));
        }

        return pid;
    }

    /// <summary>Builds the ZFD segment: ZFD-3 SMS consent, ZFD-4 corrected birth date, ZFD-5 collection mode, ZFD-6 INSi call date,
    /// ZFD-7 document type, ZFD-8 document end of validity.</summary>
    /// <param name="identity">The identity.</param>
    /// <param name="context">The context (SMS consent).</param>
    /// <returns>The segment.</returns>
    public static Hl7SegmentBuilder BuildZfd(RnivIdentity identity, PamPatientContext? context = null)
    {
        ArgumentNullException.ThrowIfNull(identity);
        var zfd = new Hl7SegmentBuilder("ZFD")
            .Field(4, identity.Traits.BirthDate.IsCorrected ? "Y" : "N")
            .Field(5, identity.Channel.ToString());
        if (context?.SmsConsent is { } sms)
        {
            zfd.Field(3, sms ? "Y" : "N");
        }

        if (identity.InsiCalledAt is { } at)
        {
            zfd.Field(6, at.ToString("yyyyMMdd", CultureInfo.InvariantCulture));
        }

        if (identity.Evidence is { } evidence)
        {
            zfd.Field(7, evidence.DocumentType);
            if (evidence.ExpiresOn is { } end)
            {
                zfd.Field(8, end.ToString("yyyyMMdd", CultureInfo.InvariantCulture));
            }
        }

        return zfd;
    }
}
