// Short local process and SQLite calls; threading the test token through each adds nothing here.
#pragma warning disable xUnit1051
using Microsoft.AspNetCore.Identity;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using SanteGateway.Store;
using SanteGateway.Store.Entities;

namespace SanteGateway.Cli.Tests;

/// <summary><c>santegw admin</c>: the operator manages accounts and keys on the data folder, and recovers a lost admin password.</summary>
[Collection("ins-cli console")]
public sealed class AdminCommandsTests : IDisposable
{
    private readonly string dataDir = Path.Combine(Path.GetTempPath(), "santegw-admin-" + Guid.NewGuid().ToString("N"));

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

    private GatewayDbContext Db() => GatewayStore.CreateContext(new SanteGateway.Store.StoreOptions { ConnectionString = GatewayStore.SqliteConnectionString(Path.Combine(dataDir, "santegw.db")) });

    private static string After(string output, string marker) =>
        output.Split('\n').Single(l => l.Contains(marker, StringComparison.Ordinal)).Split(marker)[1].Trim();

    [Fact]
    public async Task The_operator_manages_accounts_and_keys_and_recovers_a_lost_admin_password_every_change_audited()
    {
        (await CliRunner.RunAsync("db", "migrate", "--data", dataDir)).Exit.Should().Be(0);

        var created = await CliRunner.RunAsync("admin", "users", "create", "boss", "--role", "admin", "--data", dataDir);
        created.Exit.Should().Be(0, created.Err);
        var firstPassword = After(created.Out, "password (shown once):");
        (await CliRunner.RunAsync("admin", "users", "create", "ivu", "--role", "identity-vigilance", "--password", "Correct-Horse-42", "--data", dataDir)).Exit.Should().Be(0);
        (await CliRunner.RunAsync("admin", "users", "roles", "ivu", "--role", "front-desk", "--role", "identity-vigilance", "--data", dataDir)).Exit.Should().Be(0);
        (await CliRunner.RunAsync("admin", "users", "disable", "ivu", "--data", dataDir)).Exit.Should().Be(0);

        var list = await CliRunner.RunAsync("admin", "users", "list", "--data", dataDir);
        list.Out.Should().Contain("boss\tadmin\tenabled").And.Contain("ivu\tfront-desk,identity-vigilance\tdisabled");

        // The last enabled administrator cannot be disabled, even from the CLI.
        var last = await CliRunner.RunAsync("admin", "users", "disable", "boss", "--data", dataDir);
        last.Exit.Should().Be(1);
        last.Err.Should().Contain("last enabled administrator");

        var reset = await CliRunner.RunAsync("admin", "reset-password", "boss", "--data", dataDir);
        reset.Exit.Should().Be(0, reset.Err);
        var newPassword = After(reset.Out, "(shown once):");
        newPassword.Should().NotBe(firstPassword);
        await using (var db = Db())
        {
            var boss = await db.Users.SingleAsync(u => u.UserName == "boss");
            new PasswordHasher<GatewayUser>().VerifyHashedPassword(boss, boss.PasswordHash!, newPassword).Should().NotBe(PasswordVerificationResult.Failed);
            new PasswordHasher<GatewayUser>().VerifyHashedPassword(boss, boss.PasswordHash!, firstPassword).Should().Be(PasswordVerificationResult.Failed);
        }

        var key = await CliRunner.RunAsync("admin", "keys", "create", "lab", "--role", "front-desk", "--expires", "2099-01-01T00:00:00Z", "--data", dataDir);
        key.Exit.Should().Be(0, key.Err);
        var plain = After(key.Out, "key (shown once):");
        var prefix = plain[..20];
        var keys = await CliRunner.RunAsync("admin", "keys", "list", "--data", dataDir);
        keys.Out.Should().Contain(prefix).And.Contain("lab").And.Contain("expires 2099-01-01").And.Contain("active").And.NotContain(plain);
        (await CliRunner.RunAsync("admin", "keys", "revoke", prefix, "--data", dataDir)).Exit.Should().Be(0);
        (await CliRunner.RunAsync("admin", "keys", "list", "--data", dataDir)).Out.Should().Contain("revoked");
        (await CliRunner.RunAsync("admin", "keys", "revoke", "0000000000000000", "--data", dataDir)).Exit.Should().Be(3);

        await using (var db = Db())
        {
            var actions = await db.AuditEvents.OrderBy(e => e.Sequence).Select(e => e.Action + "/" + e.Source).ToListAsync();
            actions.Should().Equal("user.created/cli", "user.created/cli", "user.roles-changed/cli", "user.disabled/cli", "user.password-reset/cli", "apikey.created/cli", "apikey.revoked/cli");
            (await db.AuditEvents.Select(e => e.Actor).Distinct().ToListAsync()).Should().Equal("cli:" + Environment.UserName);
        }
    }

    [Fact]
    public async Task Admin_commands_without_a_database_are_a_usage_error()
    {
        var (exit, _, err) = await CliRunner.RunAsync("admin", "users", "list", "--data", dataDir);
        exit.Should().Be(2);
        err.Should().Contain("No gateway database");
    }
}
