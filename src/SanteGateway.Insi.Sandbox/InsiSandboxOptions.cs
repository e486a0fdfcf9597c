using System.Security.Cryptography.X509Certificates;
using SanteGateway.Insi.Sandbox.Data;

namespace SanteGateway.Insi.Sandbox;

/// <summary>How the sandbox answers a well-formed search for a person absent from its base (the live platform changed over time, insi.md §5).</summary>
public enum UnknownIdentityBehaviour
{
    /// <summary>Plain CR 01 "Aucune identite trouvee" (live behaviour since May 2025). Default.</summary>
    Cr01,

    /// <summary>Fault Receiver / siram_40 / insi_102 (live behaviour 2022 – Sept 2023).</summary>
    Insi102,

    /// <summary>Fault Sender / siram_40 / desir_1020 (live behaviour Oct 2023 – early 2025).</summary>
    Desir1020,
}

/// <summary>How SOAP faults are laid out on the wire (the live service changed it; insi.md §3.5).</summary>
public enum SandboxFaultLayout
{
    /// <summary>
    /// As the live service writes them today (captured 2026): <c>env:Body</c> declaring only <c>xmlns:env</c>,
    /// <c>soap:</c> prefixes, <c>xml:lang="fr"</c>. Default.
    /// </summary>
    Current,

    /// <summary>
    /// As in the recorded <c>FakeIdam.fault.xml</c> (2022 generation): <c>env:Body</c> declaring <c>xmlns:S</c> and <c>xmlns:env</c>,
    /// <c>S:Fault</c> with an extra <c>xmlns:ns4</c> (SOAP 1.1 namespace), <c>S:</c> prefixes, <c>xml:lang="en"</c>.
    /// </summary>
    Recorded2022,
}

/// <summary>How a request reaching the sandbox endpoint is authenticated.</summary>
public enum InsiSandboxAuthentication
{
    /// <summary>Mutual TLS: a client certificate issued by the sandbox CA with CN INSI-AUTO or INSI-MANU.</summary>
    MutualTls,

    /// <summary>CPx: server TLS only, a signed PS assertion in <c>wsse:Security</c>.</summary>
    CpxAssertion,
}

/// <summary>Settings of the INSi sandbox (server and request handler).</summary>
public sealed class InsiSandboxOptions
{
    /// <summary>IDAM accepted out of the box (documented in the README); clients configured for the sandbox send it.</summary>
    public const string DefaultIdam = "SANDBOX-IDAM";

    /// <summary>Port of the mutual-TLS listener on 127.0.0.1; 0 = ephemeral (read <see cref="InsiSandboxServer.Endpoint"/>).</summary>
    public int Port { get; set; }

    /// <summary>Port of the CPx listener (server TLS only, PS assertion required); null = no CPx listener, 0 = ephemeral.</summary>
    public int? CpxPort { get; set; }

    /// <summary>Folder made by <see cref="Pki.TestPki.Create"/> (server.p12, ca.cer, CPS.p12...). Required by the server.</summary>
    public string? PkiDirectory { get; set; }

    /// <summary>Password of the PKCS#12 files of <see cref="PkiDirectory"/>; null = read <c>password.txt</c> there.</summary>
    public string? Password { get; set; }

    /// <summary>Identity base file (JSON, see README); null = the embedded default base. Ignored when <see cref="IdentityBase"/> is set.</summary>
    public string? DataFile { get; set; }

    /// <summary>An already-built identity base (benchmarks, tests); wins over <see cref="DataFile"/>.</summary>
    public SandboxIdentityBase? IdentityBase { get; set; }

    /// <summary>Accepted <c>LPS/IDAM</c> values in addition to <see cref="DefaultIdam"/> (when <see cref="IncludeDefaultIdam"/>).</summary>
    public IList<string> Idams { get; } = [];

    /// <summary>Whether <see cref="DefaultIdam"/> is accepted (default true).</summary>
    public bool IncludeDefaultIdam { get; set; } = true;

    /// <summary>Answer for a person absent from the base.</summary>
    public UnknownIdentityBehaviour UnknownIdentity { get; set; } = UnknownIdentityBehaviour.Cr01;

    /// <summary>Artificial delay added to every answer, in milliseconds (a fixed profile; <see cref="Latency"/> wins when set).</summary>
    public int LatencyMs { get; set; }

    /// <summary>Delay distribution of the answers (fixed, uniform, log-normal, <c>live</c>, <c>recorded</c>); null = <see cref="LatencyMs"/>.</summary>
    public SandboxLatency? Latency { get; set; }

    /// <summary>Recurring windows during which every valid request gets an unavailability fault (siram_40); null = none.</summary>
    public SandboxBurst? UnavailableBurst { get; set; }

    /// <summary>Recurring windows during which every answer waits <see cref="SlowLatency"/>; null = none.</summary>
    public SandboxBurst? SlowBurst { get; set; }

    /// <summary>Delay of the answers inside a <see cref="SlowBurst"/> window (default 25 s, beyond the client's 20 s attempt time-out).</summary>
    public TimeSpan SlowLatency { get; set; } = TimeSpan.FromSeconds(25);

    /// <summary>Layout of the faults the sandbox writes (default: as the live service writes them today).</summary>
    public SandboxFaultLayout FaultLayout { get; set; } = SandboxFaultLayout.Current;

    /// <summary>
    /// Folder recorded by the INSi client (<c>InsiClientOptions.RecordDirectory</c>, <c>santegw insi --record</c>): a request whose
    /// business content matches a recorded one gets the recorded bytes (echoed ids substituted); others use the base.
    /// </summary>
    public string? ReplayDirectory { get; set; }

    /// <summary>CSV of additional test persons (publisher's own), checked at start; see README "Test persons CSV".</summary>
    public string? PersonsCsvFile { get; set; }

    /// <summary>Probability (0..1) of answering a valid request with an unavailability fault (siram_40 / desir_1020, or insi_102 in <see cref="UnknownIdentityBehaviour.Insi102"/> mode).</summary>
    public double FaultRate { get; set; }

    /// <summary>Seed of the random draws: fault injection and latency (null = random).</summary>
    public int? FaultSeed { get; set; }

    /// <summary>Folder of scripted answers (<c>index.json</c> + response files), or null.</summary>
    public string? ScriptedResponsesDirectory { get; set; }

    /// <summary>Largest accepted request body in bytes (default 64 KiB; real requests are about 2–6 KiB).</summary>
    public int MaxRequestBytes { get; set; } = 64 * 1024;

    /// <summary>
    /// Trust anchors for client certificates (mTLS) and for PS-assertion signing certificates (CPx).
    /// Null = the CA of <see cref="PkiDirectory"/>.
    /// </summary>
    public X509Certificate2Collection? TrustAnchors { get; set; }

    /// <summary>Age after which a PS assertion without <c>Conditions/@NotOnOrAfter</c> is refused as expired (default 1 hour).</summary>
    public TimeSpan AssertionLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Tolerated clock skew when checking assertion times (default 2 minutes).</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Clock used for assertion expiry (tests can pass a fake one).</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Checks ranges; throws <see cref="ArgumentException"/> naming the setting.</summary>
    public void Validate()
    {
        if (Port is < 0 or > 65535)
        {
            throw new ArgumentException($"Port must be 0..65535 (got {Port}).", nameof(Port));
        }

        if (CpxPort is < 0 or > 65535)
        {
            throw new ArgumentException($"CpxPort must be 0..65535 (got {CpxPort}).", nameof(CpxPort));
        }

        if (FaultRate is < 0 or > 1 || double.IsNaN(FaultRate))
        {
            throw new ArgumentException($"FaultRate must be between 0 and 1 (got {FaultRate}).", nameof(FaultRate));
        }

        if (LatencyMs < 0)
        {
            throw new ArgumentException($"LatencyMs must be ≥ 0 (got {LatencyMs}).", nameof(LatencyMs));
        }

        if (SlowLatency < TimeSpan.Zero)
        {
            throw new ArgumentException($"SlowLatency must be ≥ 0 (got {SlowLatency}).", nameof(SlowLatency));
        }

        if (MaxRequestBytes < 1024)
        {
            throw new ArgumentException($"MaxRequestBytes must be ≥ 1024 (got {MaxRequestBytes}).", nameof(MaxRequestBytes));
        }
    }
}
