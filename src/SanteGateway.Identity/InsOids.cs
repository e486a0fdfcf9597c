using System.Diagnostics.CodeAnalysis;

namespace SanteGateway.Identity;

/// <summary>Which assigning authority an INS OID stands for.</summary>
public enum InsOidKind
{
    /// <summary>INS-NIR (production), <c>1.2.250.1.213.1.4.8</c>.</summary>
    Nir,

    /// <summary>INS-NIA, the waiting number pending certification (production), <c>1.2.250.1.213.1.4.9</c>.</summary>
    Nia,

    /// <summary>INS-NIR of fictitious test patients, <c>1.2.250.1.213.1.4.10</c>.</summary>
    Test,

    /// <summary>INS-NIR of demonstration patients, <c>1.2.250.1.213.1.4.11</c>.</summary>
    Demo,
}

/// <summary>The environment an INS belongs to, derived from its OID.</summary>
public enum InsEnvironment
{
    /// <summary>Real persons (NIR and NIA OIDs).</summary>
    Production,

    /// <summary>Fictitious test patients.</summary>
    Test,

    /// <summary>Demonstration patients.</summary>
    Demo,
}

/// <summary>Which INS OIDs a deployment accepts.</summary>
public enum InsPolicy
{
    /// <summary>Only the NIR and NIA OIDs: test and demonstration OIDs must never be taken for real patients.</summary>
    Production,

    /// <summary>Every INS OID, including test (<c>.10</c>) and demonstration (<c>.11</c>).</summary>
    AllowTestAndDemo,
}

/// <summary>The OIDs of the INS assigning authorities.</summary>
/// <remarks>The INSi test platform returns the production NIR OID for its synthetic persons; the test OID is used for
/// fictitious patients in documents and messages. The deprecated INS-C OIDs (<c>.2</c>, <c>.6</c>, <c>.7</c>) are not INS OIDs here.</remarks>
public static class InsOids
{
    /// <summary>INS-NIR.</summary>
    public const string Nir = "1.2.250.1.213.1.4.8";

    /// <summary>INS-NIA.</summary>
    public const string Nia = "1.2.250.1.213.1.4.9";

    /// <summary>INS-NIR de test.</summary>
    public const string Test = "1.2.250.1.213.1.4.10";

    /// <summary>INS-NIR de démonstration.</summary>
    public const string Demo = "1.2.250.1.213.1.4.11";

    /// <summary>Tells which INS authority an OID is (exact match; an optional <c>urn:oid:</c> prefix is accepted).</summary>
    /// <param name="oid">The OID to look up.</param>
    /// <param name="kind">The kind when the method returns true.</param>
    /// <returns>False when <paramref name="oid"/> is not one of the four INS OIDs.</returns>
    public static bool TryGetKind(string? oid, out InsOidKind kind)
    {
        var s = oid.AsSpan();
        if (s.StartsWith("urn:oid:", StringComparison.OrdinalIgnoreCase))
        {
            s = s[8..];
        }

        switch (s)
        {
            case Nir:
                kind = InsOidKind.Nir;
                return true;
            case Nia:
                kind = InsOidKind.Nia;
                return true;
            case Test:
                kind = InsOidKind.Test;
                return true;
            case Demo:
                kind = InsOidKind.Demo;
                return true;
            default:
                kind = default;
                return false;
        }
    }

    /// <summary>The OID of an INS authority.</summary>
    /// <param name="kind">The authority.</param>
    /// <returns>Its OID.</returns>
    public static string OidOf(InsOidKind kind) => kind switch
    {
        InsOidKind.Nir => Nir,
        InsOidKind.Nia => Nia,
        InsOidKind.Test => Test,
        InsOidKind.Demo => Demo,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown INS OID kind."),
    };

    /// <summary>The environment of an INS authority: NIR and NIA are production, the others test or demonstration.</summary>
    /// <param name="kind">The authority.</param>
    /// <returns>Its environment.</returns>
    public static InsEnvironment EnvironmentOf(InsOidKind kind) => kind switch
    {
        InsOidKind.Nir or InsOidKind.Nia => InsEnvironment.Production,
        InsOidKind.Test => InsEnvironment.Test,
        InsOidKind.Demo => InsEnvironment.Demo,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown INS OID kind."),
    };

    /// <summary>Checks an INS authority against a policy.</summary>
    /// <param name="kind">The authority.</param>
    /// <param name="policy">The deployment's policy.</param>
    /// <param name="reason">Why it is refused, when the method returns false.</param>
    /// <returns>True when the policy accepts INS of this authority.</returns>
    public static bool IsAllowed(InsOidKind kind, InsPolicy policy, [NotNullWhen(false)] out string? reason)
    {
        var environment = EnvironmentOf(kind);
        if (policy == InsPolicy.Production && environment != InsEnvironment.Production)
        {
            reason = $"OID {OidOf(kind)} is the INS-NIR {(environment == InsEnvironment.Test ? "test" : "demonstration")} authority; "
                + "the production policy refuses test and demonstration identities so that they are never taken for real patients.";
            return false;
        }

        reason = null;
        return true;
    }
}

/// <summary>An INS: a matricule together with the OID of its assigning authority (a matricule never travels alone).</summary>
public sealed record InsIdentifier
{
    /// <summary>Pairs a matricule with an INS OID. Policy checks are done by <see cref="TryCreate(string, string, InsPolicy, out InsIdentifier?, out string?)"/>.</summary>
    /// <param name="matricule">A parsed matricule (not <c>default</c>).</param>
    /// <param name="oid">One of the four <see cref="InsOids"/>.</param>
    /// <exception cref="ArgumentException">The matricule is <c>default</c> or the OID is not an INS OID.</exception>
    public InsIdentifier(InsMatricule matricule, string oid)
    {
        if (matricule.Value.Length != 15)
        {
            throw new ArgumentException("The matricule is empty (default).", nameof(matricule));
        }

        if (!InsOids.TryGetKind(oid, out var kind))
        {
            throw new ArgumentException("Not an INS OID (expected 1.2.250.1.213.1.4.8, .9, .10 or .11).", nameof(oid));
        }

        Matricule = matricule;
        Oid = InsOids.OidOf(kind);
        Kind = kind;
    }

    /// <summary>The matricule (13 + key).</summary>
    public InsMatricule Matricule { get; }

    /// <summary>The OID of the assigning authority (without <c>urn:oid:</c>).</summary>
    public string Oid { get; }

    /// <summary>The assigning authority: NIR, NIA, test or demonstration. This, not the digits, tells a NIR from a NIA.</summary>
    public InsOidKind Kind { get; }

    /// <summary>The environment the INS belongs to.</summary>
    public InsEnvironment Environment => InsOids.EnvironmentOf(Kind);

    /// <summary>Reads a matricule and an OID and checks them against a policy.</summary>
    /// <param name="matricule">The matricule text (spaces allowed).</param>
    /// <param name="oid">The OID of the assigning authority.</param>
    /// <param name="policy">The deployment's policy (production refuses test and demonstration OIDs).</param>
    /// <param name="id">The INS when the method returns true.</param>
    /// <param name="error">Why it was refused (field and rule) when the method returns false.</param>
    /// <returns>True when the matricule is valid, the OID is an INS OID and the policy accepts it.</returns>
    public static bool TryCreate(string matricule, string oid, InsPolicy policy, [NotNullWhen(true)] out InsIdentifier? id, [NotNullWhen(false)] out string? error)
    {
        id = null;
        if (!InsMatricule.TryParse(matricule, out var m, out var matriculeError))
        {
            error = "matricule: " + matriculeError.Message;
            return false;
        }

        return TryCreate(m, oid, policy, out id, out error);
    }

    /// <summary>Pairs a parsed matricule with an OID and checks them against a policy.</summary>
    /// <param name="matricule">The parsed matricule.</param>
    /// <param name="oid">The OID of the assigning authority.</param>
    /// <param name="policy">The deployment's policy.</param>
    /// <param name="id">The INS when the method returns true.</param>
    /// <param name="error">Why it was refused when the method returns false.</param>
    /// <returns>True when accepted.</returns>
    public static bool TryCreate(InsMatricule matricule, string? oid, InsPolicy policy, [NotNullWhen(true)] out InsIdentifier? id, [NotNullWhen(false)] out string? error)
    {
        id = null;
        if (matricule.Value.Length != 15)
        {
            error = "matricule: the matricule INS is empty.";
            return false;
        }

        if (!InsOids.TryGetKind(oid, out var kind))
        {
            error = "oid: not an INS OID (expected 1.2.250.1.213.1.4.8 NIR, .9 NIA, .10 test or .11 demonstration).";
            return false;
        }

        if (!InsOids.IsAllowed(kind, policy, out var reason))
        {
            error = "oid: " + reason;
            return false;
        }

        id = new InsIdentifier(matricule, InsOids.OidOf(kind));
        error = null;
        return true;
    }

    /// <summary>Deconstructs into the matricule and the OID (as a positional record would).</summary>
    /// <param name="matricule">The matricule.</param>
    /// <param name="oid">The OID.</param>
    public void Deconstruct(out InsMatricule matricule, out string oid)
    {
        matricule = Matricule;
        oid = Oid;
    }

    /// <summary>The matricule and its OID, e.g. <c>279035121518989 (1.2.250.1.213.1.4.10)</c>.</summary>
    /// <returns>A short text form.</returns>
    public override string ToString() => $"{Matricule.Value} ({Oid})";
}
