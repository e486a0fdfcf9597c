using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using SanteGateway.Application;
using SanteGateway.Server.Security;
using SanteGateway.Store;
using SanteGateway.Store.Entities;
using SanteGateway.Store.Tests;

namespace SanteGateway.Server.Tests;

/// <summary>
/// The application layer's establishment assignments (<see cref="EstablishmentAssignmentService"/>) on a real database:
/// accounts, API keys and inbound partners bound to configured establishments only, each change written with its audit
/// event (who, what, before, after) and an account's sessions ended. Same suite on SQLite and PostgreSQL.
/// </summary>
public abstract class EstablishmentAssignmentServiceTests<TDb>(TDb database) : IClassFixture<TDb>, IAsyncLifetime
    where TDb : TestDatabase
{
    private const string Main = "0B0000001";
    private const string Lyon = "690000123";
    private const string Unknown = "750000999";
    private const string ConfiguredPartner = "LAB-CONF";

    private static readonly Actor Admin = new("admin-estab", "ui", IsVigilance: false);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static EstablishmentDirectory Directory { get; } = new(
    [
        new Establishment(Main, "Site principal") { IsDefault = true },
        new Establishment(Lyon, "Site de Lyon") { InsiManual = new EstablishmentCertificate("/nonexistent/lyon-manu.p12", null) },
    ]);

    public ValueTask InitializeAsync()
    {
        database.SkipIfUnavailable();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static string Unique(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..8];

    private EstablishmentAssignmentService Service(GatewayDbContext db, CertificateInventory? inventory = null)
    {
        var inbound = new InboundOptions();
        inbound.Partners.Add(new InboundPartnerOption { Id = ConfiguredPartner, Name = "Laboratoire configuré", AssigningAuthority = "1.2.3", Establishment = Lyon });
        return new EstablishmentAssignmentService(db, Directory, TimeProvider.System, inventory, Microsoft.Extensions.Options.Options.Create(inbound));
    }

    private async Task<GatewayUser> UserAsync()
    {
        var name = Unique("user");
        var user = new GatewayUser
        {
            UserName = name,
            NormalizedUserName = name.ToUpperInvariant(),
            SecurityStamp = Guid.NewGuid().ToString("N"),
            ConcurrencyStamp = Guid.NewGuid().ToString(),
            CreatedAt = DateTimeOffset.UtcNow,
        };
        await using var db = database.CreateContext();
        db.Users.Add(user);
        await db.SaveChangesAsync(Ct);
        return user;
    }

    private async Task<ApiKeyRecord> KeyAsync(Action<ApiKeyRecord>? change = null)
    {
        var (_, record) = ApiKeys.Create(Unique("key"), [GatewayRoles.FrontDesk], "tests", DateTimeOffset.UtcNow);
        change?.Invoke(record);
        await using var db = database.CreateContext();
        db.ApiKeys.Add(record);
        await db.SaveChangesAsync(Ct);
        return record;
    }

    private async Task<InboundPartner> PartnerAsync()
    {
        var now = DateTimeOffset.UtcNow;
        var partner = new InboundPartner { Id = Unique("LAB"), Name = "Laboratoire", AssigningAuthority = "1.2.250.1.999", CreatedAt = now, UpdatedAt = now, UpdatedBy = "tests" };
        await using var db = database.CreateContext();
        db.InboundPartners.Add(partner);
        await db.SaveChangesAsync(Ct);
        return partner;
    }

    private async Task<List<SanteGateway.Store.Audit.AuditEvent>> AuditOfAsync(string entityId)
    {
        await using var db = database.CreateContext();
        return await db.AuditEvents.AsNoTracking().Where(e => e.EntityId == entityId).OrderBy(e => e.Sequence).ToListAsync(Ct);
    }

    private async Task<(List<string?> Claims, string? Stamp)> AccountStateAsync(string userId)
    {
        await using var db = database.CreateContext();
        var claims = await db.UserClaims.AsNoTracking().Where(c => c.UserId == userId && c.ClaimType == EstablishmentClaims.Type).Select(c => c.ClaimValue).ToListAsync(Ct);
        var stamp = await db.Users.AsNoTracking().Where(u => u.Id == userId).Select(u => u.SecurityStamp).SingleAsync(Ct);
        return (claims, stamp);
    }

    private static string? Establishment(string? json) => JsonDocument.Parse(json!).RootElement.GetProperty("establishment").GetString();

    [Fact]
    public async Task Binding_an_account_stores_its_claim_renews_its_security_stamp_and_audits_who_before_and_after()
    {
        var user = await UserAsync();

        Result<EstablishmentAssignmentOutcome> bound;
        await using (var db = database.CreateContext())
        {
            bound = await Service(db).AssignAccountAsync(user.Id, Lyon, Admin, Ct);
        }

        var (claims, stamp) = await AccountStateAsync(user.Id);
        Result<EstablishmentAssignmentOutcome> unbound;
        await using (var db = database.CreateContext())
        {
            // By user name, as the REST API also accepts it; null = back to the default establishment.
            unbound = await Service(db).AssignAccountAsync(user.UserName!, null, Admin, Ct);
        }

        var (claimsAfter, stampAfter) = await AccountStateAsync(user.Id);
        var audit = await AuditOfAsync(user.Id);

        bound.IsSuccess.Should().BeTrue(bound.Error?.Message);
        bound.Value!.Should().Be(new EstablishmentAssignmentOutcome(EstablishmentHolderKind.Account, user.Id, user.UserName!, null, Lyon));
        claims.Should().Equal(Lyon);
        stamp.Should().NotBe(user.SecurityStamp, "a session carries the establishment it was opened with: a new stamp ends it");
        unbound.Value!.Before.Should().Be(Lyon);
        unbound.Value.Establishment.Should().BeNull();
        claimsAfter.Should().BeEmpty();
        stampAfter.Should().NotBe(stamp);
        audit.Should().HaveCount(2);
        audit.Should().AllSatisfy(e =>
        {
            e.Action.Should().Be("user.establishment");
            e.EntityType.Should().Be("user");
            e.Actor.Should().Be(Admin.Name);
            e.Source.Should().Be("ui");
        });
        (Establishment(audit[0].PreviousValues), Establishment(audit[0].NewValues)).Should().Be(((string?)null, Lyon));
        (Establishment(audit[1].PreviousValues), Establishment(audit[1].NewValues)).Should().Be((Lyon, (string?)null));
    }

    [Fact]
    public async Task An_unknown_FINESS_is_refused_naming_the_field_and_the_rule_and_nothing_is_written()
    {
        var user = await UserAsync();
        var key = await KeyAsync();
        var partner = await PartnerAsync();

        await using var db = database.CreateContext();
        var svc = Service(db);
        var results = new[]
        {
            await svc.AssignAccountAsync(user.Id, Unknown, Admin, Ct),
            await svc.AssignApiKeyAsync(key.Id, Unknown, Admin, Ct),
            await svc.AssignPartnerAsync(partner.Id, " " + Unknown + " ", Admin, Ct),
        };
        var (claims, stamp) = await AccountStateAsync(user.Id);
        await using var check = database.CreateContext();

        results.Should().AllSatisfy(r =>
        {
            r.IsSuccess.Should().BeFalse();
            r.Error!.Kind.Should().Be(ErrorKind.Invalid);
            r.Error.Rule.Should().Be("establishment.unknown");
            r.Error.Fields.Should().ContainKey("establishment").WhoseValue.Single().Should().StartWith("establishment.unknown: ").And.Contain(Unknown).And.Contain("Gateway:Establishments");
        });
        claims.Should().BeEmpty();
        stamp.Should().Be(user.SecurityStamp, "a refused binding ends no session");
        (await check.ApiKeys.AsNoTracking().SingleAsync(k => k.Id == key.Id, Ct)).Establishment.Should().BeNull();
        (await check.InboundPartners.AsNoTracking().SingleAsync(p => p.Id == partner.Id, Ct)).Establishment.Should().BeNull();
        (await AuditOfAsync(user.Id)).Concat(await AuditOfAsync(key.Id)).Concat(await AuditOfAsync(partner.Id)).Should().BeEmpty();
    }

    [Fact]
    public async Task A_FINESS_is_matched_whatever_its_case_and_spaces_and_stored_as_configured_and_binding_again_changes_nothing()
    {
        var key = await KeyAsync();
        await using var db = database.CreateContext();
        var svc = Service(db);

        var first = await svc.AssignApiKeyAsync(key.Id, "  0b0000001 ", Admin, Ct);
        var again = await svc.AssignApiKeyAsync(key.Id, Main, Admin, Ct);
        await using var check = database.CreateContext();

        first.Value!.Establishment.Should().Be(Main);
        first.Value.Changed.Should().BeTrue();
        again.Value!.Changed.Should().BeFalse();
        (await check.ApiKeys.AsNoTracking().SingleAsync(k => k.Id == key.Id, Ct)).Establishment.Should().Be(Main);
        var audit = await AuditOfAsync(key.Id);
        audit.Should().ContainSingle("binding to the establishment already bound writes nothing");
        audit[0].Action.Should().Be("apikey.establishment");
        audit[0].EntityType.Should().Be("apikey");
        Establishment(audit[0].NewValues).Should().Be(Main);
    }

    [Fact]
    public async Task What_does_not_exist_is_refused_as_not_found_naming_the_id()
    {
        await using var db = database.CreateContext();
        var svc = Service(db);

        var results = new[]
        {
            await svc.AssignAccountAsync("nobody-" + Guid.NewGuid(), Lyon, Admin, Ct),
            await svc.AssignApiKeyAsync("nokey" + Guid.NewGuid().ToString("N")[..8], Lyon, Admin, Ct),
            await svc.AssignPartnerAsync("NOWHERE-" + Guid.NewGuid().ToString("N")[..8], Lyon, Admin, Ct),
        };

        results.Should().AllSatisfy(r =>
        {
            r.Error!.Kind.Should().Be(ErrorKind.NotFound);
            r.Error.Rule.Should().Be("not-found");
            r.Error.Fields.Should().ContainKey("id");
        });
    }

    [Fact]
    public async Task A_stored_partner_is_bound_and_audited_and_a_partner_declared_in_configuration_is_refused_as_changed_there()
    {
        var partner = await PartnerAsync();
        await using var db = database.CreateContext();
        var svc = Service(db);

        var bound = await svc.AssignPartnerAsync(partner.Id, Lyon, Admin, Ct);
        var configured = await svc.AssignPartnerAsync(ConfiguredPartner, Main, Admin, Ct);
        await using var check = database.CreateContext();
        var row = await check.InboundPartners.AsNoTracking().SingleAsync(p => p.Id == partner.Id, Ct);

        bound.Value!.Establishment.Should().Be(Lyon);
        row.Establishment.Should().Be(Lyon);
        row.UpdatedBy.Should().Be(Admin.Name);
        var audit = (await AuditOfAsync(partner.Id)).Should().ContainSingle().Subject;
        audit.Action.Should().Be("inbound-partner.establishment");
        audit.EntityType.Should().Be("inbound-partner");
        (Establishment(audit.PreviousValues), Establishment(audit.NewValues)).Should().Be(((string?)null, Lyon));
        configured.Error!.Kind.Should().Be(ErrorKind.Conflict);
        configured.Error.Rule.Should().Be("establishment.partner-configured");
        configured.Error.Fields.Should().ContainKey("id").WhoseValue.Single().Should().Contain("Inbound:Partners");
    }

    [Fact]
    public async Task The_overview_lists_each_establishment_with_its_certificates_and_holders_the_unbound_ones_and_those_bound_to_an_establishment_no_longer_configured()
    {
        var lyonUser = await UserAsync();
        var freeUser = await UserAsync();
        var lyonKey = await KeyAsync(k => k.Establishment = Lyon);
        var orphanKey = await KeyAsync(k => k.Establishment = Unknown);
        var revokedKey = await KeyAsync(k => (k.Establishment, k.RevokedAt) = (Lyon, DateTimeOffset.UtcNow));
        var expiredKey = await KeyAsync(k => k.ExpiresAt = DateTimeOffset.UtcNow.AddDays(-1));
        var partner = await PartnerAsync();
        var options = new CertificateInventoryOptions();
        foreach (var t in Directory.All.SelectMany(e => e.TrackedCertificates()))
        {
            options.Certificates.Add(t);
        }

        using var inventory = new CertificateInventory(options);
        EstablishmentOverview overview;
        await using (var db = database.CreateContext())
        {
            var svc = Service(db, inventory);
            (await svc.AssignAccountAsync(lyonUser.Id, Lyon, Admin, Ct)).IsSuccess.Should().BeTrue();
            (await svc.AssignPartnerAsync(partner.Id, Main, Admin, Ct)).IsSuccess.Should().BeTrue();
            overview = await svc.OverviewAsync(Ct);
        }

        overview.Establishments.Select(e => (e.Establishment.Finess, e.IsDefault)).Should().Equal((Main, true), (Lyon, false));
        var main = overview.Establishments[0];
        var lyon = overview.Establishments[1];
        main.Certificates.Should().BeEmpty("the main site uses the gateway's certificates");
        lyon.Certificates.Should().ContainSingle().Which.Should().Be(new EstablishmentCertificateState($"insi-manu@{Lyon}", CertificateUse.InsiManual, "unreadable", null, null));
        lyon.Holders.Select(h => (h.Kind, h.Id)).Should().Contain([(EstablishmentHolderKind.Account, lyonUser.Id), (EstablishmentHolderKind.ApiKey, lyonKey.Id)])
            .And.Contain((EstablishmentHolderKind.InboundPartner, ConfiguredPartner), "a partner declared in configuration is shown where it acts");
        lyon.Holders.Single(h => h.Id == ConfiguredPartner).FromConfiguration.Should().BeTrue();
        main.Holders.Select(h => h.Id).Should().Contain(partner.Id);
        overview.Unbound.Select(h => h.Id).Should().Contain([freeUser.Id, expiredKey.Id]).And.NotContain([lyonUser.Id, lyonKey.Id, partner.Id]);
        overview.Unbound.Single(h => h.Id == expiredKey.Id).State.Should().Be("expired");
        overview.BoundToUnknown.Should().ContainSingle(h => h.Id == orphanKey.Id).Which.Establishment.Should().Be(Unknown);
        overview.All.Select(h => h.Id).Should().NotContain(revokedKey.Id, "a revoked key acts for nothing");
    }

    [Fact]
    public async Task A_job_creator_bound_to_an_establishment_may_choose_only_it_and_an_unbound_one_any()
    {
        await using var db = database.CreateContext();
        var svc = Service(db);

        svc.JobChoices(Admin).Select(e => e.Finess).Should().Equal(Main, Lyon);
        svc.JobChoices(Admin with { Establishment = "690000123 " }).Select(e => e.Finess).Should().Equal(Lyon);
        svc.JobChoices(Admin with { Establishment = Unknown }).Should().BeEmpty();
    }
}

public sealed class EstablishmentAssignmentServiceTests_on_Sqlite(SqliteTestDatabase db) : EstablishmentAssignmentServiceTests<SqliteTestDatabase>(db);

public sealed class EstablishmentAssignmentServiceTests_on_Postgres(PostgresTestDatabase db) : EstablishmentAssignmentServiceTests<PostgresTestDatabase>(db);
