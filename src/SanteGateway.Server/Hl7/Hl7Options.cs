namespace SanteGateway.Server.Hl7;

/// <summary>HL7 v2 settings (configuration section <c>Hl7</c>).</summary>
public sealed class Hl7Options
{
    /// <summary>The configuration section name.</summary>
    public const string Section = "Hl7";

    /// <summary>MSH-3 of the messages this gateway sends.</summary>
    public string SendingApplication { get; set; } = "SANTEGW";

    /// <summary>MSH-4 of the messages this gateway sends.</summary>
    public string? SendingFacility { get; set; }

    /// <summary>Assigning authority of the gateway's own patient ids (the IPP sent in PID-3 and MRG-1).</summary>
    public string LocalAuthority { get; set; } = "SANTEGW";

    /// <summary>MSH-11: <c>P</c> production, <c>T</c> training, <c>D</c> debugging.</summary>
    public string ProcessingId { get; set; } = "P";

    /// <summary>Partners that receive the identity feed (A28/A31/A47/A40) over MLLP.</summary>
    public IList<Hl7SubscriberOptions> Subscribers { get; } = [];

    /// <summary>Outbox delivery settings.</summary>
    public Hl7DeliveryOptions Delivery { get; set; } = new();

    /// <summary>The inbound MLLP listener (off unless <see cref="Hl7ListenerSettings.Port"/> is set).</summary>
    public Hl7ListenerSettings Listener { get; set; } = new();

    /// <summary>The inbound file-drop folder (off unless <see cref="Hl7FileDropSettings.Folder"/> is set).</summary>
    public Hl7FileDropSettings FileDrop { get; set; } = new();
}

/// <summary>The inbound file-drop transport (<c>Hl7:FileDrop</c>): a watched folder with <c>processing/</c>, <c>done/</c> and <c>error/</c> inside.</summary>
public sealed class Hl7FileDropSettings
{
    /// <summary>The folder partners drop files into; null (the default) keeps the transport off. The sub-folders are created
    /// inside it, so every move is a rename on one file system (atomic).</summary>
    public string? Folder { get; set; }

    /// <summary>Which file names are taken (<c>*</c>); names starting with a dot or ending in <c>.tmp</c> or <c>.part</c> never are
    /// (partners write under such a name, then rename).</summary>
    public string Pattern { get; set; } = "*";

    /// <summary>How often the folder is looked at.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>A file claimed longer ago than this and still in <c>processing/</c> (its instance died) is taken over.</summary>
    public TimeSpan RecoverAfter { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Files taken per pass.</summary>
    public int BatchSize { get; set; } = 100;

    /// <summary>Largest file stored as a message; a larger one is recorded as refused and moved to <c>error/</c>.</summary>
    public int MaxMessageBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>The inbound partner (<c>Inbound:Partners</c> or a stored partner) whose folder this is: every file goes through
    /// the inbound gate (stored, decided, delivered); null keeps the plain HL7 intake (<c>received_messages</c>).</summary>
    public string? Partner { get; set; }

    /// <summary>Partner by sending facility (MSH-4.1 namespace or MSH-4.2 OID), looked up before <see cref="Partner"/>.</summary>
    public IDictionary<string, string> PartnersBySendingFacility { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
}

/// <summary>One MLLP subscriber (<c>Hl7:Subscribers:N</c>).</summary>
public sealed class Hl7SubscriberOptions
{
    /// <summary>A stable name: the outbox destination (rename = new destination).</summary>
    public string Name { get; set; } = "";

    /// <summary>Host of the partner.</summary>
    public string Host { get; set; } = "";

    /// <summary>Port of the partner.</summary>
    public int Port { get; set; }

    /// <summary>Use TLS (server certificate checked against the system's trust store).</summary>
    public bool Tls { get; set; }

    /// <summary>MSH-5 for this partner.</summary>
    public string? ReceivingApplication { get; set; }

    /// <summary>MSH-6 for this partner.</summary>
    public string? ReceivingFacility { get; set; }

    /// <summary>Seconds to wait for the connection and for each ACK.</summary>
    public double AckTimeoutSeconds { get; set; } = 30;

    /// <summary>False to stop enqueuing for this partner (messages already queued are still delivered).</summary>
    public bool Enabled { get; set; } = true;
}

/// <summary>Outbox delivery: polling, retries with back-off, dead letters.</summary>
public sealed class Hl7DeliveryOptions
{
    /// <summary>How often due messages are looked for.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Attempts before a message becomes a dead letter.</summary>
    public int MaxAttempts { get; set; } = 12;

    /// <summary>Delay after the first failure; doubled at each further failure.</summary>
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Longest delay between attempts.</summary>
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Messages read per poll.</summary>
    public int BatchSize { get; set; } = 100;

    /// <summary>How long a worker's claim on a message lasts (at least two ACK waits plus 10 s): after it, another gateway
    /// instance on the same database may take over a message whose worker died mid-attempt.</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromMinutes(2);
}

/// <summary>The inbound MLLP listener opened by <c>santegw serve</c> (<c>Hl7:Listener</c>).</summary>
public sealed class Hl7ListenerSettings
{
    /// <summary>Port to listen on; null (the default) keeps the listener closed.</summary>
    public int? Port { get; set; }

    /// <summary>Address to listen on (loopback by default).</summary>
    public string Address { get; set; } = "127.0.0.1";

    /// <summary>PKCS#12 file of the server certificate: when set, connections are TLS.</summary>
    public string? CertificatePath { get; set; }

    /// <summary>Password of <see cref="CertificatePath"/>.</summary>
    public string? CertificatePassword { get; set; }

    /// <summary>Require a client certificate (mutual TLS).</summary>
    public bool RequireClientCertificate { get; set; }

    /// <summary>Largest message accepted, in bytes.</summary>
    public int MaxMessageBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>The inbound partner of every message on this listener that <see cref="PartnersBySendingFacility"/> does not
    /// name: such messages go through the inbound gate (stored, decided, ACK per decision). Null: messages of no partner keep
    /// the plain HL7 intake (<c>received_messages</c>, AA once stored).</summary>
    public string? Partner { get; set; }

    /// <summary>Partner by sending facility (MSH-4.1 namespace or MSH-4.2 OID): one listener serves several domains.</summary>
    public IDictionary<string, string> PartnersBySendingFacility { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
}
