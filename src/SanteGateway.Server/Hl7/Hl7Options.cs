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
}
