namespace SanteGateway.Ror.Sandbox;

/// <summary>A client the sandbox's token endpoint knows.</summary>
/// <param name="ClientId">The <c>client_id</c>.</param>
/// <param name="AccessProfile">Access profile 0–5 (what the client may see; 0 authenticates with a secret).</param>
/// <param name="Secret">Secret (profile 0), else null.</param>
/// <param name="SubjectDn">Subject DN of the client certificate (profiles 1–5), matched as ANS does.</param>
/// <param name="WritableEstablishments">IdNatStruct of the EGs whose capacities it may write (empty = none; <c>*</c> = all).</param>
public sealed record RorSandboxClient(string ClientId, int AccessProfile, string? Secret, string? SubjectDn, IReadOnlyList<string> WritableEstablishments);

/// <summary>What the sandbox answers when a read lacks a <c>Ror-*</c> header (undocumented by ANS).</summary>
public enum MissingHeaderBehaviour
{
    /// <summary>400 with an OperationOutcome naming the header (default).</summary>
    BadRequest,

    /// <summary>403 with an OperationOutcome.</summary>
    Forbidden,

    /// <summary>Accept the request.</summary>
    Ignore,
}

/// <summary>Settings of the ROR sandbox.</summary>
public sealed class RorSandboxOptions
{
    /// <summary>Default client id of the profile-1 mTLS client.</summary>
    public const string DefaultMtlsClientId = "santegw-ror-p1";

    /// <summary>Default client id of the profile-3 mTLS client.</summary>
    public const string DefaultProfile3ClientId = "santegw-ror-p3";

    /// <summary>Default client id of the profile-0 secret client.</summary>
    public const string DefaultSecretClientId = "santegw-ror-p0";

    /// <summary>Default secret of the profile-0 client.</summary>
    public const string DefaultSecret = "sandbox-secret";

    /// <summary>Port on 127.0.0.1 (0 = ephemeral).</summary>
    public int Port { get; set; }

    /// <summary>Folder of the sandbox PKI (<see cref="Pki.RorSandboxPki"/>); created when missing and <see cref="CreatePki"/>.</summary>
    public string? PkiDirectory { get; set; }

    /// <summary>PKCS#12 password (default: the PKI's password file).</summary>
    public string? Password { get; set; }

    /// <summary>Create the PKI in <see cref="PkiDirectory"/> when it is missing.</summary>
    public bool CreatePki { get; set; } = true;

    /// <summary>Registered clients. Default: a profile-1 mTLS client, a profile-3 mTLS client and a profile-0 secret client.</summary>
    public IList<RorSandboxClient> Clients { get; } = new List<RorSandboxClient>
    {
        new(DefaultMtlsClientId, 1, null, Pki.RorSandboxPki.ClientSubject, ["*"]),
        new(DefaultProfile3ClientId, 3, null, Pki.RorSandboxPki.ClientProfile3Subject, []),
        new(DefaultSecretClientId, 0, DefaultSecret, null, []),
    };

    /// <summary>Lifetime of issued tokens.</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Answer to a read without the <c>Ror-*</c> headers.</summary>
    public MissingHeaderBehaviour MissingHeaders { get; set; } = MissingHeaderBehaviour.BadRequest;

    /// <summary>Load the IG examples as seed data.</summary>
    public bool LoadExamples { get; set; } = true;

    /// <summary>Generated offers added to the seed (with their organisations, locations and professionals).</summary>
    public int GeneratedOffers { get; set; } = 50;

    /// <summary>Seed of the generator.</summary>
    public int Seed { get; set; } = 1;

    /// <summary>Default page size (RG_RECH_52: 200).</summary>
    public int DefaultCount { get; set; } = 200;

    /// <summary>Largest accepted <c>_count</c>.</summary>
    public int MaxCount { get; set; } = 1000;

    /// <summary>Plain searches stop at this many results (the ROR cuts at 10,000).</summary>
    public int MaxResults { get; set; } = 10_000;

    /// <summary>Resources per export file.</summary>
    public int ExportFileSize { get; set; } = 10_000;

    /// <summary>Polls answered 202 before an export is declared complete.</summary>
    public int ExportPollsBeforeReady { get; set; } = 1;

    /// <summary>Accept <c>_outputFormat=application/fhir+ndjson</c> (the national ROR refuses it; default false, as the ROR).</summary>
    public bool AcceptNdjsonOutputFormat { get; set; }

    /// <summary>How long a paging snapshot stays usable.</summary>
    public TimeSpan PagingLifetime { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Public base URL written in links (default: https://127.0.0.1:PORT).</summary>
    public Uri? PublicBase { get; set; }

    /// <summary>Checks the settings.</summary>
    /// <exception cref="ArgumentException">A setting is wrong.</exception>
    public void Validate()
    {
        if (Port is < 0 or > 65535)
        {
            throw new ArgumentException("Port: 0–65535.");
        }

        if (GeneratedOffers < 0 || DefaultCount < 1 || MaxCount < DefaultCount || MaxResults < 1 || ExportFileSize < 1 || ExportPollsBeforeReady < 0)
        {
            throw new ArgumentException("GeneratedOffers ≥ 0, 1 ≤ DefaultCount ≤ MaxCount, MaxResults ≥ 1, ExportFileSize ≥ 1, ExportPollsBeforeReady ≥ 0.");
        }

        if (Clients.Any(c => c.AccessProfile is < 0 or > 5 || (c.AccessProfile == 0 ? string.IsNullOrEmpty(c.Secret) : string.IsNullOrEmpty(c.SubjectDn))))
        {
            throw new ArgumentException("Clients: profile 0 needs a secret, profiles 1–5 a subject DN.");
        }
    }
}
