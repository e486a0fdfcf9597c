using System.Security.Cryptography.X509Certificates;
using SanteGateway.Insi.Sandbox.Pki;
using SanteGateway.Insi.Sandbox.Tests.Support;

namespace SanteGateway.Insi.Sandbox.Tests;

public sealed class TestPkiTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "santegw-pki-test-" + Guid.NewGuid().ToString("N"));

    // Read-only checks share one PKI made with password "pw" (key generation is the slow part).
    private static readonly Lazy<string> Shared = new(() =>
    {
        var dir = Path.Combine(Path.GetTempPath(), "santegw-pki-shared-" + Guid.NewGuid().ToString("N"));
        TestPki.Create(dir, "pw", force: false);
        return dir;
    });

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    [Fact]
    public void Create_writes_exactly_the_documented_files()
    {
        var dir = Shared.Value;

        Directory.GetFiles(dir).Select(Path.GetFileName).Should().BeEquivalentTo(
            ["ca.pem", "ca.cer", "ca.p12", "server.p12", "INSI-AUTO.p12", "INSI-MANU.p12", "OTHER.p12", "CPS.p12"]);
    }

    [Fact]
    public void The_PEM_and_DER_files_hold_the_same_CA_certificate()
    {
        var dir = Shared.Value;

        using var pem = X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(dir, TestPki.CaPemFile)));
        using var der = TestPki.LoadCa(dir);

        pem.RawData.Should().Equal(der.RawData);
        der.Extensions.OfType<X509BasicConstraintsExtension>().Single().CertificateAuthority.Should().BeTrue();
    }

    [Theory]
    [InlineData(TestPki.InsiAutoP12File, "INSI-AUTO")]
    [InlineData(TestPki.InsiManuP12File, "INSI-MANU")]
    [InlineData(TestPki.OtherP12File, "OTHER")]
    public void Client_certificates_carry_the_INSi_subject_layout_and_the_clientAuth_usage(string file, string cn)
    {
        var dir = Shared.Value;

        using var cert = TestPki.LoadP12(dir, file, "pw");

        cert.Subject.Should().Be($"CN={cn}, OU={TestPki.StructureId}, O=SANTEGATEWAY SANDBOX, C=FR");
        cert.HasPrivateKey.Should().BeTrue();
        cert.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages.Cast<System.Security.Cryptography.Oid>()
            .Select(o => o.Value).Should().Equal("1.3.6.1.5.5.7.3.2");
        using var ca = TestPki.LoadCa(dir);
        InsiSandboxServer.ValidateClientCertificate(cert, [ca]).Should().BeTrue();
    }

    [Fact]
    public void The_server_certificate_names_localhost_and_127_0_0_1_for_server_authentication()
    {
        var dir = Shared.Value;

        using var cert = TestPki.LoadP12(dir, TestPki.ServerP12File, "pw");

        cert.MatchesHostname("localhost").Should().BeTrue();
        cert.MatchesHostname("127.0.0.1").Should().BeTrue();
        cert.MatchesHostname("example.org").Should().BeFalse();
        cert.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages.Cast<System.Security.Cryptography.Oid>()
            .Select(o => o.Value).Should().Equal("1.3.6.1.5.5.7.3.1");
        using var ca = TestPki.LoadCa(dir);
        InsiSandboxServer.ValidateClientCertificate(cert, [ca]).Should().BeFalse("a server certificate is not a client certificate");
    }

    [Fact]
    public void Without_a_password_one_is_generated_into_an_owner_only_password_file_that_opens_every_PKCS12()
    {
        var result = TestPki.Create(_dir, null, force: false);

        result.PasswordFile.Should().Be(Path.Combine(_dir, TestPki.PasswordFile));
        if (!OperatingSystem.IsWindows())
        {
            File.GetUnixFileMode(result.PasswordFile!).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
            File.GetUnixFileMode(Path.Combine(_dir, TestPki.InsiAutoP12File)).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        var password = TestPki.ReadPasswordFile(_dir);
        password.Should().Be(result.Password).And.HaveLength(24);
        using var cert = TestPki.LoadP12(_dir, TestPki.InsiAutoP12File, password);
        cert.HasPrivateKey.Should().BeTrue();
    }

    [Fact]
    public void A_wrong_password_does_not_open_the_PKCS12_files()
    {
        var act = () => TestPki.LoadP12(Shared.Value, TestPki.InsiAutoP12File, "wrong");

        act.Should().Throw<System.Security.Cryptography.CryptographicException>();
    }

    [Fact]
    public void An_existing_PKI_is_not_overwritten_without_force_and_nothing_is_changed()
    {
        TestPki.Create(_dir, "pw", force: false);
        var before = File.ReadAllBytes(Path.Combine(_dir, TestPki.CaDerFile));

        var act = () => TestPki.Create(_dir, "pw", force: false);

        act.Should().Throw<IOException>().WithMessage("*--force*");
        File.ReadAllBytes(Path.Combine(_dir, TestPki.CaDerFile)).Should().Equal(before);
    }

    [Fact]
    public void With_force_an_existing_PKI_is_replaced_by_a_new_CA()
    {
        TestPki.Create(_dir, "pw", force: false);
        var before = File.ReadAllBytes(Path.Combine(_dir, TestPki.CaDerFile));

        TestPki.Create(_dir, "pw", force: true);

        File.ReadAllBytes(Path.Combine(_dir, TestPki.CaDerFile)).Should().NotEqual(before);
    }

    [Fact]
    public void The_PKCS12_files_use_AES_256_with_SHA_256_so_OpenSSL_3_reads_them_without_the_legacy_provider()
    {
        var dir = Shared.Value;
        var info = System.Security.Cryptography.Pkcs.Pkcs12Info.Decode(File.ReadAllBytes(Path.Combine(dir, TestPki.InsiAutoP12File)), out _);

        info.AuthenticatedSafe.Should().NotBeEmpty();
        info.AuthenticatedSafe.Where(s => s.ConfidentialityMode == System.Security.Cryptography.Pkcs.Pkcs12ConfidentialityMode.Password)
            .Should().NotBeEmpty();
        info.IntegrityMode.Should().Be(System.Security.Cryptography.Pkcs.Pkcs12IntegrityMode.Password);
        info.VerifyMac("pw").Should().BeTrue();
        var raw = File.ReadAllBytes(Path.Combine(dir, TestPki.InsiAutoP12File));
        // PBES2 (1.2.840.113549.1.5.13) + AES-256-CBC (2.16.840.1.101.3.4.1.42) OIDs appear in the DER.
        Contains(raw, [0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x05, 0x0D]).Should().BeTrue();
        Contains(raw, [0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x2A]).Should().BeTrue();
    }

    private static bool Contains(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;
}
