using System.Net.Http.Json;
using SanteGateway.Server.Security;
using SanteGateway.Store.Audit;
using SanteGateway.Store.Tests;

namespace SanteGateway.Server.Tests;

/// <summary>F4 through the running gateway: the checkpoint writer and the after-image of identity changes made by the API.</summary>
public sealed class AuditAnchorTests
{
    [Fact]
    public async Task The_gateway_anchors_its_chain_in_signed_checkpoints_and_its_identity_changes_in_after_images()
    {
        await using var database = new SqliteTestDatabase();
        await database.InitializeAsync();
        var folder = Path.Combine(Path.GetTempPath(), "santegw-anchor-" + Guid.NewGuid().ToString("N"));
        var anchors = AuditCheckpointOptions.InDataFolder(folder);
        anchors.Interval = TimeSpan.FromMilliseconds(200);
        anchors.EveryEvents = 2;
        string id;
        await using (var gw = await TestGateway.StartAsync(database, configure: o => o.AuditCheckpoints = anchors))
        {
            var client = await gw.ClientAsync(GatewayRoles.FrontDesk);
            for (var i = 0; i < 3; i++)
            {
                await client.CreateAsync(Http.Person(birthName: "ANCRE" + (char)('A' + i)));
            }

            var created = await client.CreateAsync(Http.Person(birthName: "ANCRE"));
            id = created.GetProperty("id").GetString()!;
            var changed = await client.PostAsJsonAsync($"/api/identities/{id}/evidence", Http.Passport(), Http.Json, TestContext.Current.CancellationToken);
            changed.IsSuccessStatusCode.Should().BeTrue(await changed.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        }

        // Stopping wrote the final checkpoint: every event is anchored.
        using var key = AuditCheckpoints.LoadVerificationKey(anchors.SigningKeyPath);
        await using (var db = database.CreateContext())
        {
            var report = await AuditVerifier.VerifyAsync(db, anchors.CheckpointPath, key, TimeSpan.Zero, DateTimeOffset.UtcNow, TestContext.Current.CancellationToken);
            report.Findings.Should().BeEmpty();
            report.CheckpointCount.Should().BeGreaterThanOrEqualTo(2);
            report.IdentitiesChecked.Should().Be(4);
        }

        await database.ExecuteAsync($"UPDATE identities SET \"Status\" = 'QUAL' WHERE \"Id\" = '{id.ToUpperInvariant()}'");
        await using (var db = database.CreateContext())
        {
            var report = await AuditVerifier.VerifyAsync(db, anchors.CheckpointPath, key, TimeSpan.Zero, DateTimeOffset.UtcNow, TestContext.Current.CancellationToken);
            report.Findings.Should().ContainSingle(f => f.Kind == "identity-row-mismatch" && f.Detail.Contains(id));
        }

        Directory.Delete(folder, recursive: true);
    }
}
