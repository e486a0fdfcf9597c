using SanteGateway.Identity;

namespace SanteGateway.Interop.Fhir;

/// <summary>An identifier of the patient in a local identification domain (IPP…): the domain and the value.</summary>
/// <param name="System">The assigning authority: an OID (written <c>urn:oid:…</c>) or a URI.</param>
/// <param name="Value">The identifier.</param>
public sealed record LocalIdentifier(string System, string Value)
{
    /// <summary>The system as a FHIR URI: a bare OID gets the <c>urn:oid:</c> prefix.</summary>
    public string SystemUri => IsBareOid(System) ? "urn:oid:" + System : System;

    /// <summary>The system without <c>urn:oid:</c> when it is an OID.</summary>
    public string SystemOrOid => System.StartsWith("urn:oid:", StringComparison.OrdinalIgnoreCase) ? System[8..] : System;

    internal static bool IsBareOid(string s) =>
        s.Length > 0 && char.IsAsciiDigit(s[0]) && s.All(c => char.IsAsciiDigit(c) || c == '.');
}

/// <summary>What is written as a FHIR Patient: the stored identity, its resource id, its local identifiers and, for an identity
/// merged into another, the survivor.</summary>
/// <param name="Identity">The identity under the RNIV rules; its INS is written only when <see cref="RnivIdentity.CanTransmitIns"/>.</param>
public sealed record FhirPatientSource(RnivIdentity Identity)
{
    /// <summary>The logical id of the Patient resource (the gateway's identity id), or null.</summary>
    public string? Id { get; init; }

    /// <summary>Local identifiers (IPP…), written as <c>PI</c> identifiers with use <c>usual</c>.</summary>
    public IReadOnlyList<LocalIdentifier> LocalIdentifiers { get; init; } = [];

    /// <summary>The id of the identity this one was merged into: written as <c>link</c> <c>replaced-by</c>, with <c>active = false</c>.</summary>
    public string? ReplacedById { get; init; }
}
