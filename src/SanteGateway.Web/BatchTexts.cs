using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace SanteGateway.Web;

/// <summary>
/// The batch CSV refusals in French. The application layer's messages stay English (the REST API and the CLI show
/// them, and clients may match them); the staff UI shows these instead, from the rule code and, for the whole-file
/// refusals that share one rule (<c>csv.header</c>), the shape of the message.
/// </summary>
public static partial class BatchTexts
{
    /// <summary>Why a whole CSV file is refused (field <c>csv</c> of the creation error).</summary>
    /// <param name="rule">The error's rule (<c>csv.header</c>, <c>csv.size</c>, <c>batch.selection</c>…).</param>
    /// <param name="raw">The application's message.</param>
    /// <returns>A French sentence.</returns>
    public static string FileRefusal(string? rule, string raw)
    {
        ArgumentNullException.ThrowIfNull(raw);
        if (rule == "csv.size" || raw.Contains("bytes", StringComparison.Ordinal))
        {
            return Texts.BatchTextsLeFichierEstTropVolumineux;
        }

        if (rule == "batch.selection")
        {
            return Texts.BatchTextsDonnezSoitUnFichierCsv;
        }

        if (raw.StartsWith("The file is empty", StringComparison.Ordinal))
        {
            return Texts.BatchTextsLeFichierEstVideLa;
        }

        if (raw.StartsWith("Line 1 is not valid UTF-8", StringComparison.Ordinal))
        {
            return Texts.BatchTextsLaLigne1NEst;
        }

        if (UnknownColumns().Match(raw) is { Success: true } m)
        {
            return string.Format(CultureInfo.InvariantCulture, Texts.BatchTextsLigne1ColonneSInconnue, m.Groups["unknown"].Value, m.Groups["known"].Value);
        }

        if (raw.Contains("localId column is required", StringComparison.Ordinal))
        {
            return Texts.BatchTextsLigne1LaColonneLocalid;
        }

        if (raw.Contains("column is named twice", StringComparison.Ordinal))
        {
            return Texts.BatchTextsLigne1UneColonneEst;
        }

        if (raw.StartsWith("Line 1: ", StringComparison.Ordinal))
        {
            return string.Format(CultureInfo.InvariantCulture, Texts.BatchTextsLigne1, Quote(raw["Line 1: ".Length..]));
        }

        return string.Format(CultureInfo.InvariantCulture, Texts.BatchTextsLeFichierCsvEstRefuse, rule ?? "csv");
    }

    /// <summary>Why one row was refused (outcome <c>input-refused</c>), from its rule and the stored detail.</summary>
    /// <param name="rule">Rule (<c>csv.sex</c>, <c>csv.birthDate</c>, <c>csv.columns</c>…).</param>
    /// <param name="detail">The application's detail.</param>
    /// <returns>A French sentence.</returns>
    public static string RowRefusal(string? rule, string? detail)
    {
        detail ??= "";
        var missing = detail.Contains("is required", StringComparison.Ordinal);
        switch (rule)
        {
            case "csv.encoding":
                return Texts.BatchTextsLaLigneNEstPas;
            case "csv.quote":
                return Quote(detail);
            case "csv.columns":
                return ColumnCount().Match(detail) is { Success: true } m
                    ? string.Format(CultureInfo.InvariantCulture, Texts.BatchTextsLaLigneAChampS, m.Groups[1].Value, m.Groups[2].Value)
                    : Texts.BatchTextsLeNombreDeChampsNe;
            case "csv.localId":
                return Texts.BatchTextsLocalidEstVideChaqueLigne;
            case "csv.sex":
                return missing ? Texts.BatchTextsSexeManquantMOuF : Texts.BatchTextsSexeAttenduMOuF;
            case "csv.birthDate":
                return missing ? Texts.BatchTextsDateDeNaissanceManquanteAaaammjj : Texts.BatchTextsDateDeNaissanceInvalideFormat;
            case "csv.birthName":
                return missing ? Texts.BatchTextsNomDeNaissanceManquant : Texts.BatchTextsNomDeNaissanceRefuse + Labels.FieldError(detail);
            case "csv.birthFirstNames":
                return missing ? Texts.BatchTextsPrenomsDeNaissanceManquants : Texts.BatchTextsPrenomsDeNaissanceRefuses + Labels.FieldError(detail);
            case "csv.firstFirstName":
                return Texts.BatchTextsPremierPrenomRefuse + Labels.FieldError(detail);
            case "csv.birthPlaceCog":
                return Texts.BatchTextsCodeCogDuLieuDe + Labels.FieldError(detail);
            case "csv.ins":
                return missing ? Texts.BatchTextsInsManquantIlFautUn : Texts.BatchTextsMatriculeInsInvalide15Caracteres;
            case "csv.row":
                return Texts.BatchTextsLaLigneNePeutPas;
            default:
                return rule is { Length: > 0 } && rule.StartsWith("csv.", StringComparison.Ordinal)
                    ? string.Format(CultureInfo.InvariantCulture, Texts.BatchTextsValeurRefusee, rule["csv.".Length..], Labels.FieldError(detail))
                    : Texts.BatchTextsLigneRefusee;
        }
    }

    private static string Quote(string detail) => detail.StartsWith("A quoted field is not closed", StringComparison.Ordinal)
        ? Texts.BatchTextsUnChampEntreGuillemetsN
        : ClosingQuote().Match(detail) is { Success: true } m
            ? string.Format(CultureInfo.InvariantCulture, Texts.BatchTextsTexteApresUnGuillemetFermant, m.Groups[1].Value)
            : Texts.BatchTextsGuillemetsMalPlaces;

    [GeneratedRegex(@"unknown column\(s\) (?<unknown>.*); known: (?<known>.*)\.$", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex UnknownColumns();

    [GeneratedRegex(@"^(\d+) field\(s\) where the header has (\d+)", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex ColumnCount();

    [GeneratedRegex(@"closing quote at column (\d+)", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex ClosingQuote();

    /// <summary>Splits one line of the job report (<c>;</c>-separated, double quotes as the report writes them).</summary>
    /// <param name="line">A report line.</param>
    /// <returns>The fields.</returns>
    public static List<string> SplitReportLine(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        var fields = new List<string>();
        var sb = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"')
                {
                    sb.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    sb.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ';')
            {
                fields.Add(sb.ToString());
                sb.Clear();
            }
            else
            {
                sb.Append(c);
            }
        }

        fields.Add(sb.ToString());
        return fields;
    }
}

/// <summary>
/// The job report as the staff download it: the application's report, line by line, with a last column <c>motif</c>
/// giving a refused row's reason in French.
/// </summary>
/// <param name="inner">Where the report goes.</param>
internal sealed class FrenchReportWriter(TextWriter inner) : TextWriter
{
    private bool header = true;

    public override Encoding Encoding => inner.Encoding;

    public override void Write(char value) => inner.Write(value);

    public override Task WriteLineAsync(string? value) => inner.WriteLineAsync(Translate(value));

    public override void WriteLine(string? value) => inner.WriteLine(Translate(value));

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    private string? Translate(string? line)
    {
        if (line is null)
        {
            return null;
        }

        if (header)
        {
            header = false;
            return line + ";motif";
        }

        var f = BatchTexts.SplitReportLine(line);
        if (f.Count < 6 || f[3] != SanteGateway.Application.Batch.BatchOutcomes.InputRefused)
        {
            return line + ";";
        }

        var motif = BatchTexts.RowRefusal(f[4], f[5]);
        return line + ";\"" + motif.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }
}

/// <summary>Collects the first refused rows of a job report (line, localId, French reason) and counts them all.</summary>
internal sealed class RefusedRowsCollector(int limit) : TextWriter
{
    private bool header = true;

    public override Encoding Encoding => Encoding.UTF8;

    /// <summary>The first refused rows.</summary>
    public List<(int Line, string LocalId, string Reason)> Rows { get; } = [];

    /// <summary>All refused rows.</summary>
    public int Count { get; private set; }

    public override void Write(char value)
    {
    }

    public override Task WriteLineAsync(string? value)
    {
        WriteLine(value);
        return Task.CompletedTask;
    }

    public override void WriteLine(string? value)
    {
        if (header || value is null)
        {
            header = false;
            return;
        }

        var f = BatchTexts.SplitReportLine(value);
        if (f.Count < 6 || f[3] != SanteGateway.Application.Batch.BatchOutcomes.InputRefused)
        {
            return;
        }

        Count++;
        if (Rows.Count < limit)
        {
            Rows.Add((int.TryParse(f[0], System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : 0, f[1], BatchTexts.RowRefusal(f[4], f[5])));
        }
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
