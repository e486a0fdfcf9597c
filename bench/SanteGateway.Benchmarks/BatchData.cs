using System.Globalization;
using System.Text;
using SanteGateway.Insi.Sandbox.Data;

namespace SanteGateway.Benchmarks;

/// <summary>
/// <c>batch-data --count N --out DIR [--seed S]</c>: the input of the mass-verification bench (issue 12,
/// <c>bench/batch-verify.sh</c>). Writes the same synthetic persons twice: <c>sandbox-persons.csv</c> for the INSi sandbox
/// (<c>Insi:SandboxPersonsCsv</c>) and <c>import.csv</c> for <c>santegw import identities</c> (each with its INS, so the
/// import stores them RECUP and a verify job calls INSi for every one). Persons whose INS or strict traits repeat an
/// earlier one are left out of both files, so every verification has exactly one answer.
/// </summary>
internal static class BatchData
{
    public static int Run(string[] args)
    {
        var count = 100_000;
        var seed = 12;
        string? output = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--count": count = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--seed": seed = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--out": output = args[++i]; break;
                default: Console.Error.WriteLine($"batch-data: unknown argument {args[i]}"); return 2;
            }
        }

        if (output is null)
        {
            Console.Error.WriteLine("batch-data: --out DIR is required");
            return 2;
        }

        Directory.CreateDirectory(output);
        using var sandbox = new StreamWriter(Path.Combine(output, "sandbox-persons.csv"), false, new UTF8Encoding(false));
        using var import = new StreamWriter(Path.Combine(output, "import.csv"), false, new UTF8Encoding(false));
        sandbox.WriteLine("local_id;birth_name;first_names;sex;birth_date;birth_place_cog;ins_matricule;oid");
        import.WriteLine("localId;birthName;birthFirstNames;sex;birthDate;birthPlaceCog;ins;insOid");
        var ins = new HashSet<string>(StringComparer.Ordinal);
        var traits = new HashSet<string>(StringComparer.Ordinal);
        var written = 0;
        var skipped = 0;
        foreach (var p in SyntheticIdentityGenerator.Generate(count, seed, homonymRate: 0.01, niaRate: 0.01))
        {
            var matricule = p.Ins.NumIdentifiant + p.Ins.Cle;
            if (!ins.Add(matricule) || !traits.Add(string.Join('|', p.BirthName, p.FirstNamesJoined, p.Sex, p.BirthDate)))
            {
                skipped++;
                continue;
            }

            var id = "B" + written.ToString(CultureInfo.InvariantCulture);
            sandbox.WriteLine(string.Join(';', id, p.BirthName, p.FirstNamesJoined, p.Sex, p.BirthDate, p.BirthPlace, matricule, p.Ins.Oid));
            import.WriteLine(string.Join(';', id, p.BirthName, p.FirstNamesJoined, p.Sex, p.BirthDate, p.BirthPlace, matricule, p.Ins.Oid));
            written++;
        }

        Console.WriteLine($"# batch-data: {written} persons written to {output} ({skipped} repeated INS or strict traits left out), seed {seed}");
        return 0;
    }
}
