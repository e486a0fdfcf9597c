using Microsoft.EntityFrameworkCore;

namespace SanteGateway.Store.Entities;

/// <summary>States of a <see cref="DocumentSubmission"/>.</summary>
public static class DocumentSubmissionStates
{
    /// <summary>Recorded, the transport call is under way (or was interrupted: a retry re-sends the same uniqueId).</summary>
    public const string Sending = "sending";

    /// <summary>The registry (or the FHIR document manager) accepted the document.</summary>
    public const string Accepted = "accepted";

    /// <summary>The registry refused it for good (metadata, DMP state): fix and send again.</summary>
    public const string Refused = "refused";

    /// <summary>
    /// A transient failure (transport, timeout, server error, DMP state unreadable): the outbox worker sends it again at
    /// <see cref="DocumentSubmission.NextAttemptAt"/>, with exponential back-off.
    /// </summary>
    public const string Retrying = "retrying";

    /// <summary>Dead letter: transient failures until the attempts ran out. It may be re-sent as is (API, web UI, CLI).</summary>
    public const string Failed = "failed";
}

/// <summary>
/// One document sent (or being sent) to the shared record (DMP / Mon espace santé) for an identity, with the metadata
/// that went with it. Written before the transport call, updated with its outcome: nothing is sent without a row.
/// </summary>
public sealed class DocumentSubmission
{
    /// <summary>Id.</summary>
    public Guid Id { get; set; }

    /// <summary>The identity the document is about.</summary>
    public Guid IdentityId { get; set; }

    /// <summary>Transport: <c>xds</c> or <c>pdsm</c>.</summary>
    public string Transport { get; set; } = "";

    /// <summary>Document uniqueId (from the CDA <c>ClinicalDocument/id</c>).</summary>
    public string DocumentUniqueId { get; set; } = "";

    /// <summary>entryUUID of the document entry (symbolic id sent, kept for replacements).</summary>
    public string EntryUuid { get; set; } = "";

    /// <summary>Submission set uniqueId.</summary>
    public string SubmissionSetUniqueId { get; set; } = "";

    /// <summary>uniqueId of the document this one replaces (RPLC), if any.</summary>
    public string? ReplacesUniqueId { get; set; }

    /// <summary>typeCode (LOINC).</summary>
    public string TypeCode { get; set; } = "";

    /// <summary>classCode.</summary>
    public string ClassCode { get; set; } = "";

    /// <summary>MIME type.</summary>
    public string MimeType { get; set; } = "";

    /// <summary>SHA-1 of the content, lower-case hex (XDS <c>hash</c>).</summary>
    public string Hash { get; set; } = "";

    /// <summary>Size in bytes.</summary>
    public long Size { get; set; }

    /// <summary>The document as received (kept so that a failed submission can be sent again unchanged).</summary>
    public byte[] Content { get; set; } = [];

    /// <summary>The metadata sent, as JSON (codes and ids; the patient appears only as the INS CX).</summary>
    public string MetadataJson { get; set; } = "{}";

    /// <summary><see cref="DocumentSubmissionStates"/>.</summary>
    public string State { get; set; } = DocumentSubmissionStates.Sending;

    /// <summary>Transport calls made.</summary>
    public int Attempts { get; set; }

    /// <summary>
    /// <see cref="Attempts"/> when the current round of automatic retries began (0, or the count at a manual re-send): the
    /// worker gives up once <c>Attempts − RoundStartAttempts</c> reaches the configured maximum.
    /// </summary>
    public int RoundStartAttempts { get; set; }

    /// <summary>When the outbox worker may try again (state <see cref="DocumentSubmissionStates.Retrying"/>).</summary>
    public DateTimeOffset? NextAttemptAt { get; set; }

    /// <summary>Who holds the row while sending it (a request or a worker instance); others leave it alone until <see cref="LeaseUntil"/>.</summary>
    public string? LeaseOwner { get; set; }

    /// <summary>End of the lease: after it, a worker takes over a row whose sender died (state <c>sending</c>).</summary>
    public DateTimeOffset? LeaseUntil { get; set; }

    /// <summary>Error code of the last attempt (XDS <c>errorCode</c>, HTTP status, <c>transport</c>).</summary>
    public string? ErrorCode { get; set; }

    /// <summary>Error text of the last attempt (codes and registry wording, no identity data).</summary>
    public string? ErrorMessage { get; set; }

    /// <summary>Who asked for it.</summary>
    public string Actor { get; set; } = "";

    /// <summary>
    /// FINESS of the establishment the submission acts for, set when it is first made (the actor's establishment): every
    /// attempt, the outbox worker's retries included, presents that establishment's DMP certificate. Null = the default one.
    /// </summary>
    public string? Establishment { get; set; }

    /// <summary>First recorded.</summary>
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Last change.</summary>
    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>When the registry accepted it.</summary>
    public DateTimeOffset? AcceptedAt { get; set; }
}

/// <summary>Mapping of the document-sharing tables (kept here so the schema change of this feature stays in one file).</summary>
public static class DocumentModel
{
    /// <summary>Configures <see cref="DocumentSubmission"/>.</summary>
    /// <param name="builder">The model builder.</param>
    public static void Configure(ModelBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Entity<DocumentSubmission>(e =>
        {
            e.ToTable("document_submissions");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).ValueGeneratedNever();
            e.Property(x => x.Transport).HasMaxLength(8).IsRequired();
            e.Property(x => x.DocumentUniqueId).HasMaxLength(128).IsRequired();
            e.Property(x => x.EntryUuid).HasMaxLength(64).IsRequired();
            e.Property(x => x.SubmissionSetUniqueId).HasMaxLength(128).IsRequired();
            e.Property(x => x.ReplacesUniqueId).HasMaxLength(128);
            e.Property(x => x.TypeCode).HasMaxLength(64).IsRequired();
            e.Property(x => x.ClassCode).HasMaxLength(64).IsRequired();
            e.Property(x => x.MimeType).HasMaxLength(64).IsRequired();
            e.Property(x => x.Hash).HasMaxLength(40).IsRequired();
            e.Property(x => x.Content).IsRequired();
            e.Property(x => x.MetadataJson).IsRequired();
            e.Property(x => x.State).HasMaxLength(16).IsRequired();
            e.Property(x => x.ErrorCode).HasMaxLength(128);
            e.Property(x => x.ErrorMessage).HasMaxLength(2048);
            e.Property(x => x.Actor).HasMaxLength(128).IsRequired();
            e.Property(x => x.LeaseOwner).HasMaxLength(64);
            e.Property(x => x.Establishment).HasMaxLength(16);
            // A document (uniqueId) is submitted once per transport: a retry reuses the row, never a second one.
            e.HasIndex(x => new { x.Transport, x.DocumentUniqueId }).IsUnique();
            e.HasIndex(x => new { x.IdentityId, x.CreatedAt });
            e.HasIndex(x => new { x.State, x.NextAttemptAt });
        });
    }
}
