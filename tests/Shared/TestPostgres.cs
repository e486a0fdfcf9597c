namespace SanteGateway.Testing;

/// <summary>
/// Connection settings for the real PostgreSQL the test script starts. In CI a missing server is a failure,
/// never a silent skip: the PostgreSQL half of the suite must run.
/// </summary>
internal static class TestPostgres
{
    /// <summary>The admin connection string (SANTEGW_TEST_POSTGRES), or null when no server was provided.</summary>
    public static string? ConnectionString => Environment.GetEnvironmentVariable("SANTEGW_TEST_POSTGRES");

    /// <summary>True when running under CI, where every provider must be exercised.</summary>
    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);
}
