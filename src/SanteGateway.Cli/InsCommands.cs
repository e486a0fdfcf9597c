using System.CommandLine;
using System.Text.Json.Nodes;
using SanteGateway.Identity;

namespace SanteGateway.Cli;

/// <summary>
/// <c>santegw ins</c>: offline checks of the INS domain.
/// <list type="bullet">
/// <item><c>ins check &lt;matricule&gt; [--oid OID] [--json]</c>: exit 0 valid, 1 invalid (reason on stderr, or JSON on stdout), 2 usage.</item>
/// <item><c>ins normalize &lt;text&gt; --kind birth-name|first-names</c>: prints the INSi form, or exits 1 with the rule broken.</item>
/// </list>
/// </summary>
internal sealed class InsCommands : ICommandModule
{
    /// <summary>Exit code of a refused value.</summary>
    public const int Invalid = 1;

    public Command Create()
    {
        var ins = new Command("ins", "INS domain checks: matricule key and OID, INSi lexical profile.");
        ins.Subcommands.Add(CreateCheck());
        ins.Subcommands.Add(CreateNormalize());
        return ins;
    }

    private static Command CreateCheck()
    {
        var matricule = new Argument<string[]>("matricule")
        {
            Description = "The matricule INS (15 characters; spaces are ignored, so '1 60 01 2B 020 777 13' works quoted or not).",
            Arity = ArgumentArity.OneOrMore,
        };
        // With a variadic argument an unknown option would be swallowed as part of the matricule: make it a usage error.
        matricule.Validators.Add(result =>
        {
            foreach (var token in result.Tokens)
            {
                if (token.Value.StartsWith('-'))
                {
                    result.AddError($"Unrecognized option '{token.Value}'.");
                }
            }
        });
        var oid = new Option<string>("--oid") { Description = "Also check that this OID is an INS OID (.8 NIR, .9 NIA, .10 test, .11 demo)." };
        var json = new Option<bool>("--json") { Description = "Write the result as JSON on stdout." };
        var check = new Command("check", "Check a matricule INS (layout and control key) and optionally its OID.");
        check.Arguments.Add(matricule);
        check.Options.Add(oid);
        check.Options.Add(json);
        check.SetAction(parse => Check(
            string.Concat(parse.GetValue(matricule) ?? []),
            parse.GetValue(oid),
            parse.GetValue(json)));
        return check;
    }

    private static Command CreateNormalize()
    {
        var text = new Argument<string>("text") { Description = "The name to normalise (quote it when it holds spaces)." };
        var kind = new Option<string>("--kind") { Description = "birth-name or first-names.", Required = true };
        kind.AcceptOnlyFromAmong("birth-name", "first-names");
        var normalize = new Command("normalize", "Print a name in the INSi lexical profile (upper case, no diacritics), or the rule it breaks.");
        normalize.Arguments.Add(text);
        normalize.Options.Add(kind);
        normalize.SetAction(parse =>
        {
            var value = parse.GetValue(text);
            var result = parse.GetValue(kind) == "birth-name"
                ? InsiLexicalProfile.NormalizeBirthName(value)
                : InsiLexicalProfile.NormalizeFirstNames(value);
            if (result.IsSuccess)
            {
                Console.Out.WriteLine(result.Value);
                return 0;
            }

            Console.Error.WriteLine($"{result.Error!.Rule}: {result.Error.Message}");
            return Invalid;
        });
        return normalize;
    }

    private static int Check(string matricule, string? oid, bool json)
    {
        InsOidKind? kind = null;
        if (!InsMatricule.TryParse(matricule, out var m, out var error))
        {
            return Refuse(json, error.Message, error.Kind.ToString(), error.Position, error.ExpectedKey);
        }

        if (oid is not null)
        {
            if (!InsOids.TryGetKind(oid, out var k))
            {
                return Refuse(json, "The OID is not an INS OID (expected 1.2.250.1.213.1.4.8 NIR, .9 NIA, .10 test or .11 demonstration).", "Oid", null, null);
            }

            kind = k;
        }

        if (json)
        {
            var node = new JsonObject
            {
                ["valid"] = true,
                ["matricule"] = m.Value,
                ["oid"] = kind is { } kk ? InsOids.OidOf(kk) : null,
                ["kind"] = kind is { } k2 ? KindCode(k2) : null,
                ["environment"] = kind is { } k3 ? InsOids.EnvironmentOf(k3).ToString().ToUpperInvariant() : null,
            };
            Console.Out.WriteLine(node.ToJsonString());
        }
        else
        {
            Console.Out.WriteLine(kind is { } k ? $"valid {m.ToDisplayString()} {KindCode(k)} ({InsOids.OidOf(k)})" : $"valid {m.ToDisplayString()}");
        }

        return 0;
    }

    private static int Refuse(bool json, string reason, string errorKind, int? position, string? expectedKey)
    {
        if (json)
        {
            var node = new JsonObject
            {
                ["valid"] = false,
                ["reason"] = reason,
                ["error"] = errorKind,
                ["position"] = position,
                ["expectedKey"] = expectedKey,
            };
            Console.Out.WriteLine(node.ToJsonString());
        }
        else
        {
            Console.Error.WriteLine(reason);
        }

        return Invalid;
    }

    private static string KindCode(InsOidKind kind) => kind switch
    {
        InsOidKind.Nir => "NIR",
        InsOidKind.Nia => "NIA",
        InsOidKind.Test => "TEST",
        _ => "DEMO",
    };
}
