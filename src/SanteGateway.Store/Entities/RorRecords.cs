using Microsoft.EntityFrameworkCore;

namespace SanteGateway.Store.Entities;

/// <summary>
/// One resource of the national ROR mirrored locally (ROROrganization, RORHealthcareService, RORLocation,
/// RORPractitioner, RORPractitionerRole): the resource as received (FHIR JSON) plus the columns the local search uses.
/// </summary>
public sealed class RorResource
{
    /// <summary>FHIR resource type (<c>Organization</c>, <c>HealthcareService</c>, <c>Location</c>, <c>Practitioner</c>, <c>PractitionerRole</c>).</summary>
    public string ResourceType { get; set; } = "";

    /// <summary>Logical id in the ROR.</summary>
    public string ResourceId { get; set; } = "";

    /// <summary><c>meta.versionId</c>.</summary>
    public string? VersionId { get; set; }

    /// <summary><c>meta.lastUpdated</c> (UTC ticks): drives the deltas and refuses older copies.</summary>
    public long LastUpdatedTicks { get; set; }

    /// <summary>The resource as the ROR served it (FHIR JSON).</summary>
    public string Json { get; set; } = "";

    /// <summary>Display name (organisation, offer, location, practitioner).</summary>
    public string? Name { get; set; }

    /// <summary>Name in search form: upper case, no accents, single spaces.</summary>
    public string? NameKey { get; set; }

    /// <summary>Main identifier (idNatStruct / FINESS, offer id, external sync id, idNatPs).</summary>
    public string? Identifier { get; set; }

    /// <summary>Organization it hangs from: partOf, providedBy, managingOrganization, PractitionerRole.organization.</summary>
    public string? OrganizationId { get; set; }

    /// <summary>First Location of an offer, Location.partOf, or PractitionerRole.location.</summary>
    public string? LocationId { get; set; }

    /// <summary>Offer of a PractitionerRole.</summary>
    public string? ServiceId { get; set; }

    /// <summary>Practitioner of a PractitionerRole.</summary>
    public string? PractitionerId { get; set; }

    /// <summary>INSEE (COG) commune code (on an offer: its place's, copied by the synchronisation).</summary>
    public string? CommuneCode { get; set; }

    /// <summary>Commune name in search form (on an offer: its place's).</summary>
    public string? CityKey { get; set; }

    /// <summary>Postal code (on an offer: its place's).</summary>
    public string? PostalCode { get; set; }

    /// <summary>Codes searched by activity, framed by bars: <c>|224|1001|</c> (operational activities, categories, types).</summary>
    public string? Codes { get; set; }

    /// <summary>Neutral summary for display (JSON written by the application: labels, address, capacities).</summary>
    public string? Summary { get; set; }

    /// <summary>Region tag (<c>meta.tag</c> TRE_R30).</summary>
    public string? Region { get; set; }

    /// <summary>Full synchronisation run that last saw it (a full run deletes rows it did not see).</summary>
    public long SeenInRun { get; set; }

    /// <summary>When the gateway stored this version (UTC ticks).</summary>
    public long SyncedAtTicks { get; set; }

    /// <summary>
    /// Validation of this version against its ROR profile: null (not validated: sampled out or validation off),
    /// <c>pending</c> (stored, validation to come), <c>valid</c> or <c>invalid</c>. Reset whenever a newer copy is stored.
    /// An invalid resource is kept and searchable: the flag is for the publisher, the national data stays the reference.
    /// </summary>
    public string? ValidationStatus { get; set; }

    /// <summary>The first errors of an invalid resource, one per line (<c>location: message</c>), at most 1024 characters.</summary>
    public string? ValidationIssues { get; set; }

    /// <summary>When this version was validated (UTC ticks).</summary>
    public long? ValidatedAtTicks { get; set; }
}

/// <summary>
/// One search key of a mirrored offer or organisation, written by the synchronisation with the resource (so that the offer
/// search reads an index instead of testing substrings over every row). Kinds: <c>a</c> operational activity code of an offer,
/// <c>s</c> token of an offer's codes and labels, <c>n</c> word of an offer's name, <c>g</c> word of its organisation's name
/// (copied onto the offer), <c>o</c> word of an organisation's name (<see cref="ResourceId"/> is then the organisation's id).
/// </summary>
public sealed class RorSearchKey
{
    /// <summary>Kind of key (<c>a</c>, <c>s</c>, <c>n</c>, <c>g</c>, <c>o</c>).</summary>
    public string Kind { get; set; } = "";

    /// <summary>The code or word, in search form (words as in <see cref="RorResource.NameKey"/>).</summary>
    public string Key { get; set; } = "";

    /// <summary>The offer (or, for kind <c>o</c>, the organisation) it belongs to.</summary>
    public string ResourceId { get; set; } = "";
}

/// <summary>
/// The distinct words and tokens of the search keys (kind <c>n</c>: names of offers and organisations; <c>s</c>: codes and
/// labels). A search for part of a word looks here first (a small table), then reads the keys of the words found.
/// </summary>
public sealed class RorSearchWord
{
    /// <summary><c>n</c> or <c>s</c>.</summary>
    public string Kind { get; set; } = "";

    /// <summary>The word.</summary>
    public string Word { get; set; } = "";
}

/// <summary>
/// State of the ROR synchronisation (one row, id 1): the lease that keeps it to one instance at a time, the running
/// full load (its export job and the files already stored, so that it resumes) and the high-water mark of the deltas.
/// </summary>
public sealed class RorSyncState
{
    /// <summary>Always 1.</summary>
    public int Id { get; set; }

    /// <summary>Instance holding the lease, or null.</summary>
    public string? LeaseOwner { get; set; }

    /// <summary>Lease end (UTC ticks); an expired lease may be taken by another instance.</summary>
    public long LeaseUntilTicks { get; set; }

    /// <summary><c>idle</c>, <c>full</c> or <c>delta</c> (what is running, or was interrupted).</summary>
    public string Phase { get; set; } = "idle";

    /// <summary>Number of the current or last full run.</summary>
    public long RunNumber { get; set; }

    /// <summary>Status URL of the export job of an unfinished full run (resumed after a crash).</summary>
    public string? ExportJob { get; set; }

    /// <summary>Files of that export already stored (count, in manifest order).</summary>
    public int ExportFilesDone { get; set; }

    /// <summary>Instant from which the next delta asks for changes (UTC ticks; 0 = never synchronised).</summary>
    public long SinceTicks { get; set; }

    /// <summary>Start of the current or last run (UTC ticks).</summary>
    public long StartedAtTicks { get; set; }

    /// <summary>End of the last successful run (UTC ticks).</summary>
    public long? SucceededAtTicks { get; set; }

    /// <summary>End of the last successful full run (UTC ticks).</summary>
    public long? LastFullAtTicks { get; set; }

    /// <summary>Kind of the last successful run (<c>full</c> or <c>delta</c>).</summary>
    public string? LastKind { get; set; }

    /// <summary>Resources stored by the last run.</summary>
    public int LastStored { get; set; }

    /// <summary>Resources deleted by the last run.</summary>
    public int LastDeleted { get; set; }

    /// <summary>Resources validated against the ROR profiles by the last run.</summary>
    public int LastValidated { get; set; }

    /// <summary>Of those, the ones found invalid.</summary>
    public int LastInvalid { get; set; }

    /// <summary>Last failure (when the last run failed), or null.</summary>
    public string? LastError { get; set; }

    /// <summary>When the last failure happened (UTC ticks).</summary>
    public long? FailedAtTicks { get; set; }
}

/// <summary>EF mapping of the ROR mirror tables.</summary>
public static class RorModel
{
    /// <summary>Maps <see cref="RorResource"/>, the search keys and <see cref="RorSyncState"/>.</summary>
    /// <param name="builder">Model builder.</param>
    public static void Configure(ModelBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Entity<RorResource>(e =>
        {
            e.ToTable("ror_resources");
            e.HasKey(x => new { x.ResourceType, x.ResourceId });
            e.Property(x => x.ResourceType).HasMaxLength(32);
            e.Property(x => x.ResourceId).HasMaxLength(128);
            e.Property(x => x.VersionId).HasMaxLength(64);
            e.Property(x => x.Json).IsRequired();
            e.Property(x => x.Name).HasMaxLength(512);
            e.Property(x => x.NameKey).HasMaxLength(512);
            e.Property(x => x.Identifier).HasMaxLength(128);
            e.Property(x => x.OrganizationId).HasMaxLength(128);
            e.Property(x => x.LocationId).HasMaxLength(128);
            e.Property(x => x.ServiceId).HasMaxLength(128);
            e.Property(x => x.PractitionerId).HasMaxLength(128);
            e.Property(x => x.CommuneCode).HasMaxLength(16);
            e.Property(x => x.CityKey).HasMaxLength(128);
            e.Property(x => x.PostalCode).HasMaxLength(16);
            e.Property(x => x.Codes).HasMaxLength(2048);
            e.Property(x => x.Region).HasMaxLength(8);
            // Local search: by type and name, by commune, by parent; the full run deletes by run number.
            // With the id, so that an offer page ordered by name is read from the index alone.
            e.HasIndex(x => new { x.ResourceType, x.NameKey, x.ResourceId });
            e.HasIndex(x => new { x.ResourceType, x.CommuneCode });
            // Offer rows carry their place's commune (copied by the sync): the search by commune is an index read.
            e.HasIndex(x => new { x.ResourceType, x.PostalCode });
            e.HasIndex(x => new { x.ResourceType, x.CityKey });
            e.HasIndex(x => new { x.ResourceType, x.OrganizationId });
            e.HasIndex(x => new { x.ResourceType, x.LocationId });
            e.HasIndex(x => new { x.ResourceType, x.ServiceId });
            e.HasIndex(x => x.SeenInRun);
            e.Property(x => x.ValidationStatus).HasMaxLength(16);
            e.Property(x => x.ValidationIssues).HasMaxLength(1024);
            // Partial indexes (same SQL on both providers): the validation pass reads the pending rows and the status counts the
            // invalid ones without a scan, while the bulk load of rows that are not validated writes no index entry at all.
            e.HasIndex(x => new { x.ResourceType, x.ResourceId }, "IX_ror_resources_validation_pending").HasFilter("\"ValidationStatus\" = 'pending'");
            e.HasIndex(x => new { x.ResourceType, x.ResourceId }, "IX_ror_resources_validation_invalid").HasFilter("\"ValidationStatus\" = 'invalid'");
        });
        builder.Entity<RorSearchKey>(e =>
        {
            e.ToTable("ror_search_keys");
            // The key read by the search: (kind, key) gives the offers; the id index serves the rewrite of one resource's keys.
            e.HasKey(x => new { x.Kind, x.Key, x.ResourceId });
            e.Property(x => x.Kind).HasMaxLength(1);
            e.Property(x => x.Key).HasMaxLength(400);
            e.Property(x => x.ResourceId).HasMaxLength(128);
            e.HasIndex(x => x.ResourceId);
        });
        builder.Entity<RorSearchWord>(e =>
        {
            e.ToTable("ror_search_words");
            e.HasKey(x => new { x.Kind, x.Word });
            e.Property(x => x.Kind).HasMaxLength(1);
            e.Property(x => x.Word).HasMaxLength(400);
        });
        builder.Entity<RorSyncState>(e =>
        {
            e.ToTable("ror_sync_state");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).ValueGeneratedNever();
            e.Property(x => x.LeaseOwner).HasMaxLength(128);
            e.Property(x => x.Phase).HasMaxLength(16).IsRequired();
            e.Property(x => x.ExportJob).HasMaxLength(2048);
            e.Property(x => x.LastKind).HasMaxLength(16);
            e.Property(x => x.LastError).HasMaxLength(1024);
            // The single row exists from the migration on, so taking the lease is one conditional UPDATE.
            e.HasData(new RorSyncState { Id = 1 });
        });
    }
}
