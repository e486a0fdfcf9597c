using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using SanteGateway.Application;
using SanteGateway.Identity;
using SanteGateway.Insi;
using SanteGateway.Insi.Sandbox.Pki;
using SanteGateway.Server.Certificates;
using SanteGateway.Server.Insi;
using SanteGateway.Server.Security;
using SanteGateway.Store.Tests;

namespace SanteGateway.Server.Tests;

/// <summary>Establishments with their own certificates: each INSi call presents the certificate of the establishment it is made for.</summary>
public sealed class EstablishmentCertificateTests(ObservingSandbox sandbox, SqliteTestDatabase database) : IClassFixture<ObservingSandbox>, IClassFixture<SqliteTestDatabase>
{
    private static readonly IdentityTraits Toussaint = Traits();

    private static IdentityTraits Traits()
    {
        BirthDate.TryParseIso("1960-01-01", out var date).Should().BeTrue();
        return IdentityTraits.Create("ADRTROIS", ["TOUSSAINT"], "TOUSSAINT", Sex.Male, date, "2B020").Value!;
    }

    private EstablishmentDirectory TwoEstablishments(string? expiredFor = null)
    {
        var lyon = sandbox.IssueManual("lyon.p12", "1690000123");
        var expired = expiredFor is null ? null : sandbox.IssueManual("expired.p12", "1" + expiredFor, daysLeft: -2);
        var sandboxManual = Path.Combine(sandbox.Pki, TestPki.InsiManuP12File);
        List<Establishment> list =
        [
            new("0B0000001", "Site principal") { IsDefault = true, InsiManual = new(sandboxManual, ObservingSandbox.Password) },
            new("690000123", "Site de Lyon") { LegalEntityFiness = "690000011", InsiManual = new(lyon, ObservingSandbox.Password) },
            new("330000456", "Site de Bordeaux (certificats de l'entité juridique)"),
        ];
        if (expiredFor is not null)
        {
            list.Add(new(expiredFor, "Site au certificat expiré") { InsiManual = new(expired!, ObservingSandbox.Password) });
        }

        return new EstablishmentDirectory(list);
    }

    private static Task<InsiPortResult> Search(InsiClientPort port, string? establishment) =>
        port.SearchAsync(new InsiSearchRequest(Toussaint, InsiCertificate.Manual, Guid.NewGuid().ToString("N")) { Establishment = establishment }, TestContext.Current.CancellationToken);

    private List<string> Drain()
    {
        var seen = new List<string>();
        while (sandbox.SeenStructureIds.TryDequeue(out var s))
        {
            seen.Add(s);
        }

        return seen;
    }

    [Fact]
    public async Task Each_call_presents_the_certificate_of_the_establishment_it_is_made_for_as_seen_by_the_service()
    {
        using var port = new InsiClientPort(Microsoft.Extensions.Options.Options.Create(sandbox.Options()), NullLoggerFactory.Instance, TimeProvider.System, null, TwoEstablishments());
        Drain();

        var lyon = await Search(port, "690000123");
        var lyonSeen = Drain();
        var main = await Search(port, "0B0000001");
        var mainSeen = Drain();
        var unnamed = await Search(port, null);
        var unnamedSeen = Drain();

        lyon.Outcome.Should().Be(InsiCallOutcome.Found, lyon.Error);
        lyonSeen.Should().NotBeEmpty().And.OnlyContain(ou => ou == "1690000123");
        lyon.Exchanges.Should().NotBeEmpty().And.OnlyContain(e => e.RequestXml!.Contains(">1690000123<", StringComparison.Ordinal), "the Emetteur is the OU of the certificate presented");
        main.Outcome.Should().Be(InsiCallOutcome.Found);
        mainSeen.Should().NotBeEmpty().And.OnlyContain(ou => ou == TestPki.StructureId);
        unnamed.Outcome.Should().Be(InsiCallOutcome.Found);
        unnamedSeen.Should().NotBeEmpty().And.OnlyContain(ou => ou == TestPki.StructureId, "calls naming no establishment use the default one");
    }

    [Fact]
    public async Task An_establishment_without_its_own_certificate_uses_the_gateway_wide_one_and_an_unknown_one_is_refused_before_sending()
    {
        using var port = new InsiClientPort(Microsoft.Extensions.Options.Options.Create(sandbox.Options()), NullLoggerFactory.Instance, TimeProvider.System, null, TwoEstablishments());
        Drain();

        var bordeaux = await Search(port, "330000456");
        var bordeauxSeen = Drain();
        var unknown = await Search(port, "750000999");
        var unknownSeen = Drain();

        bordeaux.Outcome.Should().Be(InsiCallOutcome.Found);
        bordeauxSeen.Should().NotBeEmpty().And.OnlyContain(ou => ou == TestPki.StructureId);
        unknown.Outcome.Should().Be(InsiCallOutcome.Error);
        unknown.Code.Should().Be("establishment.unknown");
        unknown.Error.Should().Contain("750000999").And.Contain("nothing was sent");
        unknown.Exchanges.Should().BeEmpty();
        unknownSeen.Should().BeEmpty();
    }

    [Fact]
    public async Task A_call_with_an_expired_certificate_is_refused_with_a_clear_error_and_nothing_is_sent()
    {
        using var port = new InsiClientPort(Microsoft.Extensions.Options.Options.Create(sandbox.Options()), NullLoggerFactory.Instance, TimeProvider.System, null, TwoEstablishments(expiredFor: "130000789"));
        Drain();

        var result = await Search(port, "130000789");

        result.Outcome.Should().Be(InsiCallOutcome.Error);
        result.Code.Should().Be("certificate.expired");
        result.Error.Should().Contain("INSI-MANU").And.Contain("130000789").And.Contain("expired on").And.Contain("cert install");
        Drain().Should().BeEmpty();
    }

    [Fact]
    public async Task Establishments_are_read_from_configuration_listed_for_administrators_and_an_expiring_certificate_turns_the_health_check_degraded()
    {
        var soon = sandbox.IssueManual("soon.p12", "1690000123", daysLeft: 25);
        Environment.SetEnvironmentVariable("SANTEGW_ESTAB_PWD", ObservingSandbox.Password);
        await using var gateway = await TestGateway.StartAsync(database, configureBuilder: b =>
        {
            b.Configuration["Gateway:Establishments:0:Finess"] = "0B0000001";
            b.Configuration["Gateway:Establishments:0:Name"] = "Site principal";
            b.Configuration["Gateway:Establishments:0:Default"] = "true";
            b.Configuration["Gateway:Establishments:0:Certificates:InsiManu:Path"] = Path.Combine(sandbox.Pki, TestPki.InsiManuP12File);
            b.Configuration["Gateway:Establishments:0:Certificates:InsiManu:PasswordEnv"] = "SANTEGW_ESTAB_PWD";
            b.Configuration["Gateway:Establishments:1:Finess"] = "690000123";
            b.Configuration["Gateway:Establishments:1:Name"] = "Site de Lyon";
            b.Configuration["Gateway:Establishments:1:LegalEntityFiness"] = "690000011";
            b.Configuration["Gateway:Establishments:1:Certificates:InsiManu:Path"] = soon;
            b.Configuration["Gateway:Establishments:1:Certificates:InsiManu:PasswordEnv"] = "SANTEGW_ESTAB_PWD";
            b.Configuration["Gateway:CertificateTrustAnchors:0"] = Path.Combine(sandbox.Pki, TestPki.CaPemFile);
        });
        var admin = await gateway.ClientAsync(GatewayRoles.Admin);

        var list = await (await admin.GetAsync("/api/admin/establishments", TestContext.Current.CancellationToken)).JsonAsync();
        var health = await gateway.Anonymous().GetAsync("/health/ready", TestContext.Current.CancellationToken);

        list.GetArrayLength().Should().Be(2);
        list[0].GetProperty("finess").GetString().Should().Be("0B0000001");
        list[0].GetProperty("isDefault").GetBoolean().Should().BeTrue();
        list[0].GetProperty("certificates")[0].GetProperty("state").GetString().Should().Be("ok");
        list[1].GetProperty("legalEntityFiness").GetString().Should().Be("690000011");
        list[1].GetProperty("certificates")[0].GetProperty("name").GetString().Should().Be("insi-manu@690000123");
        list[1].GetProperty("certificates")[0].GetProperty("state").GetString().Should().Be("expiring");
        (await health.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).Should().Be("Degraded");
    }

    [Fact]
    public void A_malformed_establishment_configuration_is_refused_naming_the_key_and_the_rule()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Gateway:Establishments:0:Finess"] = "12345",
            ["Gateway:Establishments:1:Finess"] = "690000123",
            ["Gateway:Establishments:1:Certificates:InsiAuto:PasswordEnv"] = "X",
        }).Build();
        var twice = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Gateway:Establishments:0:Finess"] = "690000123",
            ["Gateway:Establishments:1:Finess"] = "690000123",
        }).Build();

        var malformed = () => CertificateEndpoints.ReadEstablishments(config);
        var duplicate = () => CertificateEndpoints.ReadEstablishments(twice);

        malformed.Should().Throw<Microsoft.Extensions.Options.OptionsValidationException>()
            .Which.Failures.Should().BeEquivalentTo(
                "Gateway:Establishments:0:Finess: '12345' is not a FINESS number (9 characters).",
                "Gateway:Establishments:1:Certificates:InsiAuto:Path is required.");
        duplicate.Should().Throw<Microsoft.Extensions.Options.OptionsValidationException>().WithMessage("*690000123 is configured twice*");
    }
}
