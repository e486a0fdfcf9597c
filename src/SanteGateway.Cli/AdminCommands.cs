using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SanteGateway.Server.Security;
using SanteGateway.Store;

namespace SanteGateway.Cli;

/// <summary>
/// <c>santegw admin users|keys|reset-password</c>: accounts and API keys, run by the operator on the data folder or the
/// database (no running server, no sign-in needed). Whoever holds the server can therefore recover a lost administrator
/// password. Every change is audited with the actor <c>cli:USER</c>.
/// </summary>
internal sealed class AdminCommands : ICommandModule
{
    public Command Create()
    {
        var admin = new Command("admin", "Accounts and API keys, on the data folder or the database.");
        var users = new Command("users", "Web UI accounts.");
        users.Subcommands.Add(UsersList());
        users.Subcommands.Add(UsersCreate());
        users.Subcommands.Add(UsersSetDisabled("disable", true));
        users.Subcommands.Add(UsersSetDisabled("enable", false));
        users.Subcommands.Add(UsersRoles());
        var keys = new Command("keys", "API client keys.");
        keys.Subcommands.Add(KeysList());
        keys.Subcommands.Add(KeysCreate());
        keys.Subcommands.Add(KeysRevoke());
        admin.Subcommands.Add(users);
        admin.Subcommands.Add(keys);
        admin.Subcommands.Add(ResetPassword());
        return admin;
    }

    private static string Actor => "cli:" + Environment.UserName;

    private static Option<string[]> RoleOption() => new("--role")
    {
        Description = $"Role ({string.Join(", ", GatewayRoles.All)}); repeat for several.",
        AllowMultipleArgumentsPerToken = true,
    };

    /// <summary>Runs an action with an <see cref="AccountAdmin"/> on the configured database; maps problems to exit codes.</summary>
    private static void Run(Command command, Func<ParseResult, AccountAdmin, CancellationToken, Task<int>> action)
    {
        var db = DbCommands.DatabaseOptions.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var options = await db.ResolveExistingAsync(parse).ConfigureAwait(false);
            if (options is null)
            {
                return Program.UsageError;
            }

            var services = new ServiceCollection();
            services.AddLogging(l => l.SetMinimumLevel(LogLevel.Warning));
            services.AddSingleton(TimeProvider.System);
            services.AddGatewayStore(options.Store);
            services.AddGatewayAccounts();
            await using var provider = services.BuildServiceProvider();
            await using var scope = provider.CreateAsyncScope();
            try
            {
                var accounts = scope.ServiceProvider.GetRequiredService<AccountAdmin>();
                await accounts.EnsureRolesAsync().ConfigureAwait(false);
                return await action(parse, accounts, ct).ConfigureAwait(false);
            }
            catch (AccountProblem p)
            {
                await Console.Error.WriteLineAsync($"{p.Field}: {p.Message}").ConfigureAwait(false);
                return p.Status == 404 ? 3 : 1;
            }
        });
    }

    private static Command UsersList()
    {
        var c = new Command("list", "List accounts: name, roles, disabled.");
        Run(c, async (_, admin, ct) =>
        {
            foreach (var u in await admin.ListUsersAsync(ct).ConfigureAwait(false))
            {
                Console.WriteLine($"{u.UserName}\t{string.Join(',', u.Roles)}\t{(u.Disabled ? "disabled" : "enabled")}\t{u.Id}");
            }

            return 0;
        });
        return c;
    }

    private static Command UsersCreate()
    {
        var c = new Command("create", "Create an account; prints a generated password once unless --password is given.");
        var name = new Argument<string>("user");
        var roles = RoleOption();
        var password = new Option<string>("--password") { Description = "Initial password (default: generated and printed once)." };
        c.Arguments.Add(name);
        c.Options.Add(roles);
        c.Options.Add(password);
        Run(c, async (parse, admin, ct) =>
        {
            var chosen = parse.GetValue(password);
            var pw = string.IsNullOrEmpty(chosen) ? Server.GatewayApp.GeneratePassword() : chosen;
            var user = await admin.CreateUserAsync(parse.GetValue(name), pw, parse.GetValue(roles), Actor, "cli", ct).ConfigureAwait(false);
            Console.WriteLine($"santegw: created the account '{user.UserName}' ({string.Join(',', user.Roles)})");
            if (string.IsNullOrEmpty(chosen))
            {
                Console.WriteLine($"santegw: password (shown once): {pw}");
            }

            return 0;
        });
        return c;
    }

    private static Command UsersSetDisabled(string verb, bool disabled)
    {
        var c = new Command(verb, disabled ? "Disable an account; its sessions end at once." : "Enable a disabled account.");
        var name = new Argument<string>("user");
        c.Arguments.Add(name);
        Run(c, async (parse, admin, ct) =>
        {
            var user = await admin.UpdateUserAsync(parse.GetValue(name)!, null, disabled, Actor, "cli", ct).ConfigureAwait(false);
            Console.WriteLine($"santegw: account '{user.UserName}' {(disabled ? "disabled" : "enabled")}");
            return 0;
        });
        return c;
    }

    private static Command UsersRoles()
    {
        var c = new Command("roles", "Replace an account's roles; its sessions end at once.");
        var name = new Argument<string>("user");
        var roles = RoleOption();
        c.Arguments.Add(name);
        c.Options.Add(roles);
        Run(c, async (parse, admin, ct) =>
        {
            var user = await admin.UpdateUserAsync(parse.GetValue(name)!, parse.GetValue(roles) ?? [], null, Actor, "cli", ct).ConfigureAwait(false);
            Console.WriteLine($"santegw: account '{user.UserName}' now has {string.Join(',', user.Roles)}");
            return 0;
        });
        return c;
    }

    private static Command ResetPassword()
    {
        var c = new Command("reset-password", "Set a new password (generated and printed once unless --password); clears throttling, ends sessions.");
        var name = new Argument<string>("user");
        var password = new Option<string>("--password") { Description = "New password (default: generated and printed once)." };
        c.Arguments.Add(name);
        c.Options.Add(password);
        Run(c, async (parse, admin, ct) =>
        {
            var chosen = parse.GetValue(password);
            var pw = await admin.ResetPasswordAsync(parse.GetValue(name)!, chosen, Actor, "cli", ct).ConfigureAwait(false);
            Console.WriteLine(string.IsNullOrEmpty(chosen)
                ? $"santegw: new password for '{parse.GetValue(name)}' (shown once): {pw}"
                : $"santegw: password of '{parse.GetValue(name)}' changed");
            return 0;
        });
        return c;
    }

    private static Command KeysList()
    {
        var c = new Command("list", "List API keys: prefix, name, roles, created, last used, expiry, status.");
        Run(c, async (_, admin, ct) =>
        {
            foreach (var k in await admin.ListKeysAsync(ct).ConfigureAwait(false))
            {
                Console.WriteLine(string.Join('\t', k.Prefix, k.Name, string.Join(',', k.Roles), Time(k.CreatedAt), "last used " + Time(k.LastUsedAt),
                    "expires " + Time(k.ExpiresAt), k.Status));
            }

            return 0;
        });
        return c;
    }

    private static Command KeysCreate()
    {
        var c = new Command("create", "Create an API key; the key is printed once.");
        var name = new Argument<string>("name");
        var roles = RoleOption();
        var expires = new Option<DateTimeOffset?>("--expires") { Description = "End of validity (ISO 8601, e.g. 2027-06-30T00:00:00Z)." };
        c.Arguments.Add(name);
        c.Options.Add(roles);
        c.Options.Add(expires);
        Run(c, async (parse, admin, ct) =>
        {
            var (key, view) = await admin.CreateKeyAsync(parse.GetValue(name), parse.GetValue(roles), parse.GetValue(expires), Actor, "cli", ct).ConfigureAwait(false);
            Console.WriteLine($"santegw: created API key {view.Prefix} '{view.Name}' ({string.Join(',', view.Roles)})");
            Console.WriteLine($"santegw: key (shown once): {key}");
            return 0;
        });
        return c;
    }

    private static Command KeysRevoke()
    {
        var c = new Command("revoke", "Revoke an API key (by id or sgw_ID prefix); it stops working at once.");
        var id = new Argument<string>("id");
        c.Arguments.Add(id);
        Run(c, async (parse, admin, ct) =>
        {
            var raw = parse.GetValue(id)!;
            var keyId = raw.StartsWith("sgw_", StringComparison.Ordinal) ? raw[4..].Split('_')[0] : raw;
            var view = await admin.RevokeKeyAsync(keyId, Actor, "cli", ct).ConfigureAwait(false);
            Console.WriteLine($"santegw: API key {view.Prefix} '{view.Name}' revoked");
            return 0;
        });
        return c;
    }

    private static string Time(DateTimeOffset? t) => t?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm'Z'", CultureInfo.InvariantCulture) ?? "-";
}
