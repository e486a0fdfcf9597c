namespace SanteGateway.Conformance;

/// <summary>Which part of the acceptance file a case belongs to.</summary>
public enum ConformanceSection
{
    /// <summary>The INSi conformance plan of the approval centre (CNDA), public parts.</summary>
    InsiPlan,

    /// <summary>Rules of the INS implementation guide the kit can check automatically (statuses, INS only when QUAL, DataMatrix).</summary>
    GuideRules,
}

/// <summary>How a case is run.</summary>
public enum ConformanceCaseKind
{
    /// <summary>A front-desk user creates the identity as typed, then asks for its INS (INSi search by traits with the first-name strategy).</summary>
    TraitsSearch,

    /// <summary>Search with the data read from a Vitale card (<c>rechercherInsAvecCarteVitale</c>).</summary>
    VitaleSearch,

    /// <summary>An implementation-guide rule checked through the use cases (see <see cref="ConformanceCase.Rule"/>).</summary>
    GuideRule,
}

/// <summary>Which client certificate the case presents.</summary>
public enum ConformanceCertificate
{
    /// <summary>The establishment's INSI-MANU / INSI-AUTO certificates of the target.</summary>
    Normal,

    /// <summary>A certificate of the same CA whose CN is neither INSI-AUTO nor INSI-MANU (expects DESIR_560).</summary>
    WrongCommonName,
}

/// <summary>Identity traits as the user types them (the kit does not clean them: the product must).</summary>
/// <param name="BirthName">Birth name.</param>
/// <param name="FirstNames">Birth first names, space separated.</param>
/// <param name="Sex">M or F.</param>
/// <param name="BirthDate">YYYY-MM-DD.</param>
/// <param name="BirthPlaceCog">INSEE COG of the birth place, or null.</param>
public sealed record ConformanceTraits(string BirthName, string FirstNames, string Sex, string BirthDate, string? BirthPlaceCog = null)
{
    /// <summary>One line for reports: <c>ECETINSI / PIERRE-ALAIN / M / 2009-07-14 / 63220</c>.</summary>
    public override string ToString() => $"{BirthName} / {FirstNames} / {Sex} / {BirthDate}{(BirthPlaceCog is null ? "" : " / " + BirthPlaceCog)}";
}

/// <summary>Data read from a Vitale card.</summary>
/// <param name="Card">Name of the test card (e.g. <c>INSi 01</c>).</param>
/// <param name="InsuredNir">NIR of the insured person (13 characters).</param>
/// <param name="BeneficiaryNir">Beneficiary's own NIR when the card has it.</param>
/// <param name="BirthName">Beneficiary birth name.</param>
/// <param name="BirthDate">Beneficiary birth date.</param>
/// <param name="Rank">Birth rank.</param>
public sealed record ConformanceCard(string Card, string InsuredNir, string? BeneficiaryNir, string BirthName, string BirthDate, int Rank = 1)
{
    /// <summary>One line for reports.</summary>
    public override string ToString() => $"carte {Card} : assuré {InsuredNir}, bénéficiaire {BeneficiaryNir ?? "(sans NIR propre)"}, {BirthName}, {BirthDate}, rang {Rank}";
}

/// <summary>
/// A CNDA response file injected in place of the service's answer.
/// </summary>
/// <param name="File">File name in the CNDA folder (e.g. <c>TEST_2.05.xml</c>).</param>
/// <param name="FirstNames">Only for the call that sends exactly these first names (space separated); null = every call of the case.</param>
public sealed record ConformanceInjection(string File, string? FirstNames = null);

/// <summary>What the case must observe. Null members are not checked.</summary>
/// <param name="Summary">The expected behaviour in words (French, as in the test book).</param>
public sealed record ConformanceExpectation(string Summary)
{
    /// <summary>Nothing may be sent to INSi (the software refuses before the call).</summary>
    public bool NothingSent { get; init; }

    /// <summary>Rule codes of which the product's refusal must be one (e.g. <c>insi.transliteration-required</c>).</summary>
    public IReadOnlyList<string>? RefusalRules { get; init; }

    /// <summary>CR code of the retained answer (<c>00</c>, <c>01</c>, <c>02</c>).</summary>
    public string? Code { get; init; }

    /// <summary>The SOAP fault error code (<c>siram:Erreur/@code</c>) the call must end with, e.g. <c>desir_550</c>, <c>DESIR_560</c>.</summary>
    public string? FaultErrorCode { get; init; }

    /// <summary>RNIV status of the identity after the case.</summary>
    public string? Status { get; init; }

    /// <summary>The identity must carry no INS after the case.</summary>
    public bool NoIns { get; init; }

    /// <summary>Active INS expected (15 characters); only checked when the value is known for the target (see <see cref="InsSandboxOnly"/>).</summary>
    public string? Ins { get; init; }

    /// <summary>OID of the active INS.</summary>
    public string? InsOid { get; init; }

    /// <summary>The INS value is invented by the sandbox (not known live): on another target only its presence and OID are checked.</summary>
    public bool InsSandboxOnly { get; init; }

    /// <summary>History INS expected (15 characters each, order free).</summary>
    public IReadOnlyList<string>? History { get; init; }

    /// <summary>Calls of the first-name strategy, in order, as <c>FIRSTNAMES:CR</c> (add <c>+COG</c> when the birth place was sent).</summary>
    public IReadOnlyList<string>? Attempts { get; init; }

    /// <summary>The INSi traits must be shown as differing from the typed ones (nothing applied silently).</summary>
    public bool? TraitDifferencesShown { get; init; }

    /// <summary>The certificate CN presented in the exchanges.</summary>
    public string? CertificateCn { get; init; }
}

/// <summary>One test of the acceptance file: its input, the expected behaviour and how it is checked.</summary>
/// <param name="Id">Stable id, also the folder name in the acceptance file (e.g. <c>2.03-cas1</c>).</param>
/// <param name="Section">Plan or guide rule.</param>
/// <param name="Title">Title as in the test book (French).</param>
/// <param name="Purpose">What the test proves.</param>
/// <param name="Source">Where the case comes from, with the confidence marker of <c>insi.md</c>.</param>
/// <param name="Kind">How it runs.</param>
/// <param name="Expected">What must be observed.</param>
public sealed record ConformanceCase(string Id, ConformanceSection Section, string Title, string Purpose, string Source, ConformanceCaseKind Kind, ConformanceExpectation Expected)
{
    /// <summary>Traits typed by the user (traits searches and guide rules).</summary>
    public ConformanceTraits? Traits { get; init; }

    /// <summary>Card data (Vitale searches).</summary>
    public ConformanceCard? Card { get; init; }

    /// <summary>CNDA files to inject.</summary>
    public IReadOnlyList<ConformanceInjection> Injections { get; init; } = [];

    /// <summary>Certificate presented.</summary>
    public ConformanceCertificate Certificate { get; init; } = ConformanceCertificate.Normal;

    /// <summary>Overrides the software authorisation number (IDAM) for this case.</summary>
    public string? Idam { get; init; }

    /// <summary>The case relies on data only the built-in sandbox holds: on another target it is reported "not run".</summary>
    public bool SandboxOnly { get; init; }

    /// <summary>Guide rule to check (<see cref="ConformanceCaseKind.GuideRule"/>): <c>recup-not-transmitted</c>, <c>qual-datamatrix</c>, <c>doubtful-blocks-insi</c>.</summary>
    public string? Rule { get; init; }

    /// <summary>Which screen of the gateway shows the outcome (for the screenshot taken by the end-to-end run).</summary>
    public string? Screen { get; init; }
}
