using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SanteGateway.Insi.Tests;

/// <summary>
/// A SoftHSM2 token in a temp dir standing in for a CPS card: the test key and certificate are imported with
/// softhsm2-util and pkcs11-tool (opensc). SOFTHSM2_CONF is set in the native environment of this process
/// (SoftHSM reads it when the module initialises), so one token serves the whole test run.
/// </summary>
internal static class SoftHsmToken
{
    public const string Module = "/usr/lib/softhsm/libsofthsm2.so";
    public const string Label = "insi-cps";
    public const string Pin = "1234";
    public const string KeyLabel = "cps";

    private static readonly Lazy<string> Dir = new(Create);
    private static readonly Lock Gate = new();
    private static readonly List<(string Label, X509Certificate2 Cert)> Imported = [];

    public static bool Available => File.Exists(Module);

    /// <summary>Imports <paramref name="certificateWithKey"/> under <paramref name="keyLabel"/> (once per label).</summary>
    public static void Import(X509Certificate2 certificateWithKey, string keyLabel)
    {
        var dir = Dir.Value;
        lock (Gate)
        {
            if (Imported.Any(i => i.Label == keyLabel))
            {
                return;
            }

            using var rsa = certificateWithKey.GetRSAPrivateKey()!;
            var keyPath = Path.Combine(dir, keyLabel + ".key.pem");
            var certPath = Path.Combine(dir, keyLabel + ".cer");
            File.WriteAllText(keyPath, rsa.ExportPkcs8PrivateKeyPem());
            File.WriteAllBytes(certPath, certificateWithKey.RawData);
            var id = (Imported.Count + 1).ToString("X2");
            Run("softhsm2-util", $"--import {keyPath} --token {Label} --label {keyLabel} --id {id} --pin {Pin}", dir);
            Run("pkcs11-tool", $"--module {Module} --token-label {Label} --login --pin {Pin} --write-object {certPath} --type cert --label {keyLabel} --id {id}", dir);
            File.Delete(keyPath);
            Imported.Add((keyLabel, certificateWithKey));
        }
    }

    private static string Create()
    {
        var dir = Path.Combine(Path.GetTempPath(), "insi-softhsm-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(dir, "tokens"));
        var conf = Path.Combine(dir, "softhsm2.conf");
        File.WriteAllText(conf, $"directories.tokendir = {Path.Combine(dir, "tokens")}\nobjectstore.backend = file\nlog.level = ERROR\n");
        if (NativeMethods.setenv("SOFTHSM2_CONF", conf, 1) != 0)
        {
            throw new InvalidOperationException("setenv failed");
        }

        Environment.SetEnvironmentVariable("SOFTHSM2_CONF", conf);
        Run("softhsm2-util", $"--init-token --free --label {Label} --so-pin 12345678 --pin {Pin}", dir);
        return dir;
    }

    private static void Run(string tool, string args, string dir)
    {
        var psi = new ProcessStartInfo(tool, args) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = dir };
        psi.Environment["SOFTHSM2_CONF"] = Path.Combine(dir, "softhsm2.conf");
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"{tool} {args} failed: {output}");
        }
    }

    /// <summary>A CPS-like certificate (CN = PS id, GIP card-type extension = 0 → CPS) signed by <paramref name="issuer"/> or self-signed.</summary>
    public static X509Certificate2 CreateCpsCertificate(string psId, X509Certificate2? issuer = null)
    {
        using var key = RSA.Create(2048);
        var req = new CertificateRequest($"CN={psId}, SN=INFIRMCS TEST, G=OLIVIER, T=Infirmier, C=FR", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.NonRepudiation, true));
        req.CertificateExtensions.Add(new X509Extension("1.2.250.1.71.1.2.2", [0x02, 0x01, 0x00], false));
        X509Certificate2 cert;
        if (issuer is null)
        {
            cert = req.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        }
        else
        {
            using var signed = req.Create(issuer, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30), RandomNumberGenerator.GetBytes(10));
            cert = signed.CopyWithPrivateKey(key);
        }

        return X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pkcs12, "x"), "x", X509KeyStorageFlags.Exportable);
    }

    private static class NativeMethods
    {
        [DllImport("libc", CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
#pragma warning disable SYSLIB1054, CA2101 // test-only libc call; ANSI is right for setenv.
        internal static extern int setenv(string name, string value, int overwrite);
#pragma warning restore SYSLIB1054, CA2101
    }
}
