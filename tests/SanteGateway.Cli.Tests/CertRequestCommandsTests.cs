using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SanteGateway.Application;
using SanteGateway.Testing;

namespace SanteGateway.Cli.Tests;

[Collection("ins-cli console")]
public sealed class CertRequestCommandsTests : IDisposable
{
    private const string Passphrase = "une phrase de passe";
    private readonly TestCertificates certs = new();

    public CertRequestCommandsTests()
    {
        Environment.SetEnvironmentVariable("SANTEGW_CERT_REQ_PASS", Passphrase);
        Environment.SetEnvironmentVariable("SANTEGW_CERT_REQ_P12", "mot-de-passe-p12");
    }

    public void Dispose() => certs.Dispose();

    private string Out => Path.Combine(certs.Dir, "req");

    private Task<(int Exit, string Out, string Err)> Request(params string[] extra) =>
        CliRunner.RunAsync(["cert", "request", "--organisation", "CENTRE DE SANTE TEST", "--state", "Rhône (69)", "--out-dir", Out, "--passphrase-env", "SANTEGW_CERT_REQ_PASS", .. extra]);

    /// <summary>What the IGC-Santé does with the request: signs it with its CA (here the test CA) as an AUTH_CLI certificate.</summary>
    private string SignWithTestCa(string csrPath, int days = 1095)
    {
        var request = CertificateRequest.LoadSigningRequestPem(File.ReadAllText(csrPath), HashAlgorithmName.SHA256, CertificateRequestLoadOptions.UnsafeLoadCertificateExtensions, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(certs.TestCa, true, false));
        using var cert = request.Create(certs.TestCa, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(days), RandomNumberGenerator.GetBytes(12));
        var path = Path.ChangeExtension(csrPath, ".returned.pem");
        File.WriteAllText(path, cert.ExportCertificatePem());
        return path;
    }

    [Fact]
    public async Task An_insi_auto_request_carries_the_subject_of_the_ordering_form_and_an_encrypted_key_readable_by_its_owner_only()
    {
        var (exit, stdout, stderr) = await Request("--use", "insi-auto", "--finess", "0B0152872");

        exit.Should().Be(0, stderr);
        var csr = Path.Combine(Out, "insi-auto-10B0152872.csr.pem");
        var key = Path.Combine(Out, "insi-auto-10B0152872.key.pem");
        var request = CertificateRequest.LoadSigningRequestPem(await File.ReadAllTextAsync(csr, TestContext.Current.CancellationToken), HashAlgorithmName.SHA256, CertificateRequestLoadOptions.UnsafeLoadCertificateExtensions);
        request.SubjectName.Name.Should().Be("CN=INSI-AUTO, OU=10B0152872, O=CENTRE DE SANTE TEST, S=Rhône (69), C=FR");
        request.PublicKey.GetRSAPublicKey()!.KeySize.Should().Be(2048);
        request.CertificateExtensions.OfType<X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages.Cast<Oid>().Select(o => o.Value).Should().Equal(CertificateChecker.ClientAuthOid);
        var keyText = await File.ReadAllTextAsync(key, TestContext.Current.CancellationToken);
        keyText.Should().StartWith("-----BEGIN ENCRYPTED PRIVATE KEY-----");
        if (!OperatingSystem.IsWindows())
        {
            File.GetUnixFileMode(key).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        stdout.Should().Contain("CN             : INSI-AUTO").And.Contain("OU (structure) : 10B0152872");
        var again = await Request("--use", "insi-auto", "--finess", "0B0152872");
        again.Exit.Should().Be(1, "an existing key is never overwritten");
        again.Err.Should().Contain("never overwritten");
    }

    [Fact]
    public async Task A_request_signed_by_the_test_ca_is_installed_as_a_pkcs12_that_passes_cert_check()
    {
        (await Request("--use", "insi-manu", "--finess", "690000123", "--name", "manu")).Exit.Should().Be(0);
        var returned = SignWithTestCa(Path.Combine(Out, "manu.csr.pem"));
        var p12 = Path.Combine(Out, "manu.p12");

        var (exit, stdout, stderr) = await CliRunner.RunAsync("cert", "install", "--cert", returned, "--key", Path.Combine(Out, "manu.key.pem"), "--out", p12,
            "--ca", certs.TestCaPem, "--chain", certs.TestCaPem, "--passphrase-env", "SANTEGW_CERT_REQ_PASS", "--password-env", "SANTEGW_CERT_REQ_P12");

        exit.Should().Be(0, stdout + stderr);
        stdout.Should().Contain("[OK] cn.insi").And.Contain("[OK] chain.trusted").And.Contain("written");
        var check = await CliRunner.RunAsync("certs", "check", p12, "--password-env", "SANTEGW_CERT_REQ_P12", "--ca", certs.TestCaPem);
        check.Exit.Should().Be(0, check.Out);
        check.Out.Should().Contain("InsiManual").And.Contain("clé privée / private key: oui/yes").And.Contain("OU=1690000123");
    }

    [Fact]
    public async Task A_returned_certificate_of_another_request_is_refused_and_nothing_is_written()
    {
        (await Request("--use", "insi-auto", "--finess", "690000123", "--name", "first")).Exit.Should().Be(0);
        (await Request("--use", "insi-auto", "--finess", "690000123", "--name", "second")).Exit.Should().Be(0);
        var returned = SignWithTestCa(Path.Combine(Out, "second.csr.pem"));
        var p12 = Path.Combine(Out, "first.p12");

        var (exit, _, stderr) = await CliRunner.RunAsync("cert", "install", "--cert", returned, "--key", Path.Combine(Out, "first.key.pem"), "--out", p12,
            "--ca", certs.TestCaPem, "--passphrase-env", "SANTEGW_CERT_REQ_PASS");

        exit.Should().Be(1);
        stderr.Should().Contain("matches the private key");
        File.Exists(p12).Should().BeFalse();
    }

    [Fact]
    public async Task An_installed_certificate_that_fails_its_check_is_not_written_unless_forced()
    {
        (await Request("--use", "insi-auto", "--finess", "690000123", "--name", "short")).Exit.Should().Be(0);
        var returned = SignWithTestCa(Path.Combine(Out, "short.csr.pem"));
        var p12 = Path.Combine(Out, "short.p12");
        string[] args = ["cert", "install", "--cert", returned, "--key", Path.Combine(Out, "short.key.pem"), "--out", p12,
            "--ca", TestPaths.SharedFile("data", "pki", "igc-sante", "ACR-EL.cer"), "--passphrase-env", "SANTEGW_CERT_REQ_PASS"];

        var refused = await CliRunner.RunAsync(args);
        refused.Exit.Should().Be(1);
        refused.Out.Should().Contain("chain.untrusted", "a test certificate does not chain to the production IGC-Santé root");
        File.Exists(p12).Should().BeFalse();

        var forced = await CliRunner.RunAsync([.. args, "--force"]);
        forced.Exit.Should().Be(1);
        File.Exists(p12).Should().BeTrue();
    }

    [Fact]
    public async Task Missing_or_malformed_fields_are_usage_errors_naming_the_field()
    {
        var noId = await Request("--use", "insi-auto");
        var badFiness = await Request("--use", "insi-auto", "--finess", "12345");
        var orgWithoutCn = await Request("--use", "org", "--siret", "12345678901234");
        Environment.SetEnvironmentVariable("SANTEGW_CERT_REQ_SHORT", "court");
        var shortPass = await CliRunner.RunAsync("cert", "request", "--use", "insi-auto", "--organisation", "X", "--finess", "690000123", "--out-dir", Out, "--passphrase-env", "SANTEGW_CERT_REQ_SHORT");

        noId.Exit.Should().Be(Program.UsageError);
        noId.Err.Should().Contain("--finess");
        badFiness.Exit.Should().Be(Program.UsageError);
        badFiness.Err.Should().Contain("--finess").And.Contain("not a FINESS number");
        orgWithoutCn.Exit.Should().Be(Program.UsageError);
        orgWithoutCn.Err.Should().Contain("--cn");
        shortPass.Exit.Should().Be(Program.UsageError);
        shortPass.Err.Should().Contain("never written unencrypted");
        Directory.Exists(Out).Should().BeFalse("nothing is written on a usage error");
    }

    [Fact]
    public void An_org_server_request_asks_for_its_dns_names_and_both_tls_purposes()
    {
        var spec = new CertificateRequestSpec(CertificateUse.OrganisationClient, "CHU TEST", CertificateRequests.StructureIdFromSiret("26750045200011"), "santegw.chu-test.fr", DnsNames: ["santegw.chu-test.fr"]);

        var generated = CertificateRequests.Create(spec, Passphrase);

        var request = CertificateRequest.LoadSigningRequestPem(generated.SigningRequestPem, HashAlgorithmName.SHA256, CertificateRequestLoadOptions.UnsafeLoadCertificateExtensions);
        request.SubjectName.Name.Should().Be("CN=santegw.chu-test.fr, OU=326750045200011, O=CHU TEST, C=FR");
        request.CertificateExtensions.OfType<X509SubjectAlternativeNameExtension>().Single().EnumerateDnsNames().Should().Equal("santegw.chu-test.fr");
        request.CertificateExtensions.OfType<X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages.Cast<Oid>().Select(o => o.Value)
            .Should().Equal(CertificateChecker.ClientAuthOid, "1.3.6.1.5.5.7.3.1");
        using var key = RSA.Create();
        key.ImportFromEncryptedPem(generated.EncryptedKeyPem, Passphrase);
        key.ExportSubjectPublicKeyInfo().Should().Equal(request.PublicKey.ExportSubjectPublicKeyInfo());
    }
}
