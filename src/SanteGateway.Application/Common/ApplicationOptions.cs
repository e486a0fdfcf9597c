using SanteGateway.Identity;

namespace SanteGateway.Application;

/// <summary>Settings of the use cases (bound by the host from its configuration).</summary>
public sealed class ApplicationOptions
{
    /// <summary>Document types the structure accepts as high-trust evidence (no default: RNIV EXI ID 19).</summary>
    public IList<string> HighTrustDocuments { get; } = [];

    /// <summary>Which INS OIDs are accepted (production refuses test and demonstration OIDs).</summary>
    public InsPolicy InsPolicy { get; set; } = InsPolicy.Production;

    /// <summary>Certificate for calls a user triggers (default INSI-MANU).</summary>
    public InsiCertificate UserCallCertificate { get; set; } = InsiCertificate.Manual;

    /// <summary>Certificate for unattended calls: batch, inbound (default INSI-AUTO).</summary>
    public InsiCertificate AutomaticCallCertificate { get; set; } = InsiCertificate.Automatic;

    /// <summary>Largest first-name edit distance for two identities to be listed as potential duplicates.</summary>
    public int PotentialDuplicateFirstNameDistance { get; set; } = 2;

    /// <summary>The high-trust policy, or null while the structure has configured none (then nothing validates).</summary>
    public HighTrustDocumentPolicy? Policy => HighTrustDocuments.Count == 0 ? null : new(HighTrustDocuments);
}
