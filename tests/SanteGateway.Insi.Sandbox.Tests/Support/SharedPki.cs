using System.Security.Cryptography.X509Certificates;
using SanteGateway.Insi.Sandbox.Pki;

namespace SanteGateway.Insi.Sandbox.Tests.Support;

/// <summary>One test PKI for the whole test run (RSA key generation is the slow part).</summary>
internal static class SharedPki
{
    public const string Password = "sandbox-test-password";

    private static readonly Lazy<string> Dir = new(() =>
    {
        var dir = Path.Combine(Path.GetTempPath(), "santegw-sandbox-tests-" + Guid.NewGuid().ToString("N"));
        TestPki.Create(dir, Password, force: false);
        return dir;
    });

    public static string Directory => Dir.Value;

    public static X509Certificate2 Load(string file) => TestPki.LoadP12(Directory, file, Password);

    public static X509Certificate2 Ca => TestPki.LoadCa(Directory);
}
