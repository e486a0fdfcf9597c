using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;
using SanteGateway.Insi.Sandbox.Pki;
using SanteGateway.Testing;

namespace SanteGateway.Cli.Tests;

/// <summary>
/// <c>cert request</c> with the key pair generated on a PKCS#11 token (SoftHSM2 standing in for an HSM): the request is
/// signed on the token, the private key is created there sensitive and non-extractable, the PIN never comes from the
/// command line.
/// </summary>
[Collection("ins-cli console")]
public sealed class CertRequestTokenTests : IDisposable
{
    private const string Module = "/usr/lib/softhsm/libsofthsm2.so";
    private const string Pin = "246810";
    private const string PinEnv = "SANTEGW_CERT_TOKEN_PIN";
    private readonly string dir = Directory.CreateTempSubdirectory("santegw-token-").FullName;
    private readonly string label = "santegw-" + Guid.NewGuid().ToString("N")[..8];

    public CertRequestTokenTests()
    {
        Environment.SetEnvironmentVariable(PinEnv, Pin);
    }

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private string Out => Path.Combine(dir, "req");

    private void CreateToken()
    {
        Directory.CreateDirectory(Path.Combine(dir, "tokens"));
        var conf = Path.Combine(dir, "softhsm2.conf");
        File.WriteAllText(conf, $"directories.tokendir = {Path.Combine(dir, "tokens")}\nobjectstore.backend = file\nlog.level = ERROR\n");
        // SoftHSM reads SOFTHSM2_CONF from the native environment when the module initialises.
        NativeMethods.setenv("SOFTHSM2_CONF", conf, 1).Should().Be(0);
        var psi = new ProcessStartInfo("softhsm2-util", $"--init-token --free --label {label} --so-pin 12345678 --pin {Pin}") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.Environment["SOFTHSM2_CONF"] = conf;
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        p.ExitCode.Should().Be(0, output);
    }

    private Task<(int Exit, string Out, string Err)> Request(string outDir, params string[] extra) => RequestOn(label, outDir, extra);

    private static Task<(int Exit, string Out, string Err)> RequestOn(string token, string outDir, params string[] extra) =>
        CliRunner.RunAsync(["cert", "request", "--use", "org", "--cn", "SANTEGW-INSTANCE-1", "--organisation", "CENTRE DE SANTE TEST", "--finess", "690000123",
            "--out-dir", outDir, "--pkcs11-module", Module, "--token-label", token, "--name", "org-lyon", .. extra]);

    [Fact]
    public async Task A_request_made_on_a_token_is_signed_there_and_its_private_key_is_created_sensitive_and_never_leaves_the_token()
    {
        Assert.SkipUnless(File.Exists(Module), "SoftHSM2 is not installed (.ci/run installs it)");
        CreateToken();

        var (exit, stdout, stderr) = await Request(Out, "--pin-env", PinEnv);

        exit.Should().Be(0, stderr);
        Directory.GetFiles(Out).Select(Path.GetFileName).Should().Equal(["org-lyon.csr.pem"], "no key file: the key stays on the token");
        // Loading checks the request's signature: made on the token with the token's key.
        var request = CertificateRequest.LoadSigningRequestPem(await File.ReadAllTextAsync(Path.Combine(Out, "org-lyon.csr.pem"), TestContext.Current.CancellationToken),
            HashAlgorithmName.SHA256, CertificateRequestLoadOptions.UnsafeLoadCertificateExtensions, RSASignaturePadding.Pkcs1);
        request.SubjectName.Name.Should().Be("CN=SANTEGW-INSTANCE-1, OU=1690000123, O=CENTRE DE SANTE TEST, C=FR");
        stdout.Should().Contain($"on token '{label}', label 'org-lyon'");
        var csrModulus = request.PublicKey.GetRSAPublicKey()!.ExportParameters(false).Modulus;

        var factories = new Pkcs11InteropFactories();
        using (var library = factories.Pkcs11LibraryFactory.LoadPkcs11Library(factories, Module, AppType.MultiThreaded))
        {
            var slot = library.GetSlotList(SlotsType.WithTokenPresent).Single(s => s.GetTokenInfo().Label.Trim() == label);
            using var session = slot.OpenSession(SessionType.ReadOnly);
            session.Login(CKU.CKU_USER, Pin);
            var a = session.Factories.ObjectAttributeFactory;
            var key = session.FindAllObjects([a.Create(CKA.CKA_CLASS, CKO.CKO_PRIVATE_KEY), a.Create(CKA.CKA_LABEL, "org-lyon")]).Single();
            var attributes = session.GetAttributeValue(key, [CKA.CKA_SENSITIVE, CKA.CKA_EXTRACTABLE, CKA.CKA_MODULUS]);
            attributes[0].GetValueAsBool().Should().BeTrue("the private key is sensitive");
            attributes[1].GetValueAsBool().Should().BeFalse("the private key cannot be exported");
            attributes[2].GetValueAsByteArray().Should().Equal(csrModulus, "the request carries the token's key");

            // The CA signs the request; what the token signs verifies with the issued certificate.
            using var caKey = RSA.Create(2048);
            using var ca = new CertificateRequest("CN=TEST AC IGC-SANTE", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1).CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(3));
            using var issued = request.Create(ca.SubjectName, X509SignatureGenerator.CreateForRSA(caKey, RSASignaturePadding.Pkcs1), DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(3), [1, 2, 3]);
            var data = "données signées par le jeton"u8.ToArray();
            using var mechanism = session.Factories.MechanismFactory.Create(CKM.CKM_SHA256_RSA_PKCS);
            var signature = session.Sign(mechanism, key, data);
            issued.GetRSAPublicKey()!.VerifyData(data, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1).Should().BeTrue();
            session.Logout();
        }

        var again = await Request(Path.Combine(dir, "again"), "--pin-env", PinEnv);
        again.Exit.Should().Be(1);
        again.Err.Should().Contain("already holds an object labelled 'org-lyon'", "a key on the token is never replaced");
    }

    [Fact]
    public async Task The_PIN_comes_from_the_environment_or_a_file_never_from_the_command_line()
    {
        Assert.SkipUnless(File.Exists(Module), "SoftHSM2 is not installed (.ci/run installs it)");
        CreateToken();
        var pinFile = Path.Combine(dir, "pin.txt");
        await File.WriteAllTextAsync(pinFile, Pin + "\n", TestContext.Current.CancellationToken);

        var missing = await Request(Out, "--pin-env", "SANTEGW_CERT_TOKEN_NO_PIN");
        var onCommandLine = await Request(Out, "--pin", Pin);
        var wrong = await RequestOn("no-such-token", Out, "--pin-file", pinFile);
        var fromFile = await Request(Out, "--pin-file", pinFile);

        missing.Exit.Should().Be(2);
        missing.Err.Should().Contain("SANTEGW_CERT_TOKEN_NO_PIN").And.Contain("never taken from the command line");
        onCommandLine.Exit.Should().NotBe(0, "there is no --pin option");
        wrong.Exit.Should().Be(1);
        wrong.Err.Should().Contain("no-such-token");
        fromFile.Exit.Should().Be(0, fromFile.Err);
        File.Exists(Path.Combine(Out, "org-lyon.csr.pem")).Should().BeTrue();
    }

    /// <summary>What the IGC-Santé does with the request, here with the sandbox's test PKI: its CA signs it.</summary>
    private string SignWithTestPki(string csrPath, string pkiDir)
    {
        TestPki.Create(pkiDir, "pki-pass", force: true);
        using var ca = TestPki.LoadP12(pkiDir, TestPki.CaP12File, "pki-pass");
        var request = CertificateRequest.LoadSigningRequestPem(File.ReadAllText(csrPath), HashAlgorithmName.SHA256, CertificateRequestLoadOptions.UnsafeLoadCertificateExtensions, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        using var cert = request.Create(ca, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1095), RandomNumberGenerator.GetBytes(12));
        var path = Path.Combine(dir, Path.GetFileNameWithoutExtension(csrPath) + ".returned.pem");
        File.WriteAllText(path, cert.ExportCertificatePem());
        return path;
    }

    /// <summary>A certificate from the same CA for a key that is not on the token.</summary>
    private string OtherKeysCertificate(string pkiDir)
    {
        using var ca = TestPki.LoadP12(pkiDir, TestPki.CaP12File, "pki-pass");
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=SANTEGW-INSTANCE-1, OU=1690000123, O=CENTRE DE SANTE TEST, C=FR", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        using var cert = request.Create(ca, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1095), RandomNumberGenerator.GetBytes(12));
        var path = Path.Combine(dir, "other.returned.pem");
        File.WriteAllText(path, cert.ExportCertificatePem());
        return path;
    }

    private Task<(int Exit, string Out, string Err)> Install(string certificate, string pkiDir, string keyName = "org-lyon") =>
        CliRunner.RunAsync("cert", "install", "--cert", certificate, "--pkcs11-module", Module, "--token-label", label, "--name", keyName, "--pin-env", PinEnv,
            "--ca", Path.Combine(pkiDir, TestPki.CaPemFile));

    [Fact]
    public async Task The_signed_certificate_is_written_on_the_token_with_the_keys_id_and_label_and_one_for_another_key_is_refused()
    {
        Assert.SkipUnless(File.Exists(Module), "SoftHSM2 is not installed (.ci/run installs it)");
        CreateToken();
        (await Request(Out, "--pin-env", PinEnv)).Exit.Should().Be(0);
        var pkiDir = Path.Combine(dir, "pki");
        var returned = SignWithTestPki(Path.Combine(Out, "org-lyon.csr.pem"), pkiDir);

        var mismatch = await Install(OtherKeysCertificate(pkiDir), pkiDir);
        var unknownKey = await Install(returned, pkiDir, "no-such-key");
        var (exit, stdout, stderr) = await Install(returned, pkiDir);
        var again = await Install(returned, pkiDir);

        mismatch.Exit.Should().Be(1);
        mismatch.Err.Should().Contain("ne correspond pas à la clé 'org-lyon'").And.Contain("does not match the key 'org-lyon'");
        unknownKey.Exit.Should().Be(1);
        unknownKey.Err.Should().Contain("no private key labelled 'no-such-key'");
        exit.Should().Be(0, stdout + stderr);
        stdout.Should().Contain("[OK] chain.trusted", "the same verdicts as 'cert check'").And.Contain("key.external").And.Contain("written on token");
        again.Exit.Should().Be(1);
        again.Err.Should().Contain("already on token", "a certificate on the token is never written twice");

        var factories = new Pkcs11InteropFactories();
        using var library = factories.Pkcs11LibraryFactory.LoadPkcs11Library(factories, Module, AppType.MultiThreaded);
        var slot = library.GetSlotList(SlotsType.WithTokenPresent).Single(s => s.GetTokenInfo().Label.Trim() == label);
        using var session = slot.OpenSession(SessionType.ReadOnly);
        session.Login(CKU.CKU_USER, Pin);
        var a = session.Factories.ObjectAttributeFactory;
        var key = session.FindAllObjects([a.Create(CKA.CKA_CLASS, CKO.CKO_PRIVATE_KEY), a.Create(CKA.CKA_LABEL, "org-lyon")]).Single();
        var keyId = session.GetAttributeValue(key, [CKA.CKA_ID])[0].GetValueAsByteArray();
        var certificate = session.FindAllObjects([a.Create(CKA.CKA_CLASS, CKO.CKO_CERTIFICATE)]).Should().ContainSingle("the mismatching certificate was not written").Subject;
        var values = session.GetAttributeValue(certificate, [CKA.CKA_ID, CKA.CKA_LABEL, CKA.CKA_VALUE, CKA.CKA_CERTIFICATE_TYPE, CKA.CKA_TOKEN]);
        values[0].GetValueAsByteArray().Should().Equal(keyId, "the certificate is paired with its key by CKA_ID");
        values[1].GetValueAsString().Should().Be("org-lyon");
        using var issued = X509CertificateLoader.LoadCertificate(values[2].GetValueAsByteArray());
        using var expected = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(returned, TestContext.Current.CancellationToken));
        issued.Thumbprint.Should().Be(expected.Thumbprint);
        values[3].GetValueAsUlong().Should().Be((ulong)CKC.CKC_X_509);
        values[4].GetValueAsBool().Should().BeTrue("stored on the token, not in the session");
        session.Logout();
    }

    private static class NativeMethods
    {
        [DllImport("libc", CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
#pragma warning disable SYSLIB1054, CA2101 // test-only libc call; ANSI is right for setenv.
        internal static extern int setenv(string name, string value, int overwrite);
#pragma warning restore SYSLIB1054, CA2101
    }
}
