using SanteGateway.Identity;

namespace SanteGateway.Application;

/// <summary>Which INSi software certificate a call presents.</summary>
public enum InsiCertificate
{
    /// <summary>INSI-AUTO: unattended calls.</summary>
    Automatic,

    /// <summary>INSI-MANU: calls a user triggers.</summary>
    Manual,
}

/// <summary>
/// The INSi teleservice as the use cases see it (implemented by the host over the INSi client, or by a test double).
/// Traits are already in the INSi lexical form: the application decides (with the user's confirmation) how they are
/// transliterated; the birth date is sent in its declared form (<see cref="BirthDate.ToDeclared"/>).
/// </summary>
public interface IInsiPort
{
    /// <summary>Search by traits with the CNDA first-name strategy.</summary>
    /// <param name="request">Traits and call context.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    /// <returns>The outcome, every attempt and every raw exchange; never throws for a service answer or failure.</returns>
    Task<InsiPortResult> SearchAsync(InsiSearchRequest request, CancellationToken cancellationToken);

    /// <summary>Verify a stored INS against the traits.</summary>
    /// <param name="request">INS, traits and call context.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    /// <returns>The outcome with <see cref="InsiPortResult.Verification"/> set when INSi answered.</returns>
    Task<InsiPortResult> VerifyAsync(InsiVerifyRequest request, CancellationToken cancellationToken);

    /// <summary>
    /// Search with the data read from a Vitale card (<c>rechercherInsAvecCarteVitale</c>): one call, no first-name
    /// strategy. The card identifies whom to look up; it is never identity evidence.
    /// </summary>
    /// <param name="request">Card data and call context.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    /// <returns>The outcome and every raw exchange; never throws for a service answer or failure. Ports that do not
    /// implement it answer <c>not-supported</c> without sending anything.</returns>
    Task<InsiPortResult> SearchWithVitaleAsync(InsiVitaleSearchRequest request, CancellationToken cancellationToken) =>
        Task.FromResult(InsiPortResult.Failed("not-supported", "This INSi port does not implement the search with the Vitale card."));
}

/// <summary>The data read from a Vitale card, checked by the use case (<see cref="IdentityService.InsiSearchVitaleAsync"/>).</summary>
/// <param name="InsuredNir">NIR of the insured person (13 characters), as on the card.</param>
/// <param name="InsuredNirKey">Its 2-digit key, when the card gives it.</param>
/// <param name="BeneficiaryNir">The beneficiary's own NIR (13 characters), when the card carries it.</param>
/// <param name="BeneficiaryNirKey">Its key, when given.</param>
/// <param name="BirthName">The beneficiary's name as on the card.</param>
/// <param name="BirthDate">The beneficiary's birth date as on the card (<c>YYYY-MM-DD</c>, may be a lunar date).</param>
/// <param name="Rank">Birth rank (twins).</param>
public sealed record InsiVitaleCard(string InsuredNir, string? InsuredNirKey, string? BeneficiaryNir, string? BeneficiaryNirKey, string BirthName, string BirthDate, int Rank);

/// <summary>A search with Vitale card data (always user-triggered: the certificate is INSI-MANU).</summary>
/// <param name="Card">The card data.</param>
/// <param name="Certificate">Certificate to present.</param>
/// <param name="CorrelationId">Id copied into traces (never sent to the service).</param>
public sealed record InsiVitaleSearchRequest(InsiVitaleCard Card, InsiCertificate Certificate, string CorrelationId)
{
    /// <summary>FINESS of the establishment the call is made for (its certificate is presented); null = the default one.</summary>
    public string? Establishment { get; init; }
}

/// <summary>A search request.</summary>
/// <param name="Traits">Traits in the INSi lexical form.</param>
/// <param name="Certificate">Certificate to present.</param>
/// <param name="CorrelationId">Id copied into traces (never sent to the service).</param>
public sealed record InsiSearchRequest(IdentityTraits Traits, InsiCertificate Certificate, string CorrelationId)
{
    /// <summary>FINESS of the establishment the call is made for (its certificate is presented); null = the default one.</summary>
    public string? Establishment { get; init; }
}

/// <summary>A verification request.</summary>
/// <param name="Ins">The stored INS.</param>
/// <param name="Traits">Traits in the INSi lexical form.</param>
/// <param name="Certificate">Certificate to present.</param>
/// <param name="CorrelationId">Id copied into traces.</param>
public sealed record InsiVerifyRequest(InsIdentifier Ins, IdentityTraits Traits, InsiCertificate Certificate, string CorrelationId)
{
    /// <summary>FINESS of the establishment the call is made for (its certificate is presented); null = the default one.</summary>
    public string? Establishment { get; init; }
}

/// <summary>Outcome of an INSi call.</summary>
public enum InsiCallOutcome
{
    /// <summary>One identity (CR 00).</summary>
    Found,

    /// <summary>No identity (CR 01).</summary>
    NotFound,

    /// <summary>Several identities (CR 02).</summary>
    Multiple,

    /// <summary>No usable answer: fault, transport, unreadable answer, input refused.</summary>
    Error,
}

/// <summary>What a verification concluded about the stored INS.</summary>
public enum InsiVerificationOutcome
{
    /// <summary>INSi returns the same INS as active.</summary>
    Confirmed,

    /// <summary>The stored INS is in INSi's history: INSi now holds a newer one.</summary>
    ReplacedByNewer,

    /// <summary>INSi returns another INS, or an untrusted one.</summary>
    Mismatch,

    /// <summary>INSi knows no identity for these traits.</summary>
    NotFound,

    /// <summary>Several identities for these traits.</summary>
    Ambiguous,
}

/// <summary>An INS as INSi returned it.</summary>
/// <param name="Matricule">15 characters (number + key) as received.</param>
/// <param name="Oid">Assigning authority OID.</param>
/// <param name="ValidFrom">DateDeb, when given.</param>
/// <param name="ValidTo">DateFin, when given.</param>
/// <param name="KeyChecks">False when the key does not check: never trust it.</param>
public sealed record InsiReturnedIns(string Matricule, string Oid, DateOnly? ValidFrom, DateOnly? ValidTo, bool KeyChecks);

/// <summary>The identity INSi returned, verbatim.</summary>
/// <param name="Active">INSACTIF.</param>
/// <param name="History">INSHISTO entries in received order.</param>
/// <param name="BirthName">NomNaissance.</param>
/// <param name="FirstNames">ListePrenom (may be empty).</param>
/// <param name="Sex">Sexe.</param>
/// <param name="BirthDate">DateNaissance as received (may be partial, <c>1960-00-00</c>).</param>
/// <param name="BirthPlaceCog">LieuNaissance.</param>
public sealed record InsiReturnedIdentity(
    InsiReturnedIns Active,
    IReadOnlyList<InsiReturnedIns> History,
    string? BirthName,
    string? FirstNames,
    string? Sex,
    string? BirthDate,
    string? BirthPlaceCog)
{
    /// <summary>
    /// The returned strict traits as domain traits, or null when INSi returned an unusable date or sex. An empty
    /// <c>ListePrenom</c> gives an empty list with a placeholder first first-name: the domain then keeps the local
    /// first names (<see cref="RnivIdentity.RecordInsiResult"/>) and never compares against the placeholder.
    /// </summary>
    /// <returns>The traits, or null.</returns>
    public IdentityTraits? ToTraits()
    {
        if (!SanteGateway.Identity.BirthDate.TryParseIso(BirthDate, out var date) || !SexCodes.TryParseInsi(Sex, out var sex))
        {
            return null;
        }

        var names = IdentityTraits.SplitFirstNames(FirstNames);
        var traits = IdentityTraits.Create(BirthName, names, names.Count > 0 ? names[0] : "X", sex, date, string.IsNullOrWhiteSpace(BirthPlaceCog) ? null : BirthPlaceCog.Trim());
        return traits.IsValid ? traits.Value : null;
    }
}

/// <summary>One call of the first-name strategy.</summary>
/// <param name="FirstNames">The first names sent.</param>
/// <param name="WithBirthPlace">Whether the birth place was sent.</param>
/// <param name="Code">CR code when the service answered.</param>
/// <param name="Failure">Fault or transport failure (codes only), when it did not.</param>
public sealed record InsiAttemptView(string FirstNames, bool WithBirthPlace, string? Code, string? Failure);

/// <summary>One raw exchange with the service, kept unaltered (EXI REC 07/08).</summary>
/// <param name="RequestXml">Request as sent.</param>
/// <param name="ResponseXml">Response as received.</param>
/// <param name="CertificateCn">Client certificate CN (INSI-AUTO / INSI-MANU) or the CPx holder.</param>
/// <param name="Duration">Round trip.</param>
/// <param name="Outcome">CR code, fault or transport error, as the client traced it.</param>
public sealed record InsiRawExchange(string? RequestXml, string? ResponseXml, string? CertificateCn, TimeSpan Duration, string Outcome);

/// <summary>Result of one port call.</summary>
/// <param name="Outcome">Outcome of the retained answer.</param>
/// <param name="Code">CR code, or an error code (<c>fault …</c>, <c>transport</c>, <c>input</c>, <c>not-configured</c>).</param>
/// <param name="Identity">The identity for <see cref="InsiCallOutcome.Found"/>.</param>
/// <param name="Verification">Verification outcome (verify only, when INSi answered).</param>
/// <param name="Attempts">Every call of the strategy.</param>
/// <param name="Exchanges">Every raw exchange, in order.</param>
/// <param name="Error">Error description (never identity data).</param>
/// <param name="Warnings">Untrusted parts of the answer (wrong keys).</param>
public sealed record InsiPortResult(
    InsiCallOutcome Outcome,
    string? Code,
    InsiReturnedIdentity? Identity,
    InsiVerificationOutcome? Verification,
    IReadOnlyList<InsiAttemptView> Attempts,
    IReadOnlyList<InsiRawExchange> Exchanges,
    string? Error,
    IReadOnlyList<string> Warnings)
{
    /// <summary>A failure before or without any exchange.</summary>
    /// <param name="code">Error code.</param>
    /// <param name="error">Description.</param>
    /// <returns>The result.</returns>
    public static InsiPortResult Failed(string code, string error) => new(InsiCallOutcome.Error, code, null, null, [], [], error, []);
}

/// <summary>Used when no INSi endpoint is configured: every call ends in an error, recorded like any other.</summary>
public sealed class UnconfiguredInsiPort : IInsiPort
{
    /// <inheritdoc />
    public Task<InsiPortResult> SearchAsync(InsiSearchRequest request, CancellationToken cancellationToken) => Task.FromResult(Result());

    /// <inheritdoc />
    public Task<InsiPortResult> VerifyAsync(InsiVerifyRequest request, CancellationToken cancellationToken) => Task.FromResult(Result());

    /// <inheritdoc />
    public Task<InsiPortResult> SearchWithVitaleAsync(InsiVitaleSearchRequest request, CancellationToken cancellationToken) => Task.FromResult(Result());

    private static InsiPortResult Result() => InsiPortResult.Failed("not-configured", "No INSi endpoint is configured (Insi section of the configuration).");
}
