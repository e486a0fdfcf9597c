using System.CommandLine;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SanteGateway.Conformance;
using SanteGateway.Insi.Sandbox;
using SanteGateway.Insi.Sandbox.Pki;
using SanteGateway.Server.Insi;

namespace SanteGateway.Cli;

/// <summary>
/// <c>santegw cnda run</c>: plays the INSi conformance plan through the gateway's use cases against the built-in sandbox
/// (started here) or a configured endpoint, and writes the acceptance folder. Exit 0 when no test failed, 1 otherwise,
/// 2 on a usage error.
/// </summary>
internal sealed class CndaCommands : ICommandModule
{
    /// <summary>Environment variable naming the folder of the approval centre's response files.</summary>
    internal const string CndaFilesVariable = "SANTEGW_CNDA_FILES";

    public Command Create()
    {
        var cnda = new Command("cnda", "CNDA acceptance kit: run the INSi conformance plan and write the acceptance file.");
        var run = new Command("run", "Run every test of the plan (or --case ID ...) and write DIR/index.html, per-test reports and raw traces.");
        var target = new Option<string>("--target") { Description = "'sandbox' (default: a built-in sandbox is started with a fresh test PKI) or the https URL of an INSi endpoint.", DefaultValueFactory = _ => "sandbox" };
        var cert = new Option<string?>("--cert") { Description = "PKCS#12 of the INSI-AUTO certificate (URL target)." };
        var manualCert = new Option<string?>("--manual-cert") { Description = "PKCS#12 of the INSI-MANU certificate (URL target; default --cert)." };
        var wrongCn = new Option<string?>("--wrong-cn-cert") { Description = "PKCS#12 of a certificate whose CN is neither INSI-AUTO nor INSI-MANU (test DESIR_560; not run without it)." };
        var passwordEnv = new Option<string>("--cert-password-env") { Description = "Environment variable holding the PKCS#12 password(s).", DefaultValueFactory = _ => "SANTEGW_INSI_CERT_PASSWORD" };
        var ca = new Option<string[]>("--ca") { Description = "CA file(s) trusted for the server chain (URL target), e.g. ACR-EL.cer ACI-EL-ORG.cer.", AllowMultipleArgumentsPerToken = true };
        var idam = new Option<string?>("--idam") { Description = "Software authorisation number (LPS/IDAM). Default: SANDBOX-IDAM on the sandbox, $SANTEGW_INSI_IDAM otherwise." };
        var files = new Option<string?>("--cnda-files") { Description = $"Folder of the approval centre's response files (REP_CR01.xml, TEST_2.04_cas2.xml...). Default ${CndaFilesVariable}." };
        var screenshots = new Option<string?>("--screenshots")
        {
            Description = "Without a value: take the screen of each test with headless Chromium (the gateway's web UI on the test's data). With DIR: embed DIR/<test>/*.png written by the end-to-end run.",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var chromium = new Option<string>("--chromium") { Description = "Chromium binary for --screenshots.", DefaultValueFactory = _ => HeadlessChromium.DefaultPath };
        var output = new Option<string>("--out") { Description = "Acceptance folder to write.", DefaultValueFactory = _ => "cnda-acceptance" };
        var only = new Option<string[]>("--case") { Description = "Run only these test ids (repeatable).", AllowMultipleArgumentsPerToken = true };
        var version = new Option<string>("--software-version") { Description = "Version of the software under test (LPS/Version).", DefaultValueFactory = _ => "0.1.0" };
        foreach (var o in new Option[] { target, cert, manualCert, wrongCn, passwordEnv, ca, idam, files, screenshots, chromium, output, only, version })
        {
            run.Options.Add(o);
        }

        run.SetAction(async (parse, ct) =>
        {
            var cndaFiles = parse.GetValue(files) ?? Environment.GetEnvironmentVariable(CndaFilesVariable);
            if (string.IsNullOrWhiteSpace(cndaFiles) || !Directory.Exists(cndaFiles))
            {
                await Console.Error.WriteLineAsync($"--cnda-files: a folder holding the CNDA response files is required (or ${CndaFilesVariable}); got '{cndaFiles}'.").ConfigureAwait(false);
                return Program.UsageError;
            }

            var ids = parse.GetValue(only) ?? [];
            var unknown = ids.Where(i => CndaPlan.Cases.All(c => c.Id != i)).ToList();
            if (unknown.Count > 0)
            {
                await Console.Error.WriteLineAsync($"--case: unknown test id(s) {string.Join(", ", unknown)}; known: {string.Join(", ", CndaPlan.Cases.Select(c => c.Id))}").ConfigureAwait(false);
                return Program.UsageError;
            }

            var cases = ids.Length == 0 ? CndaPlan.Cases : CndaPlan.Cases.Where(c => ids.Contains(c.Id)).ToList();
            var targetText = parse.GetValue(target)!;
            var password = Environment.GetEnvironmentVariable(parse.GetValue(passwordEnv)!);
            string? pki = null;
            InsiSandboxServer? sandbox = null;
            HeadlessChromium? browser = null;
            string? shots = null;
            var capture = parse.GetResult(screenshots) is not null && parse.GetValue(screenshots) is null;
            try
            {
                if (capture)
                {
                    try
                    {
                        browser = await HeadlessChromium.StartAsync(parse.GetValue(chromium), ct).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (ex is FileNotFoundException or InvalidOperationException or TimeoutException or System.ComponentModel.Win32Exception)
                    {
                        await Console.Error.WriteLineAsync($"--screenshots: {ex.Message}").ConfigureAwait(false);
                        return Program.UsageError;
                    }

                    shots = Path.Combine(Path.GetTempPath(), "santegw-cnda-shots-" + Guid.NewGuid().ToString("N"));
                }

                ConformanceTarget conformanceTarget;
                if (string.Equals(targetText, "sandbox", StringComparison.OrdinalIgnoreCase))
                {
                    pki = Path.Combine(Path.GetTempPath(), "santegw-cnda-pki-" + Guid.NewGuid().ToString("N"));
                    var made = TestPki.Create(pki, null, force: false);
                    sandbox = await InsiSandboxServer.StartAsync(new InsiSandboxOptions { PkiDirectory = pki, Password = made.Password }, ct).ConfigureAwait(false);
                    conformanceTarget = new ConformanceTarget
                    {
                        Endpoint = sandbox.Endpoint,
                        IsSandbox = true,
                        Idam = parse.GetValue(idam) ?? InsiSandboxOptions.DefaultIdam,
                        SoftwareVersion = parse.GetValue(version)!,
                        AutomaticCertificatePath = Path.Combine(pki, TestPki.InsiAutoP12File),
                        AutomaticCertificatePassword = made.Password,
                        ManualCertificatePath = Path.Combine(pki, TestPki.InsiManuP12File),
                        ManualCertificatePassword = made.Password,
                        WrongCnCertificatePath = Path.Combine(pki, TestPki.OtherP12File),
                        WrongCnCertificatePassword = made.Password,
                        CndaFilesDirectory = cndaFiles,
                    };
                    conformanceTarget.TrustedCaPaths.Add(Path.Combine(pki, TestPki.CaPemFile));
                    Console.WriteLine($"INSi sandbox started on {sandbox.Endpoint}");
                }
                else
                {
                    if (!Uri.TryCreate(targetText, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps)
                    {
                        await Console.Error.WriteLineAsync($"--target: expected 'sandbox' or an https URL, got '{targetText}'.").ConfigureAwait(false);
                        return Program.UsageError;
                    }

                    var auto = parse.GetValue(cert);
                    var manual = parse.GetValue(manualCert);
                    var cas = parse.GetValue(ca) ?? [];
                    var idamValue = parse.GetValue(idam) ?? Environment.GetEnvironmentVariable(InsiCommands.IdamVariable);
                    if ((auto ?? manual) is null || cas.Length == 0 || string.IsNullOrWhiteSpace(idamValue))
                    {
                        await Console.Error.WriteLineAsync("A URL target needs --cert (and/or --manual-cert), --ca and --idam (or $SANTEGW_INSI_IDAM).").ConfigureAwait(false);
                        return Program.UsageError;
                    }

                    conformanceTarget = new ConformanceTarget
                    {
                        Endpoint = uri,
                        Idam = idamValue,
                        SoftwareVersion = parse.GetValue(version)!,
                        AutomaticCertificatePath = auto,
                        AutomaticCertificatePassword = password,
                        ManualCertificatePath = manual,
                        ManualCertificatePassword = password,
                        WrongCnCertificatePath = parse.GetValue(wrongCn),
                        WrongCnCertificatePassword = password,
                        CndaFilesDirectory = cndaFiles,
                    };
                    foreach (var c in cas)
                    {
                        conformanceTarget.TrustedCaPaths.Add(c);
                    }
                }

                var runner = new ConformanceRunner(conformanceTarget, o => new InsiClientPort(Options.Create(o), NullLoggerFactory.Instance, TimeProvider.System))
                {
                    Screens = browser is null ? null : new CndaScreens(browser, shots!),
                };
                var result = await runner.RunAsync(cases, r => Console.WriteLine($"{AcceptanceReport.Label(r.Verdict),-12} {r.Case.Id,-28} {r.Case.Title}{(r.Note is null ? "" : " — " + r.Note)}"), ct).ConfigureAwait(false);
                var index = AcceptanceReport.Write(result, parse.GetValue(output)!, shots ?? parse.GetValue(screenshots));
                Console.WriteLine($"{result.Passed} passed, {result.Failed} failed, {result.NotRun} not run; acceptance file: {index}");
                return result.Succeeded ? 0 : 1;
            }
            catch (ArgumentException ex)
            {
                await Console.Error.WriteLineAsync(ex.Message).ConfigureAwait(false);
                return 1;
            }
            catch (IOException ex)
            {
                await Console.Error.WriteLineAsync(ex.Message).ConfigureAwait(false);
                return 1;
            }
            finally
            {
                if (browser is not null)
                {
                    await browser.DisposeAsync().ConfigureAwait(false);
                }

                if (shots is not null && Directory.Exists(shots))
                {
                    Directory.Delete(shots, recursive: true);
                }

                if (sandbox is not null)
                {
                    await sandbox.DisposeAsync().ConfigureAwait(false);
                }

                if (pki is not null)
                {
                    Directory.Delete(pki, recursive: true);
                }
            }
        });
        cnda.Subcommands.Add(run);
        return cnda;
    }
}
