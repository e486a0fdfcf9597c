using System.CommandLine;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using SanteGateway.Application;
using SanteGateway.Store;
using System.Text.Json.Nodes;
using SanteGateway.Identity;
using SanteGateway.Interop.Cda;
using SanteGateway.Interop.Fhir;
using SanteGateway.Interop.Fhir.Validation;

namespace SanteGateway.Cli;

/// <summary>
/// <c>santegw cda</c> and <c>santegw fhir</c>: read exchanged documents offline.
/// <list type="bullet">
/// <item><c>cda inspect FILE [--json] [--allow-test-ins] [--schema XSD]</c>: the patient, its INS and the document metadata of a CDA R2 header.</item>
/// <item><c>fhir patient FILE [--json] [--allow-test-ins] [--validate DEFINITIONS]</c>: a FHIR Patient (JSON or XML) mapped to an identity, with what was refused.</item>
/// <item><c>fhir export [--data DIR] ID [--rniv] [--xml]</c>: a stored identity as an FR Core Patient on stdout.</item>
/// </list>
/// Exit 0 read with nothing refused, 1 unreadable or something refused (the output says what and where), 2 usage.
/// </summary>
internal sealed class FhirCdaCommands : ICommandModule
{
    private const int Refused = 1;

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public Command Create()
    {
        // Two top-level areas from one module: "cda" is returned and "fhir" is attached beside it by FhirCommands below.
        var cda = new Command("cda", "CDA R2 documents (CI-SIS): read the header.");
        cda.Subcommands.Add(CreateCdaInspect());
        return cda;
    }

    internal static Command CreateFhir()
    {
        var fhir = new Command("fhir", "FHIR R4 resources (FR Core): read a Patient.");
        fhir.Subcommands.Add(CreateFhirPatient());
        fhir.Subcommands.Add(CreateFhirExport());
        return fhir;
    }

    private static Command CreateCdaInspect()
    {
        var file = new Argument<FileInfo>("FILE") { Description = "The CDA document (XML)." };
        var json = new Option<bool>("--json") { Description = "Print JSON." };
        var allowTest = new Option<bool>("--allow-test-ins") { Description = "Accept the test (.10) and demonstration (.11) INS OIDs." };
        var schema = new Option<FileInfo>("--schema") { Description = "Also validate against this CDA XSD (e.g. CDA_extended.xsd of the CI-SIS)." };
        var inspect = new Command("inspect", "Print the patient (traits, INS, local ids) and the document metadata of a CDA header.");
        inspect.Arguments.Add(file);
        inspect.Options.Add(json);
        inspect.Options.Add(allowTest);
        inspect.Options.Add(schema);
        inspect.SetAction(parse =>
        {
            var path = parse.GetValue(file)!;
            if (!path.Exists)
            {
                Console.Error.WriteLine($"{path.FullName}: file not found.");
                return Program.UsageError;
            }

            CdaHeader header;
            try
            {
                using var stream = path.OpenRead();
                header = CdaHeaderReader.Read(stream, new CdaReadOptions { InsPolicy = parse.GetValue(allowTest) ? InsPolicy.AllowTestAndDemo : InsPolicy.Production });
            }
            catch (CdaFormatException ex)
            {
                Console.Error.WriteLine($"{path.Name}: {ex.Message}");
                return Refused;
            }

            IReadOnlyList<string> schemaErrors = [];
            if (parse.GetValue(schema) is { } xsd)
            {
                schemaErrors = new CdaSchemaValidator(xsd.FullName).Validate(File.ReadAllText(path.FullName));
            }

            var refusals = header.Refused.Concat(header.Patient.Refused).Select(r => r.ToString()).ToArray();
            if (parse.GetValue(json))
            {
                var d = header.Document;
                var o = new JsonObject
                {
                    ["document"] = d is null ? null : new JsonObject
                    {
                        ["id"] = d.Id.ToString(),
                        ["code"] = d.Code.Code,
                        ["codeSystem"] = d.Code.CodeSystem,
                        ["displayName"] = d.Code.DisplayName,
                        ["title"] = d.Title,
                        ["effectiveTime"] = d.EffectiveTime,
                        ["confidentiality"] = d.Confidentiality.Code,
                        ["languageCode"] = d.LanguageCode,
                        ["setId"] = d.SetId?.ToString(),
                        ["versionNumber"] = d.VersionNumber,
                        ["authors"] = new JsonArray(d.Authors.Select(a => (JsonNode)new JsonObject
                        {
                            ["id"] = a.Id?.ToString(),
                            ["family"] = a.Family,
                            ["given"] = a.Given,
                            ["organization"] = a.Organization?.ToString(),
                            ["organizationName"] = a.OrganizationName,
                            ["time"] = a.Time,
                        }).ToArray()),
                        ["custodian"] = d.Custodian?.ToString(),
                        ["custodianName"] = d.CustodianName,
                    },
                    ["patient"] = TraitsJson(header.Patient.Traits),
                    ["ins"] = InsJson(header.Patient.Ins),
                    ["localIds"] = new JsonArray(header.Patient.LocalIds.Select(i => (JsonNode)JsonValue.Create(i.ToString())!).ToArray()),
                    ["refused"] = new JsonArray(refusals.Select(r => (JsonNode)JsonValue.Create(r)!).ToArray()),
                    ["notes"] = new JsonArray(header.Patient.Notes.Select(n => (JsonNode)JsonValue.Create(n.ToString())!).ToArray()),
                    ["schemaErrors"] = new JsonArray(schemaErrors.Select(e => (JsonNode)JsonValue.Create(e)!).ToArray()),
                };
                Console.Out.WriteLine(o.ToJsonString(Indented));
            }
            else
            {
                var d = header.Document;
                if (d is not null)
                {
                    Console.Out.WriteLine($"document        {d.Id}");
                    Console.Out.WriteLine($"type            {d.Code.Code} {d.Code.DisplayName}");
                    Console.Out.WriteLine($"title           {d.Title}");
                    Console.Out.WriteLine($"effective time  {d.EffectiveTime}");
                    Console.Out.WriteLine($"confidentiality {d.Confidentiality.Code}");
                    Console.Out.WriteLine($"set id/version  {d.SetId} / {d.VersionNumber}");
                    foreach (var a in d.Authors)
                    {
                        Console.Out.WriteLine($"author          {a.Id} {a.Given} {a.Family} ({a.OrganizationName})");
                    }

                    Console.Out.WriteLine($"custodian       {d.Custodian} {d.CustodianName}");
                }

                PrintTraits(header.Patient.Traits);
                Console.Out.WriteLine($"INS             {header.Patient.Ins?.ToString() ?? "-"}");
                foreach (var id in header.Patient.LocalIds)
                {
                    Console.Out.WriteLine($"local id        {id}");
                }

                PrintIssues(refusals, header.Patient.Notes.Select(n => n.ToString()));
                foreach (var e in schemaErrors)
                {
                    Console.Out.WriteLine($"schema: {e}");
                }
            }

            return refusals.Length == 0 && schemaErrors.Count == 0 ? 0 : Refused;
        });
        return inspect;
    }

    private static Command CreateFhirPatient()
    {
        var file = new Argument<FileInfo>("FILE") { Description = "The Patient resource (JSON or XML)." };
        var json = new Option<bool>("--json") { Description = "Print JSON." };
        var allowTest = new Option<bool>("--allow-test-ins") { Description = "Accept the test (.10) and demonstration (.11) INS OIDs." };
        var validate = new Option<FileInfo[]>("--validate")
        {
            Description = "Also validate against the profile in meta.profile, with the IG packages or folders given (e.g. shared/data/fhir/fr-core/2.2.0/package.tgz).",
            AllowMultipleArgumentsPerToken = true,
        };
        var patient = new Command("patient", "Read a FHIR Patient (FR Core) and print the mapped identity and what was refused.");
        patient.Arguments.Add(file);
        patient.Options.Add(json);
        patient.Options.Add(allowTest);
        patient.Options.Add(validate);
        patient.SetAction(parse =>
        {
            var path = parse.GetValue(file)!;
            if (!path.Exists)
            {
                Console.Error.WriteLine($"{path.FullName}: file not found.");
                return Program.UsageError;
            }

            var partner = FhirPartnerProfile.FrCore21 with { InsPolicy = parse.GetValue(allowTest) ? InsPolicy.AllowTestAndDemo : InsPolicy.Production };
            var text = File.ReadAllText(path.FullName);
            FhirPatientReadResult read;
            try
            {
                read = FrCorePatientText.Read(text, partner);
            }
            catch (FhirFormatException ex)
            {
                Console.Error.WriteLine($"{path.Name}: {ex.Message}");
                return Refused;
            }

            IReadOnlyList<FhirValidationIssue> validation = [];
            if (parse.GetValue(validate) is { Length: > 0 } definitions)
            {
                var validator = new FhirProfileValidator(new FhirValidatorOptions { DefinitionPaths = definitions.Select(f => f.FullName).ToArray() });
                var resource = text.TrimStart().StartsWith('<')
                    ? FhirFormats.ParseXml<Hl7.Fhir.Model.Patient>(text).Resource
                    : FhirFormats.ParseJson<Hl7.Fhir.Model.Patient>(text).Resource;
                validation = validator.Validate(resource).Issues.Where(i => i.IsError || i.Severity == "warning").ToArray();
            }

            var refusals = read.Refused.Select(r => r.ToString()).ToArray();
            if (parse.GetValue(json))
            {
                var o = new JsonObject
                {
                    ["id"] = read.Id,
                    ["patient"] = TraitsJson(read.Traits),
                    ["status"] = read.Status is { } s ? RnivCodes.ToCode(s) : null,
                    ["statusCodeReceived"] = read.StatusCode,
                    ["attributes"] = new JsonArray(RnivCodes.ToCodes(read.Attributes).Select(c => (JsonNode)JsonValue.Create(c)!).ToArray()),
                    ["ins"] = InsJson(read.Ins),
                    ["insHistory"] = new JsonArray(read.InsHistory.Select(InsJson).ToArray()),
                    ["channel"] = read.Channel?.ToString(),
                    ["insiCalledOn"] = read.InsiCalledOn?.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
                    ["validationMode"] = read.ValidationMode,
                    ["validationDate"] = read.ValidationDate?.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
                    ["localIds"] = new JsonArray(read.LocalIdentifiers.Select(i => (JsonNode)JsonValue.Create($"{i.Value}@{i.System}")!).ToArray()),
                    ["replacedBy"] = read.ReplacedBy,
                    ["active"] = read.Active,
                    ["refused"] = new JsonArray(refusals.Select(r => (JsonNode)JsonValue.Create(r)!).ToArray()),
                    ["notes"] = new JsonArray(read.Notes.Select(n => (JsonNode)JsonValue.Create(n.ToString())!).ToArray()),
                    ["validation"] = new JsonArray(validation.Select(v => (JsonNode)JsonValue.Create(v.ToString())!).ToArray()),
                };
                Console.Out.WriteLine(o.ToJsonString(Indented));
            }
            else
            {
                Console.Out.WriteLine($"id              {read.Id}");
                PrintTraits(read.Traits);
                Console.Out.WriteLine($"status          {(read.Status is { } s ? RnivCodes.ToCode(s) : "-")} (received {read.StatusCode ?? "none"})");
                Console.Out.WriteLine($"attributes      {string.Join(' ', RnivCodes.ToCodes(read.Attributes))}");
                Console.Out.WriteLine($"INS             {read.Ins?.ToString() ?? "-"}");
                foreach (var h in read.InsHistory)
                {
                    Console.Out.WriteLine($"former INS      {h}");
                }

                Console.Out.WriteLine($"channel         {read.Channel?.ToString() ?? "-"}");
                Console.Out.WriteLine($"evidence        {read.ValidationMode ?? "-"} {read.ValidationDate}");
                foreach (var id in read.LocalIdentifiers)
                {
                    Console.Out.WriteLine($"local id        {id.Value}@{id.System}");
                }

                if (read.ReplacedBy is not null)
                {
                    Console.Out.WriteLine($"replaced by     {read.ReplacedBy}");
                }

                PrintIssues(refusals, read.Notes.Select(n => n.ToString()));
                foreach (var v in validation)
                {
                    Console.Out.WriteLine($"validation: {v}");
                }
            }

            return refusals.Length == 0 && !validation.Any(v => v.IsError) ? 0 : Refused;
        });
        return patient;
    }

    private static Command CreateFhirExport()
    {
        var id = new Argument<Guid>("ID") { Description = "The identity id in the gateway store." };
        var data = new Option<string>("--data") { Description = "Data folder (default $SANTEGW_DATA or ~/.santegw)." };
        var config = new Option<string>("--config") { Description = "Configuration file (default DATA/appsettings.json)." };
        var db = new Option<string>("--db") { Description = "Database provider: sqlite (default) or postgres." };
        var connection = new Option<string>("--connection") { Description = "Database connection string." };
        var rniv = new Option<bool>("--rniv") { Description = "Code the status with the RNIV codes (QUAL, RECUP) instead of the FR Core 2.1 convention (VALI + INS)." };
        var xml = new Option<bool>("--xml") { Description = "Write FHIR XML instead of JSON." };
        var export = new Command("export", "Write a stored identity as an FR Core Patient on stdout (the INS only when the identity is qualified).");
        export.Arguments.Add(id);
        foreach (var o in new Option[] { data, config, db, connection, rniv, xml })
        {
            export.Options.Add(o);
        }

        export.SetAction(async (parse, ct) =>
        {
            var (options, _, error) = GatewaySettings.Resolve(parse.GetValue(data), parse.GetValue(config), parse.GetValue(db), parse.GetValue(connection), null);
            if (options is null)
            {
                await Console.Error.WriteLineAsync(error).ConfigureAwait(false);
                return Program.UsageError;
            }

            if (options.Store.Provider == StoreProvider.Sqlite && parse.GetValue(connection) is null
                && !File.Exists(Path.Combine(options.DataDirectory, GatewaySettings.DatabaseFileName)))
            {
                await Console.Error.WriteLineAsync($"No gateway database in {options.DataDirectory}.").ConfigureAwait(false);
                return Program.UsageError;
            }

            var services = new ServiceCollection();
            services.AddLogging();
            services.AddMetrics();
            services.AddGatewayStore(options.Store);
            services.AddSanteGatewayApplication();
            await using var provider = services.BuildServiceProvider();
            await using var scope = provider.CreateAsyncScope();
            var identities = scope.ServiceProvider.GetRequiredService<IdentityService>();
            var found = await identities.GetDomainAsync(parse.GetValue(id), ct).ConfigureAwait(false);
            if (!found.IsSuccess)
            {
                await Console.Error.WriteLineAsync($"{found.Error!.Rule}: {found.Error.Message}").ConfigureAwait(false);
                return Refused;
            }

            var (domain, view) = found.Value;
            var source = new FhirPatientSource(domain)
            {
                Id = view.Id.ToString(),
                LocalIdentifiers = view.ExternalIds.Where(e => e.Kind == "PI").Select(e => new LocalIdentifier(e.Authority, e.Value)).ToArray(),
                ReplacedById = view.MergedInto?.ToString(),
            };
            var written = FrCorePatientWriter.Write(source, parse.GetValue(rniv) ? FhirPartnerProfile.FrCoreRniv : FhirPartnerProfile.FrCore21);
            Console.Out.WriteLine(parse.GetValue(xml) ? FhirFormats.ToXml(written.Patient, pretty: true) : FhirFormats.ToJson(written.Patient, pretty: true));
            foreach (var omission in written.Omissions)
            {
                await Console.Error.WriteLineAsync($"not written: {omission}").ConfigureAwait(false);
            }

            return 0;
        });
        return export;
    }

    private static JsonNode? TraitsJson(IdentityTraits? t) => t is null ? null : new JsonObject
    {
        ["birthName"] = t.BirthName,
        ["firstFirstName"] = t.FirstFirstName,
        ["birthFirstNames"] = new JsonArray(t.BirthFirstNames.Select(n => (JsonNode)JsonValue.Create(n)!).ToArray()),
        ["usedName"] = t.UsedName,
        ["usedFirstName"] = t.UsedFirstName,
        ["sex"] = SexCodes.ToCode(t.Sex),
        ["birthDate"] = t.BirthDate.ToIso(),
        ["birthDateCorrected"] = t.BirthDate.IsCorrected,
        ["birthPlace"] = t.BirthPlaceCog,
    };

    private static JsonNode? InsJson(InsIdentifier? ins) => ins is null ? null : new JsonObject
    {
        ["matricule"] = ins.Matricule.Value,
        ["oid"] = ins.Oid,
        ["kind"] = ins.Kind.ToString(),
    };

    private static void PrintTraits(IdentityTraits? t)
    {
        if (t is null)
        {
            Console.Out.WriteLine("patient         (traits refused, see below)");
            return;
        }

        Console.Out.WriteLine($"birth name      {t.BirthName}");
        Console.Out.WriteLine($"first names     {t.BirthFirstNamesJoined} (first: {t.FirstFirstName})");
        Console.Out.WriteLine($"used name       {t.UsedName ?? "-"} {t.UsedFirstName}");
        Console.Out.WriteLine($"sex             {t.Sex}");
        Console.Out.WriteLine($"birth date      {t.BirthDate.ToIso()}{(t.BirthDate.IsCorrected ? " (corrected)" : string.Empty)}");
        Console.Out.WriteLine($"birth place     {t.BirthPlaceCog ?? "-"}");
    }

    private static void PrintIssues(IEnumerable<string> refused, IEnumerable<string> notes)
    {
        foreach (var r in refused)
        {
            Console.Out.WriteLine($"refused: {r}");
        }

        foreach (var n in notes)
        {
            Console.Out.WriteLine($"note: {n}");
        }
    }
}

/// <summary><c>santegw fhir</c> (the commands live in <see cref="FhirCdaCommands"/>).</summary>
internal sealed class FhirCommands : ICommandModule
{
    public Command Create() => FhirCdaCommands.CreateFhir();
}
