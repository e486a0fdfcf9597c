namespace SanteGateway.Application;

/// <summary>
/// The establishment the current flow acts for, for the transports whose ports carry no actor (ROR, document sharing):
/// the host enters it for each request from the signed-in user's establishment, and background work enters the
/// establishment of the job or partner it runs for. INSi calls take it from <see cref="Actor.Establishment"/> instead.
/// </summary>
public static class EstablishmentContext
{
    private static readonly AsyncLocal<string?> Ambient = new();

    /// <summary>FINESS of the establishment the current flow acts for; null = the default establishment.</summary>
    public static string? Current => Ambient.Value;

    /// <summary>Acts for <paramref name="finess"/> until the returned scope is disposed (the previous value comes back).</summary>
    /// <param name="finess">FINESS, or null for the default establishment.</param>
    /// <returns>The scope.</returns>
    public static IDisposable Enter(string? finess)
    {
        var previous = Ambient.Value;
        Ambient.Value = string.IsNullOrWhiteSpace(finess) ? null : finess.Trim();
        return new Scope(previous);
    }

    private sealed class Scope(string? previous) : IDisposable
    {
        private bool disposed;

        public void Dispose()
        {
            if (!disposed)
            {
                disposed = true;
                Ambient.Value = previous;
            }
        }
    }
}

/// <summary>The claim that binds a signed-in user or an API key to the establishment it acts for.</summary>
public static class EstablishmentClaims
{
    /// <summary>Claim type; its value is the FINESS of the establishment.</summary>
    public const string Type = "santegw:establishment";

    /// <summary>The establishment a principal acts for, or null (the default establishment).</summary>
    /// <param name="principal">The principal.</param>
    /// <returns>Its FINESS.</returns>
    public static string? Of(System.Security.Claims.ClaimsPrincipal? principal) =>
        principal?.FindFirst(Type)?.Value is { Length: > 0 } v ? v.Trim() : null;
}
