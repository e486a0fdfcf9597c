namespace SanteGateway.Server.Insi;

/// <summary>
/// The INSi téléservice as the gateway sees it. Implementations call the configured endpoint (the local sandbox or
/// the real INSi) and return the raw exchange so that it can be kept unaltered (EXI REC 07/08).
/// </summary>
public interface IInsiGateway
{
    /// <summary>Search by traits (RECSANSVITALE).</summary>
    Task<InsiCallResult> SearchAsync(InsiSearchRequest request, CancellationToken ct);

    /// <summary>Verify a matricule against traits.</summary>
    Task<InsiCallResult> VerifyAsync(InsiVerifyRequest request, CancellationToken ct);
}

/// <summary>Traits sent to an INSi search.</summary>
/// <param name="BirthName">Birth name.</param>
/// <param name="FirstNames">Birth first names, space separated.</param>
/// <param name="Sex"><c>F</c> or <c>M</c>.</param>
/// <param name="BirthDate">Birth date.</param>
/// <param name="BirthPlaceCog">Birth place COG code, optional.</param>
public sealed record InsiSearchRequest(string BirthName, string FirstNames, string Sex, DateOnly BirthDate, string? BirthPlaceCog);

/// <summary>Matricule and traits sent to an INSi verification.</summary>
/// <param name="Matricule">Matricule INS (15 characters).</param>
/// <param name="Oid">Assigning authority OID.</param>
/// <param name="BirthName">Birth name.</param>
/// <param name="FirstNames">Birth first names.</param>
/// <param name="Sex"><c>F</c> or <c>M</c>.</param>
/// <param name="BirthDate">Birth date.</param>
/// <param name="BirthPlaceCog">Birth place COG code, optional.</param>
public sealed record InsiVerifyRequest(string Matricule, string Oid, string BirthName, string FirstNames, string Sex, DateOnly BirthDate, string? BirthPlaceCog);

/// <summary>Outcome of an INSi call.</summary>
public enum InsiOutcome
{
    /// <summary>One identity returned (CR 00) / verification confirmed.</summary>
    Found,

    /// <summary>No identity (CR 01) / verification not confirmed.</summary>
    NotFound,

    /// <summary>Several identities (CR 02).</summary>
    Multiple,

    /// <summary>Transport, SOAP fault or unreadable answer.</summary>
    Error,
}

/// <summary>An identity as returned by INSi.</summary>
/// <param name="Matricule">Matricule INS (15 characters).</param>
/// <param name="Oid">Assigning authority OID.</param>
/// <param name="BirthName">Birth name.</param>
/// <param name="FirstNames">Birth first names, space separated.</param>
/// <param name="Sex"><c>F</c> or <c>M</c>.</param>
/// <param name="BirthDate">Birth date.</param>
/// <param name="BirthPlaceCog">Birth place COG code.</param>
public sealed record InsiIdentity(string Matricule, string Oid, string BirthName, string FirstNames, string Sex, DateOnly BirthDate, string? BirthPlaceCog);

/// <summary>Result of one INSi call with the raw exchange.</summary>
/// <param name="Outcome">Outcome.</param>
/// <param name="Code">INSi CR code or error code.</param>
/// <param name="Identity">The returned identity when <see cref="InsiOutcome.Found"/>.</param>
/// <param name="RequestXml">Request as sent.</param>
/// <param name="ResponseXml">Response as received.</param>
/// <param name="CertificateCn">Subject CN of the client certificate.</param>
/// <param name="Error">Error description (never identity data).</param>
public sealed record InsiCallResult(
    InsiOutcome Outcome,
    string? Code,
    InsiIdentity? Identity,
    string? RequestXml,
    string? ResponseXml,
    string? CertificateCn,
    string? Error);

/// <summary>Used when no INSi endpoint is configured: every call ends in an error, recorded like any other.</summary>
internal sealed class UnconfiguredInsiGateway : IInsiGateway
{
    public Task<InsiCallResult> SearchAsync(InsiSearchRequest request, CancellationToken ct) => Task.FromResult(Result());

    public Task<InsiCallResult> VerifyAsync(InsiVerifyRequest request, CancellationToken ct) => Task.FromResult(Result());

    private static InsiCallResult Result() =>
        new(InsiOutcome.Error, "not-configured", null, null, null, null, "No INSi endpoint is configured (Insi section of the configuration).");
}
