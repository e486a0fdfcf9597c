using SanteGateway.Testing;

namespace SanteGateway.Cli.Tests;

[Collection("ins-cli console")]
public class DocumentsCommandsTests
{
    [Fact]
    public async Task Documents_send_for_a_provisional_identity_exits_1_naming_rniv_not_qualified_and_records_nothing()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"santegw-docs-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            var store = new SanteGateway.Store.StoreOptions { ConnectionString = SanteGateway.Store.GatewayStore.SqliteConnectionString(Path.Combine(dir, "santegw.db")) };
            await using (var db = SanteGateway.Store.GatewayStore.CreateContext(store))
            {
                await Microsoft.EntityFrameworkCore.RelationalDatabaseFacadeExtensions.MigrateAsync(db.Database, TestContext.Current.CancellationToken);
            }

            var services = new Microsoft.Extensions.DependencyInjection.ServiceCollection();
            Microsoft.Extensions.DependencyInjection.LoggingServiceCollectionExtensions.AddLogging(services);
            Microsoft.Extensions.DependencyInjection.MetricsServiceExtensions.AddMetrics(services);
            SanteGateway.Store.GatewayStore.AddGatewayStore(services, store);
            SanteGateway.Application.ServiceCollectionExtensions.AddSanteGatewayApplication(services);
            Guid id;
            await using (var provider = Microsoft.Extensions.DependencyInjection.ServiceCollectionContainerBuilderExtensions.BuildServiceProvider(services))
            {
                var identities = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<SanteGateway.Application.IdentityService>(Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.CreateScope(provider).ServiceProvider);
                var created = await identities.CreateAsync(
                    new SanteGateway.Application.CreateIdentityRequest("ADRTROIS", "TOUSSAINT", "TOUSSAINT", "M", "1960-01-01", "2B020", null, null, "SM", null),
                    new SanteGateway.Application.Actor("test", "cli-test", false),
                    TestContext.Current.CancellationToken);
                id = created.Value!.Id;
            }

            var cda = TestPaths.SharedFile("data", "cda", "TestContenuCDA-3-0", "ExemplesCDA", "BIO-TROD_2024.01_Angine.xml");
            var (exit, _, stderr) = await CliRunner.RunAsync("documents", "send", "--data", dir, "--identity", id.ToString(), cda);

            exit.Should().Be(1, stderr);
            stderr.Should().Contain("rniv.not-qualified");
            var (listExit, listed, _) = await CliRunner.RunAsync("documents", "list", "--data", dir, "--identity", id.ToString());
            listExit.Should().Be(0);
            listed.Should().BeEmpty();
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }
}
