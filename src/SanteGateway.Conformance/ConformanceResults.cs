namespace SanteGateway.Conformance;

/// <summary>Verdict of one case.</summary>
public enum ConformanceVerdict
{
    /// <summary>Every check passed.</summary>
    Passed,

    /// <summary>At least one check failed (or the case could not run as configured).</summary>
    Failed,

    /// <summary>Not runnable on this target (data only the sandbox holds, certificate not supplied).</summary>
    NotRun,
}

/// <summary>One check of a case.</summary>
/// <param name="Name">What is checked.</param>
/// <param name="Expected">Expected value.</param>
/// <param name="Actual">Observed value.</param>
/// <param name="Passed">Verdict.</param>
public sealed record ConformanceCheck(string Name, string Expected, string Actual, bool Passed);

/// <summary>One exchange with INSi during a case, as the product recorded it.</summary>
/// <param name="Number">1-based order.</param>
/// <param name="CertificateCn">Client certificate CN presented.</param>
/// <param name="Outcome">CR or fault, as traced.</param>
/// <param name="InjectedFile">The CNDA file processed instead of the service's answer, if any.</param>
/// <param name="RequestXml">Request as sent.</param>
/// <param name="ResponseXml">Response as processed (the injected file when <paramref name="InjectedFile"/> is set).</param>
/// <param name="DurationMs">Round trip.</param>
public sealed record ConformanceExchange(int Number, string? CertificateCn, string Outcome, string? InjectedFile, string? RequestXml, string? ResponseXml, long DurationMs);

/// <summary>The result of one case.</summary>
/// <param name="Case">The case.</param>
/// <param name="Verdict">Verdict.</param>
/// <param name="Observed">What happened, in words (message shown to the user, status, INS).</param>
/// <param name="Checks">Every check.</param>
/// <param name="Exchanges">Every exchange, in order.</param>
/// <param name="StartedAt">Start (UTC).</param>
/// <param name="Duration">Duration.</param>
/// <param name="Note">Why it was not run or could not run.</param>
public sealed record ConformanceCaseResult(
    ConformanceCase Case,
    ConformanceVerdict Verdict,
    string Observed,
    IReadOnlyList<ConformanceCheck> Checks,
    IReadOnlyList<ConformanceExchange> Exchanges,
    DateTimeOffset StartedAt,
    TimeSpan Duration,
    string? Note = null);

/// <summary>A whole run.</summary>
/// <param name="Endpoint">INSi endpoint called.</param>
/// <param name="IsSandbox">True for the built-in sandbox.</param>
/// <param name="Idam">Software authorisation number sent.</param>
/// <param name="SoftwareVersion">Version of the software under test.</param>
/// <param name="StartedAt">Start (UTC).</param>
/// <param name="FinishedAt">End (UTC).</param>
/// <param name="Results">Every case result, in plan order.</param>
public sealed record ConformanceRun(Uri Endpoint, bool IsSandbox, string Idam, string SoftwareVersion, DateTimeOffset StartedAt, DateTimeOffset FinishedAt, IReadOnlyList<ConformanceCaseResult> Results)
{
    /// <summary>Cases passed.</summary>
    public int Passed => Results.Count(r => r.Verdict == ConformanceVerdict.Passed);

    /// <summary>Cases failed.</summary>
    public int Failed => Results.Count(r => r.Verdict == ConformanceVerdict.Failed);

    /// <summary>Cases not run.</summary>
    public int NotRun => Results.Count(r => r.Verdict == ConformanceVerdict.NotRun);

    /// <summary>True when no case failed.</summary>
    public bool Succeeded => Failed == 0;
}
