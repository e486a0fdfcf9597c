using System.Globalization;
using System.Text;

namespace SanteGateway.Insi.Sandbox.Data;

/// <summary>One problem found in a persons CSV.</summary>
/// <param name="Line">1-based line of the file where the record starts (1 = header).</param>
/// <param name="Column">Column name, or null for the whole record.</param>
/// <param name="Rule">Short rule id (e.g. <c>ins-key</c>).</param>
/// <param name="Message">What is wrong, in plain words.</param>
public sealed record CsvProblem(int Line, string? Column, string Rule, string Message)
{
    /// <inheritdoc />
    public override string ToString() => $"line {Line}: {(Column is null ? string.Empty : Column + ": ")}{Message} [rule {Rule}]";
}

/// <summary>Outcome of reading a persons CSV: the persons, or every problem found (then no person is returned).</summary>
/// <param name="Persons">Persons read (empty when there are problems).</param>
/// <param name="Problems">Every problem, in file order.</param>
public sealed record SandboxCsvResult(IReadOnlyList<SandboxPerson> Persons, IReadOnlyList<CsvProblem> Problems)
{
    /// <summary>Each person with the line of the file it comes from.</summary>
    public IReadOnlyList<(int Line, SandboxPerson Person)> Lines { get; init; } = [];

    /// <summary>The persons, or <see cref="InvalidDataException"/> listing the problems (up to 50) with their lines and rules.</summary>
    public IReadOnlyList<SandboxPerson> PersonsOrThrow(string source) => Problems.Count == 0
        ? Persons
        : throw new InvalidDataException($"{source}: {Problems.Count} problem(s):{Environment.NewLine}  " + string.Join(Environment.NewLine + "  ", Problems.Take(50)));
}

/// <summary>
/// Reads the publisher's own test persons from CSV, the dialect shared with batch jobs: UTF-8 (BOM allowed), a header
/// row naming the columns (any order, case-insensitive) <c>local_id, birth_name, first_names, sex, birth_date,
/// birth_place_cog, ins_matricule, oid</c>, separator <c>;</c> or <c>,</c> (the one the header uses), fields quoted with
/// <c>"</c> when they hold the separator, a quote (doubled) or a line break (RFC 4180), CRLF or LF line ends, blank lines
/// ignored. First names are separated by spaces; the matricule is 15 characters (13 + key, spaces ignored).
/// </summary>
/// <remarks>
/// Checks, each with its rule id: <c>encoding</c>, <c>header</c> (missing/unknown/duplicate column), <c>columns</c> (field
/// count), <c>local-id</c> (present, unique), <c>birth-name</c>, <c>first-names</c>, <c>sex</c>, <c>birth-date</c>,
/// <c>cog</c> (INSi lexical profile), <c>ins-format</c>, <c>ins-key</c> (mod 97), <c>ins-sex</c> (first digit 1/3/7 for M,
/// 2/4/8 for F), <c>ins-year</c> (digits 2–3 = year of birth), <c>ins-unique</c>, <c>oid</c> (INS OIDs .8/.9/.10/.11).
/// </remarks>
public static class SandboxPersonsCsv
{
    /// <summary>The columns, in the documented order.</summary>
    public static readonly IReadOnlyList<string> Columns = ["local_id", "birth_name", "first_names", "sex", "birth_date", "birth_place_cog", "ins_matricule", "oid"];

    private static readonly HashSet<string> InsOids = new(StringComparer.Ordinal) { SandboxIns.NirOid, SandboxIns.NiaOid, "1.2.250.1.213.1.4.10", "1.2.250.1.213.1.4.11" };

    /// <summary>Reads and checks <paramref name="path"/>.</summary>
    /// <exception cref="InvalidDataException">Any problem; all of them are listed with their line and rule.</exception>
    public static IReadOnlyList<SandboxPerson> Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Parse(File.ReadAllBytes(path)).PersonsOrThrow(path);
    }

    /// <summary>Parses CSV bytes (see the class remarks for the dialect); never throws for bad content.</summary>
    public static SandboxCsvResult Parse(ReadOnlySpan<byte> bytes, string source = "persons.csv")
    {
        var problems = new List<CsvProblem>();
        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return new SandboxCsvResult([], [new CsvProblem(1, null, "encoding", "the file is not UTF-8")]);
        }

        text = text.TrimStart('\uFEFF');
        var records = ReadRecords(text, DetectSeparator(text)).Where(r => !(r.Fields.Count == 1 && r.Fields[0].Length == 0)).ToList();
        if (records.Count == 0)
        {
            return new SandboxCsvResult([], [new CsvProblem(1, null, "header", "the file is empty; a header row is required")]);
        }

        var header = records[0];
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < header.Fields.Count; i++)
        {
            var name = header.Fields[i].Trim().ToLowerInvariant();
            if (!Columns.Contains(name))
            {
                problems.Add(new CsvProblem(header.Line, name, "header", $"unknown column '{header.Fields[i].Trim()}' (expected: {string.Join(", ", Columns)})"));
            }
            else if (!index.TryAdd(name, i))
            {
                problems.Add(new CsvProblem(header.Line, name, "header", "column named twice"));
            }
        }

        foreach (var missing in Columns.Where(c => !index.ContainsKey(c)))
        {
            problems.Add(new CsvProblem(header.Line, missing, "header", "required column missing"));
        }

        if (problems.Count > 0)
        {
            return new SandboxCsvResult([], problems);
        }

        var persons = new List<SandboxPerson>();
        var lines = new List<(int, SandboxPerson)>();
        var localIds = new Dictionary<string, int>(StringComparer.Ordinal);
        var matricules = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var record in records.Skip(1))
        {
            if (record.Fields.Count != header.Fields.Count)
            {
                problems.Add(new CsvProblem(record.Line, null, "columns", $"{record.Fields.Count} field(s) where the header has {header.Fields.Count}"));
                continue;
            }

            var before = problems.Count;
            string F(string column) => record.Fields[index[column]].Trim();
            void Check(string column, string rule, string? error)
            {
                if (error is not null)
                {
                    problems.Add(new CsvProblem(record.Line, column, rule, error));
                }
            }

            var localId = F("local_id");
            Check("local_id", "local-id", localId.Length == 0 ? "required" : null);
            if (localId.Length > 0 && !localIds.TryAdd(localId, record.Line))
            {
                Check("local_id", "local-id", $"'{localId}' already used on line {localIds[localId]}");
            }

            var birthName = F("birth_name");
            Check("birth_name", "birth-name", InsiTraitRules.CheckBirthName(birthName));
            var firstNames = F("first_names").Split(' ', StringSplitOptions.RemoveEmptyEntries);
            Check("first_names", "first-names", firstNames.Length == 0 ? "at least one first name is required" : InsiTraitRules.CheckFirstNames(string.Join(' ', firstNames)));
            var sex = F("sex");
            Check("sex", "sex", InsiTraitRules.CheckSex(sex));
            var birthDate = F("birth_date");
            Check("birth_date", "birth-date", InsiTraitRules.CheckBirthDate(birthDate));
            var cog = F("birth_place_cog");
            Check("birth_place_cog", "cog", cog.Length == 0 ? null : InsiTraitRules.CheckCog(cog));
            var oid = F("oid");
            Check("oid", "oid", InsOids.Contains(oid) ? null : $"'{oid}' is not an INS OID (1.2.250.1.213.1.4.8 NIR, .9 NIA, .10 test, .11 demo)");

            var matricule = F("ins_matricule").Replace(" ", string.Empty, StringComparison.Ordinal).ToUpperInvariant();
            if (matricule.Length != 15 || InsKey.Compute(matricule.AsSpan(0, 13)) < 0 || matricule.AsSpan(13).ContainsAnyExcept("0123456789"))
            {
                Check("ins_matricule", "ins-format", "15 characters expected: 13 (digits, 2A/2B for Corsica) + a 2-digit key");
            }
            else
            {
                var body = matricule[..13];
                var key = matricule[13..];
                Check("ins_matricule", "ins-key", InsKey.IsValid(body, key) ? null : $"key '{key}' is wrong for {body} (expected {InsKey.Compute(body):00})");
                if (sex is "M" or "F")
                {
                    var expected = body[0] switch { '1' or '3' or '7' => "M", '2' or '4' or '8' => "F", _ => null };
                    Check("ins_matricule", "ins-sex", expected is null ? $"first digit '{body[0]}' is not a sex digit (1/3/7 or 2/4/8)"
                        : expected != sex ? $"first digit '{body[0]}' means sex {expected}, the sex column says {sex}" : null);
                }

                if (birthDate.Length >= 4 && InsiTraitRules.CheckBirthDate(birthDate) is null && birthDate[..4] != "0000" && body.Substring(1, 2) != birthDate.Substring(2, 2))
                {
                    Check("ins_matricule", "ins-year", $"digits 2-3 '{body.Substring(1, 2)}' do not match the year of birth {birthDate[..4]}");
                }

                if (!matricules.TryAdd(body, record.Line))
                {
                    Check("ins_matricule", "ins-unique", $"{body} already used on line {matricules[body]}");
                }
            }

            if (problems.Count == before)
            {
                persons.Add(new SandboxPerson(
                    birthName,
                    firstNames,
                    sex[0],
                    birthDate,
                    cog.Length == 0 ? null : cog,
                    new SandboxIns(matricule[..13], matricule[13..], oid),
                    [],
                    [],
                    string.Create(CultureInfo.InvariantCulture, $"{Path.GetFileName(source)}:{record.Line} local id {localId}")));
                lines.Add((record.Line, persons[^1]));
            }
        }

        return problems.Count > 0 ? new SandboxCsvResult([], problems) : new SandboxCsvResult(persons, []) { Lines = lines };
    }

    /// <summary>The separator used by the header row: whichever of <c>;</c> and <c>,</c> appears more often outside quotes (<c>;</c> on a tie).</summary>
    internal static char DetectSeparator(string text)
    {
        int semicolons = 0, commas = 0;
        var quoted = false;
        foreach (var c in text)
        {
            if (c == '"')
            {
                quoted = !quoted;
            }
            else if (!quoted && c is '\n' or '\r')
            {
                break;
            }
            else if (!quoted && c == ';')
            {
                semicolons++;
            }
            else if (!quoted && c == ',')
            {
                commas++;
            }
        }

        return commas > semicolons ? ',' : ';';
    }

    private static IEnumerable<(int Line, List<string> Fields)> ReadRecords(string text, char separator)
    {
        var line = 1;
        var i = 0;
        while (i < text.Length)
        {
            var start = line;
            var fields = new List<string>();
            var field = new StringBuilder();
            var quoted = false;
            var endOfRecord = false;
            while (i < text.Length && !endOfRecord)
            {
                var c = text[i];
                if (quoted)
                {
                    if (c == '"' && i + 1 < text.Length && text[i + 1] == '"')
                    {
                        field.Append('"');
                        i += 2;
                        continue;
                    }

                    if (c == '"')
                    {
                        quoted = false;
                    }
                    else
                    {
                        if (c == '\n')
                        {
                            line++;
                        }

                        field.Append(c);
                    }

                    i++;
                    continue;
                }

                switch (c)
                {
                    case '"' when field.Length == 0 || field.ToString().Trim().Length == 0:
                        field.Clear();
                        quoted = true;
                        break;
                    case '\r':
                        break;
                    case '\n':
                        line++;
                        endOfRecord = true;
                        break;
                    default:
                        if (c == separator)
                        {
                            fields.Add(field.ToString());
                            field.Clear();
                        }
                        else
                        {
                            field.Append(c);
                        }

                        break;
                }

                i++;
            }

            fields.Add(field.ToString());
            yield return (start, fields);
        }
    }
}
