using System.CommandLine;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using SanteGateway.Application;
using SanteGateway.Insi;
using SanteGateway.Server.Certificates;

namespace SanteGateway.Cli;

/// <summary>
/// <c>santegw certs check FILE|--store</c> (alias <c>cert</c>): what matters about an IGC-Santé software certificate,
/// in French and English; <c>cert request</c> (key pair + PKCS#10) and <c>cert install</c> (returned certificate + key → PKCS#12,
/// or onto the PKCS#11 token holding the key; checked).
/// Exit 0 when usable for its use (warnings allowed), 1 when a finding is an error, 2 on a usage error.
/// </summary>
internal sealed class CertCommands : ICommandModule
{
    public Command Create()
    {
        var certs = new Command("certs", "Establishment certificates (INSI-AUTO, INSI-MANU, ORG AUTH_CLI for ROR/DMP): check and track expiry.");
        certs.Aliases.Add("cert");
        var check = new Command("check", "Check a PKCS#12/PEM/DER certificate (or, with --store, every certificate the gateway is configured with).");
        var file = new Argument<string?>("FILE") { Description = "Certificate file (.p12/.pfx, .pem, .cer).", Arity = ArgumentArity.ZeroOrOne };
        var store = new Option<bool>("--store") { Description = "Check the certificates configured in the gateway (Gateway:Certificates and the INSi certificates of DATA/appsettings.json)." };
        var passwordEnv = new Option<string>("--password-env") { Description = "Environment variable holding the PKCS#12 password.", DefaultValueFactory = _ => "SANTEGW_INSI_CERT_PASSWORD" };
        var use = new Option<string?>("--use") { Description = "Intended use: insi-auto, insi-manu or org (ROR/DMP AUTH_CLI). Default: read from the CN." };
        var ca = new Option<string[]>("--ca") { Description = "IGC-Santé CA file(s) the chain must end at (e.g. ACR-EL.cer ACI-EL-ORG.cer); default $SANTEGW_INSI_CA.", AllowMultipleArgumentsPerToken = true };
        var warnDays = new Option<int>("--warn-days") { Description = "Warn when fewer days are left.", DefaultValueFactory = _ => 60 };
        var json = new Option<bool>("--json") { Description = "JSON output." };
        var data = new Option<string?>("--data") { Description = "Gateway data folder (with --store)." };
        var config = new Option<string?>("--config") { Description = "Configuration file (with --store)." };
        check.Arguments.Add(file);
        foreach (var o in new Option[] { store, passwordEnv, use, ca, warnDays, json, data, config })
        {
            check.Options.Add(o);
        }

        check.SetAction(async (parse, ct) =>
        {
            var path = parse.GetValue(file);
            if (parse.GetValue(store) == (path is not null))
            {
                await Console.Error.WriteLineAsync("Give either FILE or --store.").ConfigureAwait(false);
                return Program.UsageError;
            }

            CertificateUse? intended = null;
            if (parse.GetValue(use) is { } u)
            {
                if (!CertificateChecker.TryParseUse(u, out var parsed))
                {
                    await Console.Error.WriteLineAsync($"--use: expected insi-auto, insi-manu or org, got '{u}'.").ConfigureAwait(false);
                    return Program.UsageError;
                }

                intended = parsed;
            }

            var options = new CertificateCheckOptions { WarnDays = parse.GetValue(warnDays) };
            var cas = parse.GetValue(ca) is { Length: > 0 } given ? given : (Environment.GetEnvironmentVariable(InsiCommands.CaVariable)?.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries) ?? []);
            try
            {
                foreach (var c in cas)
                {
                    options.TrustAnchors.ImportFromPemOrDer(c);
                }
            }
            catch (Exception ex) when (ex is IOException or CryptographicException or UnauthorizedAccessException)
            {
                await Console.Error.WriteLineAsync($"--ca: {ex.Message}").ConfigureAwait(false);
                return Program.UsageError;
            }

            var targets = new List<(string Name, string Path, string? Password, CertificateUse? Use)>();
            if (path is not null)
            {
                targets.Add((Path.GetFileName(path), path, Environment.GetEnvironmentVariable(parse.GetValue(passwordEnv)!), intended));
            }
            else
            {
                var (gateway, cfg, error) = GatewaySettings.Resolve(parse.GetValue(data), parse.GetValue(config), null, null, null);
                if (gateway is null || cfg is null)
                {
                    await Console.Error.WriteLineAsync(error).ConfigureAwait(false);
                    return Program.UsageError;
                }

                var insi = cfg.GetSection("Insi");
                InsiClientOptions? insiOptions = null;
                if (insi["CertificatePath"] is { Length: > 0 } auto)
                {
                    var pwd = Environment.GetEnvironmentVariable(insi["CertificatePasswordEnv"] ?? ServeInsi.DefaultPasswordVariable);
                    insiOptions = new InsiClientOptions { AutomaticCertificatePath = auto, AutomaticCertificatePassword = pwd, ManualCertificatePath = insi["ManualCertificatePath"], ManualCertificatePassword = pwd };
                    foreach (var t in insi.GetSection("TrustedCaPaths").Get<string[]>() ?? [])
                    {
                        insiOptions.TrustedCaPaths.Add(t);
                    }
                }

                var inventory = CertificateEndpoints.ReadOptions(cfg, insiOptions);
                foreach (var a in options.TrustAnchors.Count == 0 ? inventory.TrustAnchorPaths : [])
                {
                    options.TrustAnchors.ImportFromPemOrDer(a);
                }

                targets.AddRange(inventory.Certificates.Select(t => (t.Name, t.Path, t.Password, (CertificateUse?)t.Use)));
                if (targets.Count == 0)
                {
                    Console.WriteLine("No certificate is configured (Gateway:Certificates, Insi:CertificatePath).");
                    return 0;
                }
            }

            var worst = CertificateSeverity.Ok;
            var reports = new List<object>();
            foreach (var (name, p, password, intendedUse) in targets)
            {
                CertificateReport report;
                try
                {
                    var (leaf, others) = CertificateChecker.Load(p, password);
                    using (leaf)
                    {
                        report = CertificateChecker.Check(leaf, intendedUse, options, others);
                    }
                }
                catch (Exception ex) when (ex is IOException or CryptographicException or UnauthorizedAccessException)
                {
                    await Console.Error.WriteLineAsync($"{name}: cannot read {p}: {ex.Message} (mot de passe ou fichier incorrect / wrong password or file)").ConfigureAwait(false);
                    worst = CertificateSeverity.Error;
                    continue;
                }

                worst = (CertificateSeverity)Math.Max((int)worst, (int)report.Severity);
                if (parse.GetValue(json))
                {
                    reports.Add(new { name, path = p, report });
                }
                else
                {
                    Print(name, report);
                }
            }

            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(reports, new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true, Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } }));
            }

            return worst == CertificateSeverity.Error ? 1 : 0;
        });
        certs.Subcommands.Add(check);
        certs.Subcommands.Add(CreateRequest());
        certs.Subcommands.Add(CreateInstall());
        return certs;
    }

    /// <summary><c>cert request</c>: key pair + PKCS#10 with the subject the IGC-Santé ordering form needs.</summary>
    private static Command CreateRequest()
    {
        var request = new Command("request", "Generate a key pair and a PKCS#10 request (CSR) for an IGC-Santé software certificate; the key is written encrypted.");
        var use = new Option<string>("--use") { Description = "insi-auto (CN INSI-AUTO), insi-manu (CN INSI-MANU) or org (ORG AUTH_CLI for the ROR and the DMP; give --cn).", Required = true };
        var organisation = new Option<string>("--organisation") { Description = "Establishment name as registered (subject O).", Required = true };
        organisation.Aliases.Add("--organization");
        var finess = new Option<string?>("--finess") { Description = "FINESS of the establishment (subject OU = 1 + FINESS)." };
        var siret = new Option<string?>("--siret") { Description = "SIRET of the structure (subject OU = 3 + SIRET)." };
        var structureId = new Option<string?>("--structure-id") { Description = "Structure identifier with its type prefix, as is (subject OU)." };
        var cn = new Option<string?>("--cn") { Description = "CN of an org certificate (application or instance name); fixed for INSi." };
        var state = new Option<string?>("--state") { Description = "Subject ST as on the ordering form, e.g. \"Rhône (69)\"." };
        var dns = new Option<string[]>("--dns") { Description = "DNS name(s) for a server certificate (adds subjectAltName and serverAuth).", AllowMultipleArgumentsPerToken = true };
        var keySize = new Option<int>("--key-size") { Description = "RSA key size (2048, 3072, 4096).", DefaultValueFactory = _ => 2048 };
        var outDir = new Option<string>("--out-dir") { Description = "Folder receiving NAME.csr.pem and NAME.key.pem (created if missing).", DefaultValueFactory = _ => "." };
        var name = new Option<string?>("--name") { Description = "Base name of the files (default: the use and structure id, e.g. insi-auto-10B0152872)." };
        var passphraseEnv = new Option<string>("--passphrase-env") { Description = "Environment variable holding the passphrase encrypting the private key (8 characters at least).", DefaultValueFactory = _ => "SANTEGW_CERT_KEY_PASSPHRASE" };
        var module = new Option<string?>("--pkcs11-module") { Description = "Generate the key pair on a PKCS#11 token (HSM, smart card) through this module: the private key never leaves the token and the request is signed there." };
        var tokenLabel = new Option<string?>("--token-label") { Description = "Label of the PKCS#11 token (required when several are present)." };
        var pinEnv = new Option<string>("--pin-env") { Description = "Environment variable holding the token's user PIN (never on the command line).", DefaultValueFactory = _ => "SANTEGW_PKCS11_PIN" };
        var pinFile = new Option<string?>("--pin-file") { Description = "File holding the token's user PIN (first line), instead of --pin-env." };
        foreach (var o in new Option[] { use, organisation, finess, siret, structureId, cn, state, dns, keySize, outDir, name, passphraseEnv, module, tokenLabel, pinEnv, pinFile })
        {
            request.Options.Add(o);
        }

        request.SetAction(async (parse, ct) =>
        {
            if (!CertificateChecker.TryParseUse(parse.GetValue(use), out var u))
            {
                await Console.Error.WriteLineAsync($"--use: expected insi-auto, insi-manu or org, got '{parse.GetValue(use)}'.").ConfigureAwait(false);
                return Program.UsageError;
            }

            var ids = new[] { parse.GetValue(finess), parse.GetValue(siret), parse.GetValue(structureId) }.Count(v => !string.IsNullOrWhiteSpace(v));
            if (ids != 1)
            {
                await Console.Error.WriteLineAsync("Give exactly one of --finess, --siret or --structure-id (the structure identifier written into OU).").ConfigureAwait(false);
                return Program.UsageError;
            }

            string ou;
            try
            {
                ou = parse.GetValue(finess) is { Length: > 0 } f ? CertificateRequests.StructureIdFromFiness(f)
                    : parse.GetValue(siret) is { Length: > 0 } s ? CertificateRequests.StructureIdFromSiret(s)
                    : parse.GetValue(structureId)!.Trim();
            }
            catch (ArgumentException ex)
            {
                await Console.Error.WriteLineAsync("--" + ex.Message).ConfigureAwait(false);
                return Program.UsageError;
            }

            var spec = new CertificateRequestSpec(u, parse.GetValue(organisation) ?? "", ou, parse.GetValue(cn), parse.GetValue(state), parse.GetValue(dns), parse.GetValue(keySize));
            var errors = CertificateRequests.Validate(spec);
            if (errors.Count > 0)
            {
                foreach (var e in errors)
                {
                    await Console.Error.WriteLineAsync("--" + e).ConfigureAwait(false);
                }

                return Program.UsageError;
            }

            if (parse.GetValue(module) is { Length: > 0 } modulePath)
            {
                return await RequestOnTokenAsync(spec, ou, u, modulePath, parse.GetValue(tokenLabel), parse.GetValue(pinEnv)!, parse.GetValue(pinFile),
                    parse.GetValue(outDir)!, parse.GetValue(name) ?? $"{UseSlug(u)}-{ou}", ct).ConfigureAwait(false);
            }

            var variable = parse.GetValue(passphraseEnv)!;
            var passphrase = Environment.GetEnvironmentVariable(variable);
            if (string.IsNullOrEmpty(passphrase) || passphrase.Length < 8)
            {
                await Console.Error.WriteLineAsync($"--passphrase-env: ${variable} must hold a passphrase of 8 characters at least; the private key is never written unencrypted.").ConfigureAwait(false);
                return Program.UsageError;
            }

            var dir = parse.GetValue(outDir)!;
            var baseName = parse.GetValue(name) ?? $"{UseSlug(u)}-{ou}";
            var csrPath = Path.Combine(dir, baseName + ".csr.pem");
            var keyPath = Path.Combine(dir, baseName + ".key.pem");
            if (File.Exists(csrPath) || File.Exists(keyPath))
            {
                await Console.Error.WriteLineAsync($"{keyPath} or {csrPath} exists already: choose another --name or folder (an existing key is never overwritten).").ConfigureAwait(false);
                return 1;
            }

            var generated = CertificateRequests.Create(spec, passphrase);
            Directory.CreateDirectory(dir);
            CertificateRequests.WritePrivateFile(keyPath, System.Text.Encoding.ASCII.GetBytes(generated.EncryptedKeyPem + "\n"));
            await File.WriteAllTextAsync(csrPath, generated.SigningRequestPem + "\n", ct).ConfigureAwait(false);
            Console.WriteLine($"Sujet / Subject : {generated.Subject}");
            Console.WriteLine($"Demande / Request (PKCS#10) : {csrPath}");
            Console.WriteLine($"Clé privée chiffrée / Encrypted private key : {keyPath} (passphrase ${variable}; keep it with the key, both are needed by 'cert install')");
            Console.WriteLine("Formulaire IGC-Santé / ordering form:");
            Console.WriteLine($"  Usage          : {UseLabel(u)}");
            Console.WriteLine($"  CN             : {CertificateRequests.CommonNameFor(spec)}");
            Console.WriteLine($"  O              : {spec.Organization.Trim()}");
            Console.WriteLine($"  OU (structure) : {ou}");
            Console.WriteLine($"  Clé / Key      : RSA {spec.KeySize} bits");
            Console.WriteLine($"Then: santegw cert install --cert RETURNED.pem --key {keyPath} --out {Path.Combine(dir, baseName + ".p12")} --ca <IGC-Santé CAs>");
            return 0;
        });
        return request;
    }

    /// <summary>The key pair generated on a PKCS#11 token; only the request is written (the key stays on the token).</summary>
    private static async Task<int> RequestOnTokenAsync(CertificateRequestSpec spec, string ou, CertificateUse u, string module, string? tokenLabel, string pinEnv, string? pinFile,
        string dir, string baseName, CancellationToken ct)
    {
        string? pin;
        if (pinFile is { Length: > 0 })
        {
            if (!File.Exists(pinFile))
            {
                await Console.Error.WriteLineAsync($"--pin-file: {pinFile} does not exist.").ConfigureAwait(false);
                return Program.UsageError;
            }

            pin = (await File.ReadAllLinesAsync(pinFile, ct).ConfigureAwait(false)).FirstOrDefault()?.Trim();
        }
        else
        {
            pin = Environment.GetEnvironmentVariable(pinEnv);
        }

        if (string.IsNullOrEmpty(pin))
        {
            await Console.Error.WriteLineAsync($"--pin-env: ${pinEnv} (or --pin-file) must hold the token's user PIN; a PIN is never taken from the command line.").ConfigureAwait(false);
            return Program.UsageError;
        }

        if (!File.Exists(module))
        {
            await Console.Error.WriteLineAsync($"--pkcs11-module: {module} does not exist.").ConfigureAwait(false);
            return Program.UsageError;
        }

        var csrPath = Path.Combine(dir, baseName + ".csr.pem");
        if (File.Exists(csrPath))
        {
            await Console.Error.WriteLineAsync($"{csrPath} exists already: choose another --name or folder.").ConfigureAwait(false);
            return 1;
        }

        string pem;
        string token;
        try
        {
            using var pair = Pkcs11KeyPair.Generate(module, string.IsNullOrWhiteSpace(tokenLabel) ? null : tokenLabel.Trim(), pin, baseName, spec.KeySize);
            pem = pair.CreateSigningRequestPem(CertificateRequests.Subject(spec), CertificateRequests.RequestedExtensions(spec));
            token = pair.TokenLabel;
        }
        catch (InvalidOperationException ex)
        {
            await Console.Error.WriteLineAsync(ex.Message).ConfigureAwait(false);
            return 1;
        }

        Directory.CreateDirectory(dir);
        await File.WriteAllTextAsync(csrPath, pem + "\n", ct).ConfigureAwait(false);
        Console.WriteLine($"Sujet / Subject : {CertificateRequests.Subject(spec).Format(multiLine: false)}");
        Console.WriteLine($"Demande / Request (PKCS#10, signée par le jeton / signed on the token) : {csrPath}");
        Console.WriteLine($"Clé privée / Private key : on token '{token}', label '{baseName}' (generated there, not extractable)");
        Console.WriteLine("Formulaire IGC-Santé / ordering form:");
        Console.WriteLine($"  Usage          : {UseLabel(u)}");
        Console.WriteLine($"  CN             : {CertificateRequests.CommonNameFor(spec)}");
        Console.WriteLine($"  O              : {spec.Organization.Trim()}");
        Console.WriteLine($"  OU (structure) : {ou}");
        Console.WriteLine($"  Clé / Key      : RSA {spec.KeySize} bits (PKCS#11)");
        Console.WriteLine($"Then: santegw cert install --cert RETURNED.pem --pkcs11-module {module} --token-label '{token}' --name {baseName} --ca <IGC-Santé CAs>");
        return 0;
    }

    /// <summary>
    /// <c>cert install</c>: the certificate returned by the IGC-Santé, checked against the key of its request, then
    /// written into a PKCS#12 with the key file (file store) or onto the PKCS#11 token next to the key (token store).
    /// </summary>
    private static Command CreateInstall()
    {
        var install = new Command("install",
            "Install the certificate returned by the IGC-Santé with the key of its request: into a PKCS#12 (--key, --out) or onto the PKCS#11 token holding the key (--pkcs11-module, --name). "
            + "The certificate must carry the key's public key; it is checked as 'cert check' does before anything is written.");
        var cert = new Option<string>("--cert") { Description = "Returned certificate (PEM, possibly with its chain, or DER).", Required = true };
        var key = new Option<string?>("--key") { Description = "File store: the encrypted private key written by 'cert request'." };
        var output = new Option<string?>("--out") { Description = "File store: the PKCS#12 file to write (never overwritten)." };
        var chain = new Option<string[]>("--chain") { Description = "Intermediate CA file(s) to ship in the PKCS#12 (and to build the chain with).", AllowMultipleArgumentsPerToken = true };
        var ca = new Option<string[]>("--ca") { Description = "IGC-Santé CA file(s) the chain must end at; default $SANTEGW_INSI_CA.", AllowMultipleArgumentsPerToken = true };
        var use = new Option<string?>("--use") { Description = "Intended use (insi-auto, insi-manu, org); default: read from the CN." };
        var passphraseEnv = new Option<string>("--passphrase-env") { Description = "Environment variable holding the key's passphrase.", DefaultValueFactory = _ => "SANTEGW_CERT_KEY_PASSPHRASE" };
        var passphraseFile = new Option<string?>("--passphrase-file") { Description = "File holding the key's passphrase (first line), instead of --passphrase-env." };
        var passwordEnv = new Option<string>("--password-env") { Description = "Environment variable holding the PKCS#12 password (default: the key's passphrase).", DefaultValueFactory = _ => "SANTEGW_INSI_CERT_PASSWORD" };
        var passwordFile = new Option<string?>("--password-file") { Description = "File holding the PKCS#12 password (first line), instead of --password-env." };
        var module = new Option<string?>("--pkcs11-module") { Description = "Token store: the PKCS#11 module of the token holding the key generated by 'cert request --pkcs11-module'." };
        var tokenLabel = new Option<string?>("--token-label") { Description = "Label of the PKCS#11 token (required when several are present)." };
        var name = new Option<string?>("--name") { Description = "Token store: label of the key on the token (the --name given to 'cert request'); the certificate gets the same label and CKA_ID." };
        var pinEnv = new Option<string>("--pin-env") { Description = "Environment variable holding the token's user PIN (never on the command line).", DefaultValueFactory = _ => "SANTEGW_PKCS11_PIN" };
        var pinFile = new Option<string?>("--pin-file") { Description = "File holding the token's user PIN (first line), instead of --pin-env." };
        var force = new Option<bool>("--force") { Description = "Install even when the check finds an error (never when the key does not match)." };
        foreach (var o in new Option[] { cert, key, output, chain, ca, use, passphraseEnv, passphraseFile, passwordEnv, passwordFile, module, tokenLabel, name, pinEnv, pinFile, force })
        {
            install.Options.Add(o);
        }

        install.SetAction(async (parse, ct) =>
        {
            CertificateUse? intended = null;
            if (parse.GetValue(use) is { } text)
            {
                if (!CertificateChecker.TryParseUse(text, out var parsed))
                {
                    await Console.Error.WriteLineAsync($"--use: expected insi-auto, insi-manu or org, got '{text}'.").ConfigureAwait(false);
                    return Program.UsageError;
                }

                intended = parsed;
            }

            var options = new CertificateCheckOptions();
            var chainCerts = new X509Certificate2Collection();
            var cas = parse.GetValue(ca) is { Length: > 0 } given ? given : (Environment.GetEnvironmentVariable(InsiCommands.CaVariable)?.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries) ?? []);
            try
            {
                foreach (var c in cas)
                {
                    options.TrustAnchors.ImportFromPemOrDer(c);
                }

                foreach (var c in parse.GetValue(chain) ?? [])
                {
                    chainCerts.ImportFromPemOrDer(c);
                }
            }
            catch (Exception ex) when (ex is IOException or CryptographicException or UnauthorizedAccessException)
            {
                await Console.Error.WriteLineAsync($"--ca/--chain: {ex.Message}").ConfigureAwait(false);
                return Program.UsageError;
            }

            if (parse.GetValue(module) is { Length: > 0 } modulePath)
            {
                if (parse.GetValue(key) is not null || parse.GetValue(output) is not null)
                {
                    await Console.Error.WriteLineAsync("--key/--out: not with --pkcs11-module (the key is on the token and the certificate is written there).").ConfigureAwait(false);
                    return Program.UsageError;
                }

                return await InstallOnTokenAsync(parse.GetValue(cert)!, modulePath, parse.GetValue(tokenLabel), parse.GetValue(name), parse.GetValue(pinEnv)!, parse.GetValue(pinFile),
                    intended, options, chainCerts, parse.GetValue(force), ct).ConfigureAwait(false);
            }

            if (parse.GetValue(key) is not { Length: > 0 } keyPath || parse.GetValue(output) is not { Length: > 0 } outPath)
            {
                await Console.Error.WriteLineAsync("--key and --out are required to install into a PKCS#12 file (or give --pkcs11-module and --name to install onto a token).").ConfigureAwait(false);
                return Program.UsageError;
            }

            var (passphrase, passphraseError) = await SecretAsync("--passphrase-env", parse.GetValue(passphraseEnv)!, "--passphrase-file", parse.GetValue(passphraseFile), "the passphrase of the key", ct).ConfigureAwait(false);
            if (passphrase is null)
            {
                await Console.Error.WriteLineAsync(passphraseError).ConfigureAwait(false);
                return Program.UsageError;
            }

            var passwordFromFile = parse.GetValue(passwordFile);
            string password;
            string passwordSource;
            if (passwordFromFile is not null)
            {
                var (value, error) = await SecretAsync("--password-env", parse.GetValue(passwordEnv)!, "--password-file", passwordFromFile, "the PKCS#12 password", ct).ConfigureAwait(false);
                if (value is null)
                {
                    await Console.Error.WriteLineAsync(error).ConfigureAwait(false);
                    return Program.UsageError;
                }

                (password, passwordSource) = (value, passwordFromFile);
            }
            else if (Environment.GetEnvironmentVariable(parse.GetValue(passwordEnv)!) is { Length: > 0 } p)
            {
                (password, passwordSource) = (p, "$" + parse.GetValue(passwordEnv));
            }
            else
            {
                (password, passwordSource) = (passphrase, "the key's passphrase");
            }

            if (File.Exists(outPath))
            {
                await Console.Error.WriteLineAsync($"--out: {outPath} exists already (never overwritten).").ConfigureAwait(false);
                return 1;
            }

            X509Certificate2 paired;
            byte[] p12;
            try
            {
                var keyPem = await File.ReadAllTextAsync(keyPath, ct).ConfigureAwait(false);
                (paired, p12) = CertificateRequests.Pair(parse.GetValue(cert)!, keyPem, passphrase, chainCerts, password);
            }
            catch (Exception ex) when (ex is IOException or CryptographicException or UnauthorizedAccessException)
            {
                await Console.Error.WriteLineAsync($"Impossible d'associer le certificat à la clé / Cannot pair the certificate with the key: {ex.Message}").ConfigureAwait(false);
                return 1;
            }

            using (paired)
            {
                var report = CertificateChecker.Check(paired, intended, options, chainCerts);
                Print(Path.GetFileName(outPath), report);
                if (!report.IsUsable && !parse.GetValue(force))
                {
                    await Console.Error.WriteLineAsync($"{outPath} non écrit / not written: the check found an error (see above; --force writes it anyway).").ConfigureAwait(false);
                    return 1;
                }

                CertificateRequests.WritePrivateFile(outPath, p12);
                Console.WriteLine($"PKCS#12 écrit / written: {outPath} (password: {passwordSource})");
                return report.IsUsable ? 0 : 1;
            }
        });
        return install;
    }

    /// <summary>The token store: the certificate is written onto the token next to its key, after the same checks.</summary>
    private static async Task<int> InstallOnTokenAsync(string certPath, string module, string? tokenLabel, string? keyLabel, string pinEnv, string? pinFile,
        CertificateUse? intended, CertificateCheckOptions options, X509Certificate2Collection chain, bool force, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(keyLabel))
        {
            await Console.Error.WriteLineAsync("--name: the label of the key on the token (the --name given to 'cert request') is required with --pkcs11-module.").ConfigureAwait(false);
            return Program.UsageError;
        }

        var (pin, pinError) = await SecretAsync("--pin-env", pinEnv, "--pin-file", pinFile, "the token's user PIN; a PIN is never taken from the command line", ct).ConfigureAwait(false);
        if (pin is null)
        {
            await Console.Error.WriteLineAsync(pinError).ConfigureAwait(false);
            return Program.UsageError;
        }

        if (!File.Exists(module))
        {
            await Console.Error.WriteLineAsync($"--pkcs11-module: {module} does not exist.").ConfigureAwait(false);
            return Program.UsageError;
        }

        X509Certificate2Collection candidates;
        try
        {
            candidates = LoadCertificates(certPath);
        }
        catch (Exception ex) when (ex is IOException or CryptographicException or UnauthorizedAccessException)
        {
            await Console.Error.WriteLineAsync($"--cert: {ex.Message}").ConfigureAwait(false);
            return Program.UsageError;
        }

        CertificateReport? report = null;
        X509Certificate2? written;
        Pkcs11CertificateInstaller.TokenKey token;
        try
        {
            (token, written) = Pkcs11CertificateInstaller.Install(module, string.IsNullOrWhiteSpace(tokenLabel) ? null : tokenLabel.Trim(), pin.Trim(), keyLabel.Trim(), candidates, (leaf, k) =>
            {
                options.PrivateKeyLocation = $"jeton/token PKCS#11 '{k.Token}', clé/key '{keyLabel.Trim()}'";
                var extra = new X509Certificate2Collection(chain);
                extra.AddRange(candidates.Where(c => !ReferenceEquals(c, leaf)).ToArray());
                report = CertificateChecker.Check(leaf, intended, options, extra);
                Print(Path.GetFileName(certPath), report);
                if (!report.IsUsable && !force)
                {
                    Console.Error.WriteLine($"Rien écrit sur le jeton / nothing written on the token '{k.Token}': the check found an error (see above; --force installs it anyway).");
                    return false;
                }

                return true;
            });
        }
        catch (InvalidOperationException ex)
        {
            await Console.Error.WriteLineAsync(ex.Message).ConfigureAwait(false);
            return 1;
        }

        if (written is null)
        {
            return 1;
        }

        Console.WriteLine($"Certificat écrit sur le jeton / certificate written on token '{token.Token}': label '{keyLabel.Trim()}', CKA_ID {Convert.ToHexString(token.Id)} (same as the key)");
        return report!.IsUsable ? 0 : 1;
    }

    /// <summary>Every certificate of a PEM file (leaf and chain) or the one of a DER file.</summary>
    private static X509Certificate2Collection LoadCertificates(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var found = new X509Certificate2Collection();
        if (bytes.Length > 0 && bytes[0] == (byte)'-')
        {
            found.ImportFromPem(System.Text.Encoding.ASCII.GetString(bytes));
        }
        else
        {
            found.Add(X509CertificateLoader.LoadCertificate(bytes));
        }

        if (found.Count == 0)
        {
            throw new CryptographicException($"{Path.GetFileName(path)} holds no certificate.");
        }

        return found;
    }

    /// <summary>A secret from a file (first line) when given, else from an environment variable; never from the command line.</summary>
    private static async Task<(string? Value, string Error)> SecretAsync(string envOption, string variable, string fileOption, string? file, string what, CancellationToken ct)
    {
        if (file is { Length: > 0 })
        {
            if (!File.Exists(file))
            {
                return (null, $"{fileOption}: {file} does not exist.");
            }

            var line = (await File.ReadAllLinesAsync(file, ct).ConfigureAwait(false)).FirstOrDefault();
            return string.IsNullOrEmpty(line) ? (null, $"{fileOption}: {file} is empty ({what}).") : (line, "");
        }

        var value = Environment.GetEnvironmentVariable(variable);
        return string.IsNullOrEmpty(value) ? (null, $"{envOption}: ${variable} (or {fileOption}) must hold {what}.") : (value, "");
    }

    private static string UseSlug(CertificateUse use) => use switch
    {
        CertificateUse.InsiAutomatic => "insi-auto",
        CertificateUse.InsiManual => "insi-manu",
        _ => "org",
    };

    private static string UseLabel(CertificateUse use) => use switch
    {
        CertificateUse.InsiAutomatic => "INSi, appels automatiques / unattended calls (ORG AUTH_CLI, CN INSI-AUTO)",
        CertificateUse.InsiManual => "INSi, appels d'un utilisateur / user-triggered calls (ORG AUTH_CLI, CN INSI-MANU)",
        _ => "ORG AUTH_CLI (ROR, DMP)",
    };

    private static void Print(string name, CertificateReport r)
    {
        Console.WriteLine($"== {name}");
        Console.WriteLine($"  Sujet / Subject     : {r.Subject}");
        Console.WriteLine($"  Émetteur / Issuer   : {r.Issuer}  [{r.Environment}]");
        Console.WriteLine($"  Validité / Validity : {r.NotBefore:yyyy-MM-dd} → {r.NotAfter:yyyy-MM-dd} ({CertificateChecker.DaysText(r)} jours/days left)");
        Console.WriteLine($"  Usage détecté / Use : {r.DetectedUse}");
        Console.WriteLine($"  Clé / Key           : {r.KeyAlgorithm} {r.KeySize} bits, clé privée / private key: {(r.HasPrivateKey ? "oui/yes" : "non/no")}");
        Console.WriteLine($"  KU                  : {string.Join(", ", r.KeyUsages)}");
        Console.WriteLine($"  EKU                 : {string.Join(", ", r.ExtendedKeyUsages)}");
        Console.WriteLine($"  Chaîne / Chain      : {string.Join(" → ", r.Chain)}");
        foreach (var f in r.Findings)
        {
            var mark = f.Severity switch
            {
                CertificateSeverity.Error => "ERREUR/ERROR",
                CertificateSeverity.Warning => "ATTENTION/WARNING",
                CertificateSeverity.Info => "INFO",
                _ => "OK",
            };
            Console.WriteLine($"  [{mark}] {f.Code}");
            Console.WriteLine($"      fr: {f.French}");
            Console.WriteLine($"      en: {f.English}");
        }

        Console.WriteLine($"  Verdict : {(r.IsUsable ? "utilisable / usable" : "INUTILISABLE / NOT USABLE")}");
    }
}
