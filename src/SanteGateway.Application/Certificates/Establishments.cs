namespace SanteGateway.Application;

/// <summary>One software certificate file of an establishment.</summary>
/// <param name="Path">PKCS#12 file.</param>
/// <param name="Password">Its password (read from the environment variable the configuration names; never shown).</param>
public sealed record EstablishmentCertificate(string Path, string? Password)
{
    /// <summary>OAuth client id registered for this certificate (ROR), when it is not the gateway's one.</summary>
    public string? ClientId { get; init; }
}

/// <summary>
/// A (geographic) establishment the gateway acts for, known by its FINESS, with the IGC-Santé software certificates it was
/// issued: INSI-AUTO and INSI-MANU for INSi, ORG AUTH_CLI for the ROR and for document sharing (DMP). Calls made for it
/// present its certificates, so the teleservices see the right structure (certificate OU = its structure id).
/// </summary>
/// <param name="Finess">FINESS of the establishment (9 characters); the key other parts use (<see cref="Actor.Establishment"/>).</param>
/// <param name="Name">Name shown to administrators.</param>
public sealed record Establishment(string Finess, string Name)
{
    /// <summary>FINESS of the legal entity (entité juridique) the establishment belongs to, when given.</summary>
    public string? LegalEntityFiness { get; init; }

    /// <summary>Used for calls that name no establishment.</summary>
    public bool IsDefault { get; init; }

    /// <summary>INSI-AUTO certificate (unattended INSi calls).</summary>
    public EstablishmentCertificate? InsiAutomatic { get; init; }

    /// <summary>INSI-MANU certificate (user-triggered INSi calls); without it the INSI-AUTO one is used.</summary>
    public EstablishmentCertificate? InsiManual { get; init; }

    /// <summary>ORG AUTH_CLI certificate for the ROR.</summary>
    public EstablishmentCertificate? Ror { get; init; }

    /// <summary>ORG AUTH_CLI certificate for document sharing (DMP).</summary>
    public EstablishmentCertificate? Dmp { get; init; }

    /// <summary>Whether the establishment has its own INSi certificate(s).</summary>
    public bool HasInsiCertificates => InsiAutomatic is not null || InsiManual is not null;

    /// <summary>Its certificates as inventory entries, named <c>&lt;use&gt;@&lt;FINESS&gt;</c> (e.g. <c>insi-auto@750712184</c>).</summary>
    /// <returns>The entries.</returns>
    public IEnumerable<TrackedCertificate> TrackedCertificates()
    {
        if (InsiAutomatic is { } a)
        {
            yield return new TrackedCertificate($"insi-auto@{Finess}", a.Path, a.Password, CertificateUse.InsiAutomatic, Finess);
        }

        if (InsiManual is { } m)
        {
            yield return new TrackedCertificate($"insi-manu@{Finess}", m.Path, m.Password, CertificateUse.InsiManual, Finess);
        }

        if (Ror is { } r)
        {
            yield return new TrackedCertificate($"ror@{Finess}", r.Path, r.Password, CertificateUse.OrganisationClient, Finess);
        }

        if (Dmp is { } d)
        {
            yield return new TrackedCertificate($"dmp@{Finess}", d.Path, d.Password, CertificateUse.OrganisationClient, Finess);
        }
    }
}

/// <summary>The establishments the gateway serves (from configuration; see docs/certificates.md §Establishments).</summary>
public sealed class EstablishmentDirectory
{
    private readonly Dictionary<string, Establishment> byFiness;

    /// <summary>Creates the directory.</summary>
    /// <param name="establishments">Establishments; FINESS numbers must be unique and at most one may be the default.</param>
    /// <exception cref="ArgumentException">Two establishments share a FINESS, or several are the default.</exception>
    public EstablishmentDirectory(IEnumerable<Establishment> establishments)
    {
        ArgumentNullException.ThrowIfNull(establishments);
        All = establishments.ToList();
        byFiness = new Dictionary<string, Establishment>(StringComparer.OrdinalIgnoreCase);
        foreach (var e in All)
        {
            if (!byFiness.TryAdd(e.Finess, e))
            {
                throw new ArgumentException($"Gateway:Establishments: FINESS {e.Finess} is configured twice.", nameof(establishments));
            }
        }

        var defaults = All.Where(e => e.IsDefault).ToList();
        if (defaults.Count > 1)
        {
            throw new ArgumentException($"Gateway:Establishments: only one establishment may be the default ({string.Join(", ", defaults.Select(d => d.Finess))}).", nameof(establishments));
        }

        Default = defaults.SingleOrDefault() ?? (All.Count == 1 ? All[0] : null);
    }

    /// <summary>No establishment configured: the gateway acts for one structure with the <c>Insi</c> certificates.</summary>
    public static EstablishmentDirectory Empty { get; } = new([]);

    /// <summary>Every establishment, in configuration order.</summary>
    public IReadOnlyList<Establishment> All { get; }

    /// <summary>The establishment of calls that name none: the one marked default, else the only one, else none.</summary>
    public Establishment? Default { get; }

    /// <summary>The establishment with this FINESS, or null.</summary>
    /// <param name="finess">FINESS.</param>
    /// <returns>The establishment.</returns>
    public Establishment? Find(string? finess) => finess is not null && byFiness.TryGetValue(finess.Trim(), out var e) ? e : null;
}
