using SanteGateway.Identity;

namespace SanteGateway.Interop.Cda;

/// <summary>An HL7 v3 instance identifier (<c>II</c>): an OID (<c>root</c>) and an optional <c>extension</c>.</summary>
/// <param name="Root">The OID (or UUID) of the assigning authority.</param>
/// <param name="Extension">The identifier within it, or null.</param>
public sealed record CdaId(string Root, string? Extension = null)
{
    /// <inheritdoc/>
    public override string ToString() => Extension is null ? Root : $"{Extension}@{Root}";
}

/// <summary>A coded value (<c>CE</c>/<c>CV</c>).</summary>
/// <param name="Code">The code.</param>
/// <param name="CodeSystem">The OID of the code system, or null.</param>
/// <param name="DisplayName">The label, or null.</param>
public sealed record CdaCode(string Code, string? CodeSystem = null, string? DisplayName = null);

/// <summary>An author of the document (<c>author/assignedAuthor</c>).</summary>
/// <param name="Time">When the author wrote it (HL7 TS text, e.g. <c>20230106113623+0100</c>), or null.</param>
/// <param name="Id">The author's id (RPPS…), or null.</param>
/// <param name="Family">The person's family name, or null (device or organisation).</param>
/// <param name="Given">The person's given name, or null.</param>
/// <param name="Organization">The represented organisation's id, or null.</param>
/// <param name="OrganizationName">The represented organisation's name, or null.</param>
public sealed record CdaAuthor(string? Time, CdaId? Id, string? Family, string? Given, CdaId? Organization, string? OrganizationName);

/// <summary>The header data a document-sharing transaction (XDS/DMP) needs besides the patient.</summary>
public sealed record CdaDocumentMetadata
{
    /// <summary>The document id (<c>ClinicalDocument/id</c>).</summary>
    public required CdaId Id { get; init; }

    /// <summary>The document type (<c>code</c>, LOINC in the CI-SIS).</summary>
    public required CdaCode Code { get; init; }

    /// <summary>The title, or null.</summary>
    public string? Title { get; init; }

    /// <summary>When the document was produced (HL7 TS text).</summary>
    public required string EffectiveTime { get; init; }

    /// <summary>Confidentiality (<c>N</c>, <c>R</c>, <c>V</c> in <c>2.16.840.1.113883.5.25</c>).</summary>
    public required CdaCode Confidentiality { get; init; }

    /// <summary>The language (e.g. <c>fr-FR</c>), or null.</summary>
    public string? LanguageCode { get; init; }

    /// <summary>The id shared by every version of the document, or null.</summary>
    public CdaId? SetId { get; init; }

    /// <summary>The version number, or null.</summary>
    public int? VersionNumber { get; init; }

    /// <summary>The authors.</summary>
    public IReadOnlyList<CdaAuthor> Authors { get; init; } = [];

    /// <summary>The custodian organisation's id, or null.</summary>
    public CdaId? Custodian { get; init; }

    /// <summary>The custodian organisation's name, or null.</summary>
    public string? CustodianName { get; init; }

    /// <summary>The effective time as an instant, when it has at least a date.</summary>
    public DateTimeOffset? EffectiveInstant => CdaTime.TryParse(EffectiveTime, out var t) ? t : null;
}

/// <summary>What is written in <c>recordTarget/patientRole</c>.</summary>
/// <param name="Identity">The identity; its INS is written only when <see cref="RnivIdentity.CanTransmitIns"/>.</param>
public sealed record CdaPatientSource(RnivIdentity Identity)
{
    /// <summary>Local ids (IPP…) as <c>id</c> elements after the INS.</summary>
    public IReadOnlyList<CdaId> LocalIds { get; init; } = [];
}

/// <summary>Something in the header that was refused or tolerated.</summary>
/// <param name="Path">Where (a simple XPath, e.g. <c>recordTarget/patientRole/id[1]/@extension</c>).</param>
/// <param name="Rule">A stable rule identifier.</param>
/// <param name="Message">A readable explanation without identity data.</param>
public sealed record CdaReadIssue(string Path, string Rule, string Message)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Path}: {Rule}: {Message}";
}

/// <summary>The patient of a CDA header mapped to the domain.</summary>
public sealed record CdaPatient
{
    /// <summary>The traits, or null when they could not be built (see <see cref="Refused"/>).</summary>
    public IdentityTraits? Traits { get; init; }

    /// <summary>The INS, when present and valid. The CDA header carries no status: an INS means the sender held a qualified identity.</summary>
    public InsIdentifier? Ins { get; init; }

    /// <summary>Every other id of <c>patientRole</c>.</summary>
    public IReadOnlyList<CdaId> LocalIds { get; init; } = [];

    /// <summary>What was refused.</summary>
    public IReadOnlyList<CdaReadIssue> Refused { get; init; } = [];

    /// <summary>What was tolerated.</summary>
    public IReadOnlyList<CdaReadIssue> Notes { get; init; } = [];
}

/// <summary>A CDA header: the document metadata and the patient.</summary>
/// <param name="Document">Document metadata, or null when the required parts are missing (see <see cref="Refused"/>).</param>
/// <param name="Patient">The patient of <c>recordTarget</c>.</param>
/// <param name="Refused">What was refused in the document metadata.</param>
public sealed record CdaHeader(CdaDocumentMetadata? Document, CdaPatient Patient, IReadOnlyList<CdaReadIssue> Refused);

/// <summary>HL7 TS (timestamp) text.</summary>
public static class CdaTime
{
    /// <summary>Reads <c>YYYYMMDD[HHMM[SS]][±ZZZZ]</c> (a date alone is midnight UTC).</summary>
    /// <param name="ts">The text.</param>
    /// <param name="value">The instant.</param>
    /// <returns>False when the text is not such a timestamp.</returns>
    public static bool TryParse(string? ts, out DateTimeOffset value)
    {
        value = default;
        if (ts is null || ts.Length < 8)
        {
            return false;
        }

        var offset = TimeSpan.Zero;
        var body = ts;
        var sign = ts.IndexOfAny(['+', '-'], 8);
        if (sign > 0)
        {
            var z = ts[(sign + 1)..];
            if (z.Length != 4 || !int.TryParse(z[..2], out var hh) || !int.TryParse(z[2..], out var mm))
            {
                return false;
            }

            offset = new TimeSpan(hh, mm, 0) * (ts[sign] == '-' ? -1 : 1);
            body = ts[..sign];
        }

        var dot = body.IndexOf('.', StringComparison.Ordinal);
        if (dot > 0)
        {
            body = body[..dot];
        }

        string[] formats = ["yyyyMMdd", "yyyyMMddHHmm", "yyyyMMddHHmmss"];
        if (!DateTime.TryParseExact(body, formats, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var dt))
        {
            return false;
        }

        value = new DateTimeOffset(dt, offset);
        return true;
    }
}
