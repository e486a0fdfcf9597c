namespace SanteGateway.Store.Entities;

/// <summary>
/// Something identity vigilance must look at: a collision (INSi returned an INS another identity holds), a verification
/// that did not confirm the stored INS, an INSi failure, a duplicate created by force. Resolved by a person, with a reason.
/// </summary>
public sealed class VigilanceAlert
{
    /// <summary>Row id.</summary>
    public Guid Id { get; set; }

    /// <summary>Kind: <c>collision</c>, <c>verification-mismatch</c>, <c>verification-not-found</c>, <c>insi-failure</c>, <c>duplicate-forced</c>.</summary>
    public string Kind { get; set; } = "";

    /// <summary>The identity concerned.</summary>
    public Guid IdentityId { get; set; }

    /// <summary>The other identity (collision, forced duplicate).</summary>
    public Guid? OtherIdentityId { get; set; }

    /// <summary>The INSi exchange that raised it.</summary>
    public Guid? ExchangeId { get; set; }

    /// <summary>Codes and ids only, never identity data.</summary>
    public string? Detail { get; set; }

    /// <summary>When it was raised.</summary>
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Who raised it (user, API key, job).</summary>
    public string CreatedBy { get; set; } = "";

    /// <summary>When it was resolved.</summary>
    public DateTimeOffset? ResolvedAt { get; set; }

    /// <summary>Who resolved it.</summary>
    public string? ResolvedBy { get; set; }

    /// <summary>The reason given when resolving it.</summary>
    public string? Resolution { get; set; }
}

/// <summary>An identifier of the person in another identification domain (IPP, a partner's patient id).</summary>
public sealed class ExternalIdentifier
{
    /// <summary>Row id.</summary>
    public Guid Id { get; set; }

    /// <summary>The local identity.</summary>
    public Guid IdentityId { get; set; }

    /// <summary>Assigning authority (OID or namespace of the domain).</summary>
    public string Authority { get; set; } = "";

    /// <summary>The identifier in that domain.</summary>
    public string Value { get; set; } = "";

    /// <summary>Kind, e.g. <c>PI</c> (IPP) or <c>partner</c>.</summary>
    public string Kind { get; set; } = "PI";

    /// <summary>When it was recorded.</summary>
    public DateTimeOffset CreatedAt { get; set; }
}
