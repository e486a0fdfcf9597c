using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SanteGateway.Application;
using SanteGateway.Insi;
using SanteGateway.Insi.Sandbox;
using SanteGateway.Insi.Sandbox.Pki;
using SanteGateway.Server.Insi;
using SanteGateway.Testing;

namespace SanteGateway.Conformance.Tests;

/// <summary>A test PKI and the built-in INSi sandbox on an ephemeral port, shared by the tests of a class.</summary>
public sealed class SandboxFixture : IAsyncLifetime
{
    private const string Password = "cnda-test-password";

    public string Pki { get; } = Path.Combine(Path.GetTempPath(), "santegw-cnda-pki-" + Guid.NewGuid().ToString("N"));

    public InsiSandboxServer Server { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        TestPki.Create(Pki, Password, force: false);
        Server = await InsiSandboxServer.StartAsync(new InsiSandboxOptions { PkiDirectory = Pki, Password = Password });
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        Directory.Delete(Pki, recursive: true);
    }

    /// <summary>The sandbox as a conformance target, with the CNDA files of shared/data/insi/cnda.</summary>
    public ConformanceTarget Target(string? cndaFiles = null)
    {
        var target = new ConformanceTarget
        {
            Endpoint = Server.Endpoint,
            IsSandbox = true,
            Idam = InsiSandboxOptions.DefaultIdam,
            AutomaticCertificatePath = Path.Combine(Pki, TestPki.InsiAutoP12File),
            AutomaticCertificatePassword = Password,
            ManualCertificatePath = Path.Combine(Pki, TestPki.InsiManuP12File),
            ManualCertificatePassword = Password,
            WrongCnCertificatePath = Path.Combine(Pki, TestPki.OtherP12File),
            WrongCnCertificatePassword = Password,
            CndaFilesDirectory = cndaFiles ?? TestPaths.SharedFile("data", "insi", "cnda"),
        };
        target.TrustedCaPaths.Add(Path.Combine(Pki, TestPki.CaPemFile));
        return target;
    }

    /// <summary>The product's port, as the gateway builds it.</summary>
    public static IInsiPort ProductPort(InsiClientOptions options) =>
        new InsiClientPort(Options.Create(options), NullLoggerFactory.Instance, TimeProvider.System);
}
