using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Security.Cryptography.X509Certificates;

namespace SanteGateway.Documents.Tests;

/// <summary>
/// A SoftHSM2 token in a temporary folder standing in for the professional's CPS card: the sandbox PKI's CPS key and
/// certificate are imported with softhsm2-util and pkcs11-tool (opensc). SOFTHSM2_CONF is set in this process's native
/// environment (SoftHSM reads it when the module initialises), so one token serves the whole test run.
/// </summary>
internal static class SoftHsmCard
{
    public const string Module = "/usr/lib/softhsm/libsofthsm2.so";
    public const string Label = "docs-cps";
    public const string Pin = "4321";
    public const string KeyLabel = "cps-signature";

    private static readonly Lock Gate = new();
    private static string? dir;

    public static bool Available => File.Exists(Module) && Tool("softhsm2-util") && Tool("pkcs11-tool");

    /// <summary>Creates the token once and imports <paramref name="certificateWithKey"/> (the first call wins).</summary>
    public static void Ensure(X509Certificate2 certificateWithKey)
    {
        lock (Gate)
        {
            if (dir is not null)
            {
                return;
            }

            var d = Path.Combine(Path.GetTempPath(), "docs-softhsm-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(Path.Combine(d, "tokens"));
            var conf = Path.Combine(d, "softhsm2.conf");
            File.WriteAllText(conf, $"directories.tokendir = {Path.Combine(d, "tokens")}\nobjectstore.backend = file\nlog.level = ERROR\n");
            if (NativeMethods.setenv("SOFTHSM2_CONF", conf, 1) != 0)
            {
                throw new InvalidOperationException("setenv failed");
            }

            Environment.SetEnvironmentVariable("SOFTHSM2_CONF", conf);
            Run("softhsm2-util", $"--init-token --free --label {Label} --so-pin 87654321 --pin {Pin}", d);
            using var rsa = certificateWithKey.GetRSAPrivateKey()!;
            var keyPath = Path.Combine(d, "cps.key.pem");
            var certPath = Path.Combine(d, "cps.cer");
            File.WriteAllText(keyPath, rsa.ExportPkcs8PrivateKeyPem());
            File.WriteAllBytes(certPath, certificateWithKey.RawData);
            Run("softhsm2-util", $"--import {keyPath} --token {Label} --label {KeyLabel} --id 01 --pin {Pin}", d);
            Run("pkcs11-tool", $"--module {Module} --token-label {Label} --login --pin {Pin} --write-object {certPath} --type cert --label {KeyLabel} --id 01", d);
            File.Delete(keyPath);
            dir = d;
        }
    }

    private static bool Tool(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':').Any(p => File.Exists(Path.Combine(p, name)));

    private static void Run(string tool, string args, string workDir)
    {
        var psi = new ProcessStartInfo(tool, args) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workDir };
        psi.Environment["SOFTHSM2_CONF"] = Path.Combine(workDir, "softhsm2.conf");
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"{tool} {args} failed: {output}");
        }
    }

    private static class NativeMethods
    {
        [DllImport("libc", CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
#pragma warning disable SYSLIB1054, CA2101 // test-only libc call; ANSI is right for setenv.
        internal static extern int setenv(string name, string value, int overwrite);
#pragma warning restore SYSLIB1054, CA2101
    }
}
