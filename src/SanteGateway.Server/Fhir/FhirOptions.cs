using SanteGateway.Interop.Fhir;

namespace SanteGateway.Server.Fhir;

/// <summary>Settings of the <c>/fhir</c> endpoint (configuration section <c>Fhir</c>).</summary>
public sealed class FhirOptions
{
    /// <summary>The configuration section name.</summary>
    public const string Section = "Fhir";

    /// <summary>
    /// How the identity status is coded: <see cref="IdentityStatusDialect.Table0445"/> (released FR Core 2.1/2.2: a qualified
    /// identity is <c>VALI</c> with the INS; the default) or <see cref="IdentityStatusDialect.Rniv"/> (PROV/RECUP/VALI/QUAL).
    /// </summary>
    public IdentityStatusDialect Dialect { get; set; } = IdentityStatusDialect.Table0445;

    /// <summary>
    /// The identifier system under which the gateway's own patient id (the resource id) is also written as a <c>PI</c>
    /// identifier and can be searched (<c>identifier=SYSTEM|id</c>), e.g. <c>urn:oid:</c> of the facility's IPP domain.
    /// Null (the default): the id is only the resource id.
    /// </summary>
    public string? LocalIdentifierSystem { get; set; }

    /// <summary>Page size when the client gives no <c>_count</c>.</summary>
    public int DefaultPageSize { get; set; } = 20;

    /// <summary>The partner profile the writer uses.</summary>
    internal FhirPartnerProfile PartnerProfile => Dialect == IdentityStatusDialect.Rniv ? FhirPartnerProfile.FrCoreRniv : FhirPartnerProfile.FrCore21;
}
