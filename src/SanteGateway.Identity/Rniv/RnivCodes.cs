namespace SanteGateway.Identity;

/// <summary>Text codes of the RNIV statuses (<c>PROV</c>, <c>RECUP</c>, <c>VALI</c>, <c>QUAL</c>) and attributes (<c>HOMA</c>, <c>DOUT</c>, <c>FICT</c>).</summary>
/// <remarks>These are the FR Core 2.2 / RNIV codes. HL7 v2 PID-32 has no RECUP/QUAL: mapping to PID-32 (RECUP→PROV, QUAL→VALI
/// with the INS) belongs to the HL7 layer.</remarks>
public static class RnivCodes
{
    /// <summary>The code of a status.</summary>
    /// <param name="status">The status.</param>
    /// <returns><c>PROV</c>, <c>RECUP</c>, <c>VALI</c> or <c>QUAL</c>.</returns>
    public static string ToCode(IdentityStatus status) => status switch
    {
        IdentityStatus.Prov => "PROV",
        IdentityStatus.Recup => "RECUP",
        IdentityStatus.Vali => "VALI",
        IdentityStatus.Qual => "QUAL",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "Unknown status."),
    };

    /// <summary>Reads a status code (exact, upper case).</summary>
    /// <param name="code">The code.</param>
    /// <param name="status">The status when the method returns true.</param>
    /// <returns>False for anything else.</returns>
    public static bool TryParseStatus(string? code, out IdentityStatus status)
    {
        (var ok, status) = code switch
        {
            "PROV" => (true, IdentityStatus.Prov),
            "RECUP" => (true, IdentityStatus.Recup),
            "VALI" => (true, IdentityStatus.Vali),
            "QUAL" => (true, IdentityStatus.Qual),
            _ => (false, IdentityStatus.Prov),
        };
        return ok;
    }

    /// <summary>The codes of the attributes, in the order HOMA, DOUT, FICT.</summary>
    /// <param name="attributes">The attributes.</param>
    /// <returns>The codes (empty for none).</returns>
    public static IReadOnlyList<string> ToCodes(IdentityAttributes attributes)
    {
        var codes = new List<string>(2);
        if (attributes.HasFlag(IdentityAttributes.Homonym))
        {
            codes.Add("HOMA");
        }

        if (attributes.HasFlag(IdentityAttributes.Doubtful))
        {
            codes.Add("DOUT");
        }

        if (attributes.HasFlag(IdentityAttributes.Fictitious))
        {
            codes.Add("FICT");
        }

        return codes;
    }

    /// <summary>Reads one attribute code: <c>HOMA</c>, <c>DOUT</c>, <c>FICT</c>, and the legacy <c>FICTI</c> of older software.</summary>
    /// <param name="code">The code.</param>
    /// <param name="attribute">The attribute when the method returns true.</param>
    /// <returns>False for anything else (including management codes such as <c>HOMD</c>).</returns>
    public static bool TryParseAttribute(string? code, out IdentityAttributes attribute)
    {
        (var ok, attribute) = code switch
        {
            "HOMA" => (true, IdentityAttributes.Homonym),
            "DOUT" => (true, IdentityAttributes.Doubtful),
            "FICT" or "FICTI" => (true, IdentityAttributes.Fictitious),
            _ => (false, IdentityAttributes.None),
        };
        return ok;
    }
}
