namespace SanteGateway.Application;

/// <summary>What triggered an action, which decides the INSi certificate (INSI-MANU for a user, INSI-AUTO otherwise).</summary>
public enum Trigger
{
    /// <summary>A person at a screen, or software acting on a person's explicit request (REST API).</summary>
    User,

    /// <summary>An unattended process: batch job, inbound message, scheduled check.</summary>
    Automatic,
}

/// <summary>Who is acting, for the rules (roles) and the audit trail.</summary>
/// <param name="Name">User name, API key name or job name.</param>
/// <param name="Source">Channel for the audit trail: <c>ui</c>, <c>api</c>, <c>batch</c>, <c>inbound</c>, <c>cli</c>.</param>
/// <param name="IsVigilance">Holds the identity-vigilance role.</param>
/// <param name="Trigger">User or automatic.</param>
public sealed record Actor(string Name, string Source, bool IsVigilance, Trigger Trigger = Trigger.User)
{
    /// <summary>
    /// FINESS of the establishment the actor acts for (its INSi/ROR/DMP calls present that establishment's certificates);
    /// null = the default establishment of the <see cref="EstablishmentDirectory"/>.
    /// </summary>
    public string? Establishment { get; init; }

    /// <summary>An unattended process acting with identity-vigilance rights on the RNIV rules it applies itself.</summary>
    /// <param name="name">Process name.</param>
    /// <param name="source">Audit source.</param>
    /// <returns>The actor.</returns>
    public static Actor Process(string name, string source) => new(name, source, IsVigilance: false, Trigger.Automatic);
}
