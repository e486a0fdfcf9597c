using SanteGateway.Identity;
using SanteGateway.Interop.Hl7v2.Pam;
using SanteGateway.Interop.Hl7v2.Segments;

namespace SanteGateway.Interop.Hl7v2.Tests;

/// <summary>Identities in each RNIV status, built through the domain's transitions (never by hand).</summary>
internal static class Fixtures
{
    public static readonly HighTrustDocumentPolicy Policy = new(["CN", "PA"]);
    public static readonly DateTimeOffset InsiAt = new(2024, 3, 6, 11, 11, 53, TimeSpan.Zero);

    /// <summary>The ANS fictitious test patient PAT-TROIS DOMINIQUE (INS-NIR test OID .10).</summary>
    public static InsIdentifier TestIns => new(InsMatricule.Parse("279035121518989"), InsOids.Test);

    public static InsIdentifier NirIns => new(InsMatricule.Parse("160012B02077713"), InsOids.Nir);

    public static IdentityTraits Traits(string? usedName = null) => IdentityTraits.Create(
        "PAT-TROIS", ["DOMINIQUE", "MARIE"], "DOMINIQUE", Sex.Female, new BirthDate(new DateOnly(1979, 3, 28), false), "63220", usedName).Value!;

    public static RnivIdentity Prov() => RnivIdentity.CreateProvisional(Traits());

    public static RnivIdentity Recup(InsIdentifier? ins = null)
    {
        var id = Prov();
        id.RecordInsiResult(ins ?? TestIns, [], Traits(), InsiAt).Succeeded.Should().BeTrue();
        return id;
    }

    public static RnivIdentity Vali()
    {
        var id = Prov();
        id.RecordHighTrustEvidence(new Evidence("CN", new DateOnly(2024, 3, 6), new DateOnly(2031, 5, 12)), Policy).Succeeded.Should().BeTrue();
        return id;
    }

    public static RnivIdentity Qual(InsIdentifier? ins = null)
    {
        var id = Recup(ins);
        id.RecordHighTrustEvidence(new Evidence("CN", new DateOnly(2024, 3, 6), new DateOnly(2031, 5, 12)), Policy).Succeeded.Should().BeTrue();
        id.Status.Should().Be(IdentityStatus.Qual);
        return id;
    }

    public static PamPatientContext Context => new(new Cx("000003", new Hd("CHU-X", "000897406", "M"), "PI"));

    public static readonly PamReadOptions AllowTest = new() { InsPolicy = InsPolicy.AllowTestAndDemo };

    /// <summary>A PAM A28 with a chosen PID-3 and PID-32, for inbound rules.</summary>
    public static string Adt(string pid3, string pid32, string names = "PAT-TROIS^DOMINIQUE^DOMINIQUE^^^^L", string zfd = "") =>
        "MSH|^~\\&|GAM|CHU-X|DPI|CHU-X|20240306111154||ADT^A28^ADT_A05|1|P|2.5^FRA^2.11|||||FRA|UNICODE UTF-8|FR||2.11^IHE_FRANCE-2.11-PAM\r"
        + "EVN||20240306111154\r"
        + $"PID|1||{pid3}||{names}||19790328|F|||^^^^^FRA^BDL^^63220|||||||||||||||||||||{pid32}\r"
        + "PV1|1|N\r"
        + (zfd.Length > 0 ? zfd + "\r" : string.Empty);
}
