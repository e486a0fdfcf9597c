using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using SanteGateway.DataMatrix;
using SanteGateway.Identity;

namespace SanteGateway.Cli;

/// <summary>
/// <c>santegw datamatrix</c>: INS DataMatrix offline.
/// <list type="bullet">
/// <item><c>datamatrix encode --matricule M --oid OID --birth-name N --first-names "A B" --sex F --birth-date YYYY-MM-DD [--birth-place COG] (--png FILE | --svg FILE | --payload)</c></item>
/// <item><c>datamatrix decode (--png FILE | --payload TEXT) [--json]</c></item>
/// </list>
/// Exit 0 done, 1 invalid input (reason names the field or block and the rule), 2 usage.
/// </summary>
internal sealed class DataMatrixCommands : ICommandModule
{
    private const int Invalid = 1;

    public Command Create()
    {
        var dm = new Command("datamatrix", "INS DataMatrix (ECC 200): encode an identity to PNG/SVG/payload text, decode a PNG or a scanned text.");
        dm.Subcommands.Add(CreateEncode());
        dm.Subcommands.Add(CreateDecode());
        return dm;
    }

    private static Command CreateEncode()
    {
        var matricule = new Option<string>("--matricule") { Description = "Matricule INS, 15 characters.", Required = true };
        var oid = new Option<string>("--oid") { Description = "OID of the matricule (1.2.250.1.213.1.4.8 NIR, .9 NIA, .10 test, .11 demo).", Required = true };
        var birthName = new Option<string>("--birth-name") { Description = "Birth name (INSi profile is applied).", Required = true };
        var firstNames = new Option<string>("--first-names") { Description = "Birth first names, space-separated.", Required = true };
        var sex = new Option<string>("--sex") { Description = "F or M.", Required = true };
        var birthDate = new Option<string>("--birth-date") { Description = "Birth date, YYYY-MM-DD.", Required = true };
        var birthPlace = new Option<string>("--birth-place") { Description = "COG code of the birth place (5 characters), optional." };
        var png = new Option<FileInfo>("--png") { Description = "Write a PNG image to this file." };
        var svg = new Option<FileInfo>("--svg") { Description = "Write an SVG image to this file." };
        var payload = new Option<bool>("--payload") { Description = "Print the payload text (GS as the raw 0x1D byte)." };
        var modulePx = new Option<int>("--module-px") { Description = "PNG pixels per module (default 6 = 0.5 mm at 300 dpi).", DefaultValueFactory = _ => 6 };
        var moduleMm = new Option<double>("--module-mm") { Description = "SVG module size in millimetres (default 0.5).", DefaultValueFactory = _ => 0.5 };
        var dpi = new Option<int>("--dpi") { Description = "Resolution written in the PNG (default 300; 0 for none).", DefaultValueFactory = _ => 300 };
        var quiet = new Option<int>("--quiet-zone") { Description = "Quiet zone in modules (default 2).", DefaultValueFactory = _ => 2 };

        var encode = new Command("encode", "Encode an INS identity (its INS must be qualified) as a DataMatrix.");
        foreach (var o in new Option[] { matricule, oid, birthName, firstNames, sex, birthDate, birthPlace, png, svg, payload, modulePx, moduleMm, dpi, quiet })
        {
            encode.Options.Add(o);
        }

        encode.Validators.Add(result =>
        {
            var outputs = (result.GetResult(png) is not null ? 1 : 0) + (result.GetResult(svg) is not null ? 1 : 0) + (result.GetValue(payload) ? 1 : 0);
            if (outputs != 1)
            {
                result.AddError("Choose exactly one output: --png FILE, --svg FILE or --payload.");
            }
        });

        encode.SetAction(parse =>
        {
            // Range checks here: option defaults are not visible to command validators.
            var usage = parse.GetValue(modulePx) is < 1 or > 100 ? "--module-px must be between 1 and 100."
                : parse.GetValue(quiet) is < 0 or > 50 ? "--quiet-zone must be between 0 and 50."
                : parse.GetValue(moduleMm) is not (> 0 and < 100) ? "--module-mm must be a positive size under 100."
                : parse.GetValue(dpi) is < 0 or > 10_000 ? "--dpi must be between 0 and 10000."
                : null;
            if (usage is not null)
            {
                Console.Error.WriteLine(usage);
                return Program.UsageError;
            }

            var errors = new List<ValidationError>();
            var sexValue = parse.GetValue(sex) switch
            {
                "F" or "f" => Sex.Female,
                "M" or "m" => Sex.Male,
                _ => Sex.Unknown,
            };
            if (!DateOnly.TryParseExact(parse.GetValue(birthDate), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
            {
                errors.Add(new ValidationError("S6", "date", "--birth-date must be a real date written YYYY-MM-DD."));
            }

            if (!InsDataMatrixPayload.TryCreate(
                    parse.GetValue(matricule),
                    parse.GetValue(oid),
                    parse.GetValue(firstNames),
                    parse.GetValue(birthName),
                    sexValue,
                    errors.Count == 0 ? date : new DateOnly(2000, 1, 1),
                    parse.GetValue(birthPlace),
                    out var p,
                    out var payloadErrors) || errors.Count > 0)
            {
                foreach (var e in errors.Concat(payloadErrors))
                {
                    Console.Error.WriteLine($"{e.Field}: {e.Rule}: {e.Message}");
                }

                return Invalid;
            }

            var options = new DataMatrixRenderOptions
            {
                ModulePixels = parse.GetValue(modulePx),
                ModuleMillimetres = parse.GetValue(moduleMm),
                QuietZoneModules = parse.GetValue(quiet),
                DotsPerInch = parse.GetValue(dpi),
            };
            if (parse.GetValue(png) is { } pngFile)
            {
                File.WriteAllBytes(pngFile.FullName, InsDataMatrix.RenderPng(p, options));
                Console.Out.WriteLine($"wrote {pngFile.FullName} ({InsDataMatrix.Encode(p).Size})");
            }
            else if (parse.GetValue(svg) is { } svgFile)
            {
                File.WriteAllText(svgFile.FullName, InsDataMatrix.RenderSvg(p, options));
                Console.Out.WriteLine($"wrote {svgFile.FullName} ({InsDataMatrix.Encode(p).Size})");
            }
            else
            {
                Console.Out.WriteLine(p.ToText());
            }

            return 0;
        });
        return encode;
    }

    private static Command CreateDecode()
    {
        var png = new Option<FileInfo>("--png") { Description = "Read a PNG image of an INS DataMatrix." };
        var payload = new Option<string>("--payload")
        {
            Description = "Read a payload text as a scanner typed it; GS may be the raw 0x1D or one of <GS>, {GS}, [GS], ^], U+241D.",
        };
        var json = new Option<bool>("--json") { Description = "Write the result as JSON on stdout." };
        var decode = new Command("decode", "Decode an INS DataMatrix from a PNG or a payload text and check every block.");
        decode.Options.Add(png);
        decode.Options.Add(payload);
        decode.Options.Add(json);
        decode.Validators.Add(result =>
        {
            if ((result.GetResult(png) is null) == (result.GetResult(payload) is null))
            {
                result.AddError("Give exactly one input: --png FILE or --payload TEXT.");
            }
        });
        decode.SetAction(parse =>
        {
            var asJson = parse.GetValue(json);
            InsDataMatrixPayload? p;
            IReadOnlyList<ValidationError> errors;
            string? symbolSize = null;
            if (parse.GetValue(png) is { } file)
            {
                if (!file.Exists)
                {
                    return Refuse(asJson, [new ValidationError("png", "not-found", $"File {file.FullName} does not exist.")]);
                }

                var bytes = File.ReadAllBytes(file.FullName);
                if (!DataMatrixImageReader.TryDecode(bytes, out var symbol, out var imageError))
                {
                    return Refuse(asJson, [new ValidationError("image", "unreadable", imageError ?? "no symbol found")]);
                }

                symbolSize = symbol!.Size.ToString();
                InsDataMatrixPayload.TryParse(symbol.Text, out p, out errors);
            }
            else
            {
                InsDataMatrixPayload.TryParseScan(parse.GetValue(payload), out p, out errors);
            }

            if (p is null)
            {
                return Refuse(asJson, errors);
            }

            if (asJson)
            {
                var node = new JsonObject
                {
                    ["valid"] = true,
                    ["matricule"] = p.Matricule.Value,
                    ["oid"] = p.Oid,
                    ["birthFirstNames"] = p.BirthFirstNames,
                    ["birthName"] = p.BirthName,
                    ["sex"] = SexCodes.ToInsi(p.Sex).ToString(),
                    ["birthDate"] = p.BirthDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                    ["birthPlace"] = p.BirthPlaceCog,
                    ["symbol"] = symbolSize,
                };
                Console.Out.WriteLine(node.ToJsonString());
            }
            else
            {
                Console.Out.WriteLine("valid INS DataMatrix" + (symbolSize is null ? string.Empty : $" ({symbolSize})"));
                Console.Out.WriteLine($"S1 matricule      {p.Matricule.Value}");
                Console.Out.WriteLine($"S2 OID            {p.Oid}");
                Console.Out.WriteLine($"S3 first names    {p.BirthFirstNames}");
                Console.Out.WriteLine($"S4 birth name     {p.BirthName}");
                Console.Out.WriteLine($"S5 sex            {SexCodes.ToInsi(p.Sex)}");
                Console.Out.WriteLine($"S6 birth date     {p.BirthDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}");
                Console.Out.WriteLine($"S7 birth place    {p.BirthPlaceCog ?? "-"}");
            }

            return 0;
        });
        return decode;
    }

    private static int Refuse(bool json, IReadOnlyList<ValidationError> errors)
    {
        if (json)
        {
            var list = new JsonArray();
            foreach (var e in errors)
            {
                list.Add(new JsonObject { ["field"] = e.Field, ["rule"] = e.Rule, ["message"] = e.Message });
            }

            Console.Out.WriteLine(new JsonObject { ["valid"] = false, ["errors"] = list }.ToJsonString());
        }
        else
        {
            foreach (var e in errors)
            {
                Console.Error.WriteLine($"{e.Field}: {e.Rule}: {e.Message}");
            }
        }

        return Invalid;
    }
}
