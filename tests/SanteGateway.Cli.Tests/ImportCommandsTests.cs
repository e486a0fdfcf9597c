// Short local process and SQLite calls; threading the test token through each adds nothing here.
#pragma warning disable xUnit1051
using System.Text;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using SanteGateway.Store;

namespace SanteGateway.Cli.Tests;

/// <summary><c>santegw import identities FILE.csv</c>: rows imported, refused rows written by line, exit codes.</summary>
[Collection("ins-cli console")]
public sealed class ImportCommandsTests : IDisposable
{
    private readonly string dataDir = Path.Combine(Path.GetTempPath(), "santegw-import-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(dataDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task Import_identities_loads_the_valid_rows_writes_the_refused_ones_with_their_line_and_exits_1()
    {
        (await CliRunner.RunAsync("db", "migrate", "--data", dataDir)).Exit.Should().Be(0);
        var file = Path.Combine(dataDir, "base.csv");
        await File.WriteAllTextAsync(file, "\uFEFFlocalId,birthName,birthFirstNames,sex,birthDate\r\nP1,Dupont,Jean,M,1970-01-01\r\nP2,Dupont,Jeanne,F,1970-13-01\r\nP3,\"Le Gall\",Anne,F,1980-02-02\r\n", new UTF8Encoding(false));

        var (exit, output, error) = await CliRunner.RunAsync("import", "identities", file, "--data", dataDir, "--authority", "1.2.250.1.999.1");

        exit.Should().Be(1, error);
        output.Should().Contain("3 rows: 2 imported, 1 rejected");
        var rejects = await File.ReadAllLinesAsync(file + ".rejects.csv");
        rejects.Should().HaveCount(2);
        rejects[0].Should().Be("line;localId;rule;reason");
        rejects[1].Should().StartWith("3;P2;birthDate/format;");
        await using var db = GatewayStore.CreateContext(new StoreOptions { ConnectionString = GatewayStore.SqliteConnectionString(Path.Combine(dataDir, "santegw.db")) });
        (await db.ExternalIdentifiers.Where(x => x.Authority == "1.2.250.1.999.1").Select(x => x.Value).OrderBy(v => v).ToListAsync()).Should().Equal("P1", "P3");
        (await db.HomonymCounts.SingleAsync(c => c.Kind == HomonymCounts.NameOnly && c.NameKey == "DUPONT")).Count.Should().Be(1);
    }

    [Fact]
    public async Task Import_identities_refuses_a_file_without_the_localId_column_with_exit_2()
    {
        Directory.CreateDirectory(dataDir);
        var file = Path.Combine(dataDir, "bad.csv");
        await File.WriteAllTextAsync(file, "birthName;sex\nDupont;M\n");
        var (exit, _, error) = await CliRunner.RunAsync("import", "identities", file, "--data", dataDir);
        exit.Should().Be(2);
        error.Should().Contain("localId");
    }
}
