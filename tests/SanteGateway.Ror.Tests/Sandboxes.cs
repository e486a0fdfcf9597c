using SanteGateway.Ror.Sandbox;
using SanteGateway.Ror.Sandbox.Pki;

namespace SanteGateway.Ror.Tests;

/// <summary>Starts ROR sandboxes over one PKI made once per test run (RSA key generation is the slow part).</summary>
internal static class Sandboxes
{
    private static readonly Lazy<(string Dir, string Password)> Pki = new(() =>
    {
        var dir = Path.Combine(Path.GetTempPath(), "santegw-ror-tests-" + Environment.ProcessId);
        var password = RorSandboxPki.Create(dir, "ror-test-password", force: true);
        return (dir, password);
    });

    public static string PkiDirectory => Pki.Value.Dir;

    public static string Password => Pki.Value.Password;

    public static Task<RorSandboxServer> StartAsync(Action<RorSandboxOptions>? configure = null, TimeProvider? time = null)
    {
        var options = new RorSandboxOptions { PkiDirectory = Pki.Value.Dir, Password = Pki.Value.Password, GeneratedOffers = 40, CreatePki = false };
        configure?.Invoke(options);
        return RorSandboxServer.StartAsync(options, time, TestContext.Current.CancellationToken);
    }
}
