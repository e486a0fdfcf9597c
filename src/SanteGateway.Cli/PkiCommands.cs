using System.CommandLine;
using SanteGateway.Insi.Sandbox.Pki;

namespace SanteGateway.Cli;

/// <summary><c>santegw pki init</c>: creates the sandbox test PKI.</summary>
internal sealed class PkiCommands : ICommandModule
{
    public Command Create()
    {
        var pki = new Command("pki", "Local test PKI for the INSi sandbox (CA, server and INSi client certificates).");
        var init = new Command("init", "Create ca.pem/ca.cer, server.p12, INSI-AUTO.p12, INSI-MANU.p12, OTHER.p12 and CPS.p12 in a folder.");
        var dir = new Option<string>("--dir") { Description = "Target folder (created if missing).", Required = true };
        var passwordEnv = new Option<string?>("--password-env")
        {
            Description = "Name of the environment variable holding the PKCS#12 password; without it a password is generated into DIR/password.txt (mode 600).",
        };
        var force = new Option<bool>("--force") { Description = "Overwrite an existing PKI." };
        init.Options.Add(dir);
        init.Options.Add(passwordEnv);
        init.Options.Add(force);
        init.SetAction(parseResult =>
        {
            var target = parseResult.GetValue(dir)!;
            string? password = null;
            var envName = parseResult.GetValue(passwordEnv);
            if (envName is not null)
            {
                password = Environment.GetEnvironmentVariable(envName);
                if (string.IsNullOrEmpty(password))
                {
                    Console.Error.WriteLine($"--password-env: the environment variable {envName} is not set or empty.");
                    return 1;
                }
            }

            try
            {
                var result = TestPki.Create(target, password, parseResult.GetValue(force));
                Console.WriteLine($"Test PKI created in {result.Directory}");
                foreach (var file in result.Files)
                {
                    Console.WriteLine($"  {file}");
                }

                Console.WriteLine(result.PasswordFile is null
                    ? $"  PKCS#12 password: from ${envName}"
                    : $"  PKCS#12 password: {result.PasswordFile} (owner-only)");
                return 0;
            }
            catch (IOException ex)
            {
                Console.Error.WriteLine(ex.Message);
                return 1;
            }
            catch (UnauthorizedAccessException ex)
            {
                Console.Error.WriteLine($"--dir: {ex.Message}");
                return 1;
            }
        });
        pki.Subcommands.Add(init);
        return pki;
    }
}
