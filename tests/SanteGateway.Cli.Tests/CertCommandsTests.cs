using System.Security.Cryptography.X509Certificates;
using SanteGateway.Application;
using SanteGateway.Testing;

namespace SanteGateway.Cli.Tests;

[Collection("ins-cli console")]
public sealed class CertCommandsTests : IDisposable
{
    private readonly TestCertificates certs = new();

    public CertCommandsTests() => Environment.SetEnvironmentVariable("SANTEGW_CERT_TEST_PWD", TestCertificates.Password);

    public void Dispose() => certs.Dispose();

    private Task<(int Exit, string Out, string Err)> Check(string file, params string[] extra) =>
        CliRunner.RunAsync(["certs", "check", file, "--password-env", "SANTEGW_CERT_TEST_PWD", "--ca", certs.TestCaPem, .. extra]);

    [Fact]
    public async Task A_test_insi_auto_certificate_of_the_test_ca_is_usable_and_reported_in_french_and_english()
    {
        var (exit, stdout, _) = await Check(certs.Leaf("auto.p12", "INSI-AUTO"));

        exit.Should().Be(0, stdout);
        stdout.Should().Contain("InsiAutomatic").And.Contain("[OK] cn.insi").And.Contain("[OK] chain.trusted").And.Contain("[OK] eku.client-auth")
            .And.Contain("environment.test").And.Contain("fr: ").And.Contain("en: ").And.Contain("utilisable / usable");
    }

    [Fact]
    public async Task A_certificate_meant_for_insi_with_a_wrong_cn_is_refused_naming_desir_560()
    {
        var (exit, stdout, _) = await Check(certs.Leaf("wrong.p12", "Insi-Auto "), "--use", "insi-auto");

        exit.Should().Be(1);
        stdout.Should().Contain("[ERREUR/ERROR] cn.insi").And.Contain("DESIR_560").And.Contain("casse ou espaces");
    }

    [Fact]
    public async Task An_expired_certificate_is_refused_with_its_expiry_date_and_one_about_to_expire_warns()
    {
        var (expiredExit, expired, _) = await Check(certs.Leaf("expired.p12", "INSI-MANU", daysLeft: -3));
        var (soonExit, soon, _) = await Check(certs.Leaf("soon.p12", "INSI-MANU", daysLeft: 20), "--warn-days", "30");

        expiredExit.Should().Be(1);
        expired.Should().Contain("[ERREUR/ERROR] validity.expired").And.Contain("expired on");
        soonExit.Should().Be(0);
        soon.Should().Contain("[ATTENTION/WARNING] validity.expiring").And.Contain("expires in 1");
    }

    [Fact]
    public async Task A_certificate_without_client_authentication_in_its_eku_is_refused()
    {
        var (exit, stdout, _) = await Check(certs.Leaf("server.p12", "INSI-AUTO", eku: TestCertificates.ServerAuthEku));

        exit.Should().Be(1);
        stdout.Should().Contain("[ERREUR/ERROR] eku.client-auth").And.Contain("clientAuth");
    }

    [Fact]
    public async Task A_certificate_from_another_ca_does_not_chain_to_the_igc_sante_cas()
    {
        var (exit, stdout, _) = await Check(certs.Leaf("other.p12", "INSI-AUTO", issuer: certs.OtherCa));

        exit.Should().Be(1);
        stdout.Should().Contain("[ERREUR/ERROR] chain.untrusted").And.Contain("AC QUELCONQUE").And.Contain("environment.unknown");
    }

    [Fact]
    public async Task A_test_certificate_checked_against_the_production_igc_sante_cas_of_shared_is_refused()
    {
        var file = certs.Leaf("auto-test.p12", "INSI-AUTO");
        var (exit, stdout, _) = await CliRunner.RunAsync("certs", "check", file, "--password-env", "SANTEGW_CERT_TEST_PWD",
            "--ca", TestPaths.SharedFile("data", "pki", "igc-sante", "ACR-EL.cer"), TestPaths.SharedFile("data", "pki", "igc-sante", "ACI-EL-ORG.cer"));

        exit.Should().Be(1);
        stdout.Should().Contain("chain.untrusted").And.Contain("environment.test");
    }

    [Fact]
    public async Task The_production_organisations_ca_of_shared_chains_to_its_root_and_is_classed_production()
    {
        using var aci = X509CertificateLoader.LoadCertificateFromFile(TestPaths.SharedFile("data", "pki", "igc-sante", "ACI-EL-ORG.cer"));
        var options = new CertificateCheckOptions();
        options.TrustAnchors.ImportFromPemOrDer(TestPaths.SharedFile("data", "pki", "igc-sante", "ACR-EL.cer"));

        var report = CertificateChecker.Check(aci, null, options);

        report.Chain.Should().Equal("AC IGC-SANTE ELEMENTAIRE ORGANISATIONS", "AC RACINE IGC-SANTE ELEMENTAIRE");
        report.Environment.Should().Be("production");
        report.Findings.Should().Contain(f => f.Code == "basic.ca" && f.Severity == CertificateSeverity.Error, "a CA is not a software certificate");
    }

    [Fact]
    public async Task A_small_key_a_missing_ou_and_a_pem_without_private_key_are_each_reported()
    {
        var small = await Check(certs.Leaf("small.p12", "INSI-AUTO", keySize: 1024, ou: null));
        small.Out.Should().Contain("[ERREUR/ERROR] key.size").And.Contain("[ATTENTION/WARNING] subject.ou");

        var pem = Path.Combine(certs.Dir, "cert-only.pem");
        using (var loaded = X509CertificateLoader.LoadPkcs12FromFile(certs.Leaf("for-pem.p12", "INSI-MANU"), TestCertificates.Password))
        {
            await File.WriteAllTextAsync(pem, loaded.ExportCertificatePem(), TestContext.Current.CancellationToken);
        }

        var (exit, stdout, _) = await Check(pem);
        exit.Should().Be(1);
        stdout.Should().Contain("key.private");
    }

    [Fact]
    public async Task A_wrong_password_exits_1_with_the_reason_and_giving_neither_file_nor_store_is_a_usage_error()
    {
        var file = certs.Leaf("pwd.p12", "INSI-AUTO");
        Environment.SetEnvironmentVariable("SANTEGW_CERT_WRONG_PWD", "nope");
        var (exit, _, stderr) = await CliRunner.RunAsync("certs", "check", file, "--password-env", "SANTEGW_CERT_WRONG_PWD");
        var usage = await CliRunner.RunAsync("cert", "check");

        exit.Should().Be(1);
        stderr.Should().Contain("wrong password or file");
        usage.Exit.Should().Be(Program.UsageError);
    }

    [Fact]
    public async Task Store_mode_checks_the_certificates_configured_in_the_data_folder()
    {
        var data = Path.Combine(certs.Dir, "data");
        Directory.CreateDirectory(data);
        var ror = certs.Leaf("ror.p12", "SANTEGW ROR CLIENT", daysLeft: 5);
        var json = $$"""
            { "Gateway": { "Certificates": [ { "Name": "ror-chu", "Path": "{{ror}}", "PasswordEnv": "SANTEGW_CERT_TEST_PWD", "Use": "org", "Establishment": "750712184" } ],
                           "CertificateTrustAnchors": [ "{{certs.TestCaPem}}" ] } }
            """;
        await File.WriteAllTextAsync(Path.Combine(data, "appsettings.json"), json, TestContext.Current.CancellationToken);

        var (exit, stdout, _) = await CliRunner.RunAsync("certs", "check", "--store", "--data", data);

        exit.Should().Be(0, stdout);
        stdout.Should().Contain("== ror-chu").And.Contain("[OK] chain.trusted").And.Contain("validity.expiring");
    }
}

public sealed class CertificateInventoryTests : IDisposable
{
    private readonly TestCertificates certs = new();

    public void Dispose() => certs.Dispose();

    [Fact]
    public void Each_configured_certificate_gets_its_state_and_the_alert_threshold_it_reached()
    {
        var options = new CertificateInventoryOptions();
        options.TrustAnchorPaths.Add(certs.TestCaPem);
        options.Certificates.Add(new("auto", certs.Leaf("a.p12", "INSI-AUTO", daysLeft: 400), TestCertificates.Password, CertificateUse.InsiAutomatic));
        options.Certificates.Add(new("manu", certs.Leaf("m.p12", "INSI-MANU", daysLeft: 25), TestCertificates.Password, CertificateUse.InsiManual));
        options.Certificates.Add(new("old", certs.Leaf("o.p12", "INSI-MANU", daysLeft: -1), TestCertificates.Password, CertificateUse.InsiManual));
        options.Certificates.Add(new("cn", certs.Leaf("c.p12", "OTHER", daysLeft: 400), TestCertificates.Password, CertificateUse.InsiAutomatic));
        options.Certificates.Add(new("missing", Path.Combine(certs.Dir, "none.p12"), null, CertificateUse.OrganisationClient));
        using var inventory = new CertificateInventory(options);

        var list = inventory.List();

        list.Select(s => (s.Name, s.State, s.Threshold)).Should().Equal(
            ("auto", "ok", (int?)null), ("manu", "expiring", 30), ("old", "expired", 7), ("cn", "invalid", null), ("missing", "unreadable", null));
        list[1].DaysLeft.Should().BeInRange(24, 25);
        inventory.ThresholdFor(61).Should().BeNull();
        inventory.ThresholdFor(60).Should().Be(60);
        inventory.ThresholdFor(7).Should().Be(7);
    }

    [Fact]
    public void Days_to_expiry_are_published_as_a_gauge_per_certificate()
    {
        var options = new CertificateInventoryOptions();
        options.Certificates.Add(new("auto", certs.Leaf("g.p12", "INSI-AUTO", daysLeft: 100), TestCertificates.Password, CertificateUse.InsiAutomatic));
        using var inventory = new CertificateInventory(options);
        var seen = new List<(string Name, int Value)>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (i, l) =>
        {
            if (i.Meter.Name == CertificateInventory.MeterName)
            {
                l.EnableMeasurementEvents(i);
            }
        };
        listener.SetMeasurementEventCallback<int>((i, v, tags, _) => seen.Add(((string)tags.ToArray().Single(t => t.Key == "certificate").Value!, v)));
        listener.Start();

        listener.RecordObservableInstruments();

        seen.Should().ContainSingle().Which.Should().Match<(string Name, int Value)>(x => x.Name == "auto" && x.Value >= 99 && x.Value <= 100);
    }
}
