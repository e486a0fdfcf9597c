using System.Globalization;
using System.Reflection;
using System.Security.Cryptography.X509Certificates;
using SanteGateway.Application;

namespace SanteGateway.Server.Certificates;

/// <summary>Which ORG AUTH_CLI certificate of an establishment a transport uses.</summary>
public enum OrganisationCertificateUse
{
    /// <summary>The ROR's.</summary>
    Ror,

    /// <summary>Document sharing's (DMP).</summary>
    Dmp,
}

/// <summary>
/// One client per establishment that has its own ORG AUTH_CLI certificate for a transport (ROR or document sharing),
/// beside the gateway-wide client of that transport's settings — the same selection as <see cref="EstablishmentInsiClients"/>:
/// a call for an establishment presents its certificate; a call naming none uses the default establishment's, or the
/// gateway-wide one; an establishment without a certificate of its own uses the gateway-wide one (a legal entity's or the
/// application instance's certificate commonly serves all its sites); an unknown establishment or an expired certificate
/// is refused before anything is sent.
/// </summary>
/// <typeparam name="T">The client (or port) type.</typeparam>
public sealed class EstablishmentClients<T> : IDisposable
    where T : class
{
    private readonly T general;
    private readonly Dictionary<string, (T Client, DateTimeOffset NotAfter)> byFiness = new(StringComparer.OrdinalIgnoreCase);
    private readonly EstablishmentDirectory establishments;
    private readonly string service;

    /// <summary>Builds a client for every establishment with its own certificate for <paramref name="use"/> (files loaded now).</summary>
    /// <param name="general">The gateway-wide client (owned from now on).</param>
    /// <param name="establishments">Establishments.</param>
    /// <param name="use">Which certificate.</param>
    /// <param name="create">Builds a client presenting the given certificate file (path, password, ROR client id).</param>
    /// <exception cref="InvalidOperationException">A certificate cannot be loaded (the message names the establishment).</exception>
    public EstablishmentClients(T general, EstablishmentDirectory establishments, OrganisationCertificateUse use, Func<EstablishmentCertificate, T> create)
    {
        ArgumentNullException.ThrowIfNull(general);
        ArgumentNullException.ThrowIfNull(establishments);
        ArgumentNullException.ThrowIfNull(create);
        this.general = general;
        this.establishments = establishments;
        service = use == OrganisationCertificateUse.Ror ? "the ROR" : "document sharing";
        foreach (var e in establishments.All)
        {
            if ((use == OrganisationCertificateUse.Ror ? e.Ror : e.Dmp) is not { } certificate)
            {
                continue;
            }

            DateTimeOffset notAfter;
            T client;
            try
            {
                using (var c = X509CertificateLoader.LoadPkcs12FromFile(certificate.Path, certificate.Password))
                {
                    notAfter = new DateTimeOffset(c.NotAfter.ToUniversalTime(), TimeSpan.Zero);
                }

                client = create(certificate);
            }
            catch (Exception ex) when (ex is System.Security.Cryptography.CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
            {
                throw new InvalidOperationException($"Gateway:Establishments: the {(use == OrganisationCertificateUse.Ror ? "ROR" : "DMP")} certificate of {e.Finess} cannot be loaded ({ex.Message}).", ex);
            }

            byFiness[e.Finess] = (client, notAfter);
        }
    }

    /// <summary>The gateway-wide client.</summary>
    public T General => general;

    /// <summary>Which client a call uses, or why none.</summary>
    /// <param name="Client">The client, null when refused.</param>
    /// <param name="Establishment">FINESS whose certificate is presented (null = gateway-wide certificate).</param>
    /// <param name="ErrorCode"><c>establishment.unknown</c> or <c>certificate.expired</c> when refused.</param>
    /// <param name="Error">Why (no identity data).</param>
    public sealed record Selection(T? Client, string? Establishment, string? ErrorCode, string? Error);

    /// <summary>Chooses the client for a call made for <paramref name="establishment"/>.</summary>
    /// <param name="establishment">FINESS, or null for the default establishment.</param>
    /// <param name="now">Now.</param>
    /// <returns>The selection.</returns>
    public Selection Select(string? establishment, DateTimeOffset now)
    {
        string? owner;
        if (establishment is null)
        {
            owner = establishments.Default?.Finess;
        }
        else if (establishments.Find(establishment) is { } known)
        {
            owner = known.Finess;
        }
        else
        {
            return new Selection(null, establishment, "establishment.unknown",
                $"Establishment {Clip(establishment)} is not configured (Gateway:Establishments); nothing was sent to {service}.");
        }

        if (owner is null || !byFiness.TryGetValue(owner, out var own))
        {
            return new Selection(general, null, null, null);
        }

        if (now > own.NotAfter)
        {
            return new Selection(null, owner, "certificate.expired",
                $"The ORG AUTH_CLI certificate of establishment {owner} for {service} expired on {own.NotAfter.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}: nothing was sent; install the renewed certificate (santegw cert install).");
        }

        return new Selection(own.Client, owner, null, null);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        (general as IDisposable)?.Dispose();
        foreach (var (client, _) in byFiness.Values)
        {
            (client as IDisposable)?.Dispose();
        }
    }

    private static string Clip(string s) => s.Length > 16 ? s[..16] : s;
}

/// <summary>Copies of transport settings with another client certificate.</summary>
public static class TransportOptionsCopy
{
    private static readonly MethodInfo MemberwiseCloneMethod = typeof(object).GetMethod("MemberwiseClone", BindingFlags.Instance | BindingFlags.NonPublic)!;

    /// <summary>
    /// A shallow copy of <paramref name="options"/> (every setting, present or added later, carries over; lists are shared and
    /// only read), then changed by <paramref name="change"/>.
    /// </summary>
    /// <typeparam name="TOptions">Settings type.</typeparam>
    /// <param name="options">Settings.</param>
    /// <param name="change">Sets the certificate.</param>
    /// <returns>The copy.</returns>
    public static TOptions With<TOptions>(TOptions options, Action<TOptions> change)
        where TOptions : class
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(change);
        var copy = (TOptions)MemberwiseCloneMethod.Invoke(options, null)!;
        change(copy);
        return copy;
    }
}
