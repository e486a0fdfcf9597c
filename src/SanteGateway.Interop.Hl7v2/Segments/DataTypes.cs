using SanteGateway.Interop.Hl7v2.Er7;

namespace SanteGateway.Interop.Hl7v2.Segments;

/// <summary>HD: hierarchic designator (namespace, universal id, universal id type), e.g. <c>ASIP-SANTE-INS-NIR&amp;1.2.250.1.213.1.4.8&amp;ISO</c>.</summary>
/// <param name="NamespaceId">HD-1.</param>
/// <param name="UniversalId">HD-2 (an OID when HD-3 is ISO).</param>
/// <param name="UniversalIdType">HD-3.</param>
public sealed record Hd(string? NamespaceId, string? UniversalId, string? UniversalIdType)
{
    /// <summary>Reads an HD held in a component (sub-components).</summary>
    /// <param name="component">The component.</param>
    /// <returns>The HD, or null when empty.</returns>
    public static Hd? FromComponent(Hl7Element component) => component.IsEmpty
        ? null
        : new Hd(component.SubComponent(1).ValueOrNull, component.SubComponent(2).ValueOrNull, component.SubComponent(3).ValueOrNull);

    /// <summary>As a component to write.</summary>
    /// <returns>The component.</returns>
    public Hl7Component ToComponent() => new(NamespaceId, UniversalId, UniversalIdType);
}

/// <summary>CX: an identifier with its assigning authority and type (PID-3, MRG-1, PV1-19).</summary>
/// <param name="Id">CX-1, decoded (may be the HL7 null <c>""</c>).</param>
/// <param name="AssigningAuthority">CX-4.</param>
/// <param name="TypeCode">CX-5 (<c>PI</c>, <c>INS</c>, <c>NH</c>…).</param>
/// <param name="AssigningFacility">CX-6.</param>
/// <param name="EffectiveDate">CX-7, as written.</param>
/// <param name="ExpirationDate">CX-8, as written.</param>
public sealed record Cx(string? Id, Hd? AssigningAuthority, string? TypeCode, Hd? AssigningFacility = null, string? EffectiveDate = null, string? ExpirationDate = null)
{
    /// <summary>True when CX-1 is the HL7 null <c>""</c> (delete).</summary>
    public bool IsNullId => Id == "\"\"";

    /// <summary>Reads a repetition of a CX field.</summary>
    /// <param name="repetition">The repetition.</param>
    /// <returns>The CX.</returns>
    public static Cx FromElement(Hl7Element repetition) => new(
        repetition.Component(1).ValueOrNull,
        Hd.FromComponent(repetition.Component(4)),
        repetition.ComponentValue(5),
        Hd.FromComponent(repetition.Component(6)),
        repetition.ComponentValue(7),
        repetition.ComponentValue(8));

    /// <summary>As components to write.</summary>
    /// <returns>The components.</returns>
    public Hl7Component[] ToComponents() =>
    [
        Id, Hl7Component.Empty, Hl7Component.Empty, AssigningAuthority?.ToComponent() ?? Hl7Component.Empty, TypeCode,
        AssigningFacility?.ToComponent() ?? Hl7Component.Empty, EffectiveDate, ExpirationDate,
    ];
}

/// <summary>XPN: a person name (PID-5).</summary>
/// <param name="Family">XPN-1 family name.</param>
/// <param name="Given">XPN-2 given name (PAM France: the first first-name).</param>
/// <param name="SecondAndFurtherGiven">XPN-3 (PAM France: the full list of birth first names, space-separated).</param>
/// <param name="Suffix">XPN-4.</param>
/// <param name="Prefix">XPN-5 civility (<c>M.</c>, <c>Mme</c>).</param>
/// <param name="TypeCode">XPN-7 (<c>L</c> legal/birth, <c>D</c> used, <c>S</c> pseudonym, <c>U</c>).</param>
public sealed record Xpn(string? Family, string? Given, string? SecondAndFurtherGiven, string? Suffix, string? Prefix, string? TypeCode)
{
    /// <summary>Reads a repetition of an XPN field.</summary>
    /// <param name="repetition">The repetition.</param>
    /// <returns>The name.</returns>
    public static Xpn FromElement(Hl7Element repetition) => new(
        repetition.Component(1).SubComponent(1).ValueOrNull,
        repetition.ComponentValue(2),
        repetition.ComponentValue(3),
        repetition.ComponentValue(4),
        repetition.ComponentValue(5),
        repetition.ComponentValue(7));

    /// <summary>As components to write.</summary>
    /// <returns>The components.</returns>
    public Hl7Component[] ToComponents() => [Family, Given, SecondAndFurtherGiven, Suffix, Prefix, Hl7Component.Empty, TypeCode];
}

/// <summary>XAD: an address (PID-11). PAM France puts the birth place in a repetition with XAD-7 = <c>BDL</c> and the COG code in XAD-9.</summary>
/// <param name="Street">XAD-1.</param>
/// <param name="OtherDesignation">XAD-2.</param>
/// <param name="City">XAD-3.</param>
/// <param name="State">XAD-4.</param>
/// <param name="PostalCode">XAD-5.</param>
/// <param name="Country">XAD-6.</param>
/// <param name="TypeCode">XAD-7 (<c>H</c> home, <c>BDL</c> birth place…).</param>
/// <param name="OtherGeographic">XAD-8.</param>
/// <param name="County">XAD-9 (COG code for <c>BDL</c>).</param>
public sealed record Xad(string? Street, string? OtherDesignation, string? City, string? State, string? PostalCode, string? Country, string? TypeCode, string? OtherGeographic, string? County)
{
    /// <summary>Reads a repetition of an XAD field.</summary>
    /// <param name="repetition">The repetition.</param>
    /// <returns>The address.</returns>
    public static Xad FromElement(Hl7Element repetition) => new(
        repetition.Component(1).SubComponent(1).ValueOrNull,
        repetition.ComponentValue(2),
        repetition.ComponentValue(3),
        repetition.ComponentValue(4),
        repetition.ComponentValue(5),
        repetition.ComponentValue(6),
        repetition.ComponentValue(7),
        repetition.ComponentValue(8),
        repetition.ComponentValue(9));

    /// <summary>As components to write.</summary>
    /// <returns>The components.</returns>
    public Hl7Component[] ToComponents() => [Street, OtherDesignation, City, State, PostalCode, Country, TypeCode, OtherGeographic, County];
}

/// <summary>CWE/CE: a coded value.</summary>
/// <param name="Code">Component 1.</param>
/// <param name="Text">Component 2.</param>
/// <param name="CodingSystem">Component 3.</param>
public sealed record Cwe(string? Code, string? Text, string? CodingSystem)
{
    /// <summary>Reads a coded element.</summary>
    /// <param name="e">The field or repetition.</param>
    /// <returns>The code, or null when empty.</returns>
    public static Cwe? FromElement(Hl7Element e) => e.IsEmpty ? null : new Cwe(e.ComponentValue(1), e.ComponentValue(2), e.ComponentValue(3));
}
