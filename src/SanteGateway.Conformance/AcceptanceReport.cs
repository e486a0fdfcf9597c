using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Xml;
using System.Xml.Linq;

namespace SanteGateway.Conformance;

/// <summary>
/// Writes the acceptance folder: <c>index.html</c> and <c>index.md</c> (summary table), <c>summary.json</c>, and per case
/// <c>cases/&lt;id&gt;/report.html</c>, <c>report.md</c>, the raw traces <c>traces/NN.request.xml</c> /
/// <c>NN.response.xml</c> (exact bytes as recorded) and the screenshots found in <c>cases/&lt;id&gt;/screenshots/*.png</c>.
/// </summary>
/// <remarks>
/// Screenshot convention: the end-to-end run (Playwright, headless Chromium) writes the screen of a case into
/// <c>&lt;screenshots&gt;/&lt;case id&gt;/*.png</c>; given that folder, the report copies and embeds them. A case with a
/// <see cref="ConformanceCase.Screen"/> but no picture says which screen is still to attach.
/// </remarks>
public static class AcceptanceReport
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>Writes the folder (created when missing; files of a previous run are overwritten).</summary>
    /// <param name="run">The run.</param>
    /// <param name="directory">Target folder.</param>
    /// <param name="screenshotsDirectory">Folder of screenshots by case id, or null.</param>
    /// <returns>Path of <c>index.html</c>.</returns>
    public static string Write(ConformanceRun run, string directory, string? screenshotsDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Directory.CreateDirectory(directory);
        foreach (var r in run.Results)
        {
            WriteCase(run, r, Path.Combine(directory, "cases", r.Case.Id), screenshotsDirectory);
        }

        File.WriteAllText(Path.Combine(directory, "index.md"), IndexMarkdown(run), Encoding.UTF8);
        var index = Path.Combine(directory, "index.html");
        File.WriteAllText(index, IndexHtml(run), Encoding.UTF8);
        File.WriteAllText(Path.Combine(directory, "summary.json"), JsonSerializer.Serialize(new
        {
            format = "santegw-cnda-acceptance/1",
            endpoint = run.Endpoint.ToString(),
            sandbox = run.IsSandbox,
            idam = run.Idam,
            softwareVersion = run.SoftwareVersion,
            startedAt = run.StartedAt,
            finishedAt = run.FinishedAt,
            passed = run.Passed,
            failed = run.Failed,
            notRun = run.NotRun,
            cases = run.Results.Select(r => new
            {
                id = r.Case.Id,
                section = r.Case.Section.ToString(),
                title = r.Case.Title,
                verdict = r.Verdict.ToString(),
                note = r.Note,
                checks = r.Checks.Select(c => new { c.Name, c.Expected, c.Actual, c.Passed }),
                exchanges = r.Exchanges.Count,
            }),
        }, Json), Encoding.UTF8);
        return index;
    }

    /// <summary>French label of a verdict.</summary>
    /// <param name="verdict">Verdict.</param>
    /// <returns>RÉUSSI, ÉCHEC or NON EXÉCUTÉ.</returns>
    public static string Label(ConformanceVerdict verdict) => verdict switch
    {
        ConformanceVerdict.Passed => "RÉUSSI",
        ConformanceVerdict.Failed => "ÉCHEC",
        _ => "NON EXÉCUTÉ",
    };

    private static void WriteCase(ConformanceRun run, ConformanceCaseResult r, string dir, string? screenshotsDirectory)
    {
        Directory.CreateDirectory(dir);
        var traces = Path.Combine(dir, "traces");
        if (Directory.Exists(traces))
        {
            Directory.Delete(traces, recursive: true);
        }

        if (r.Exchanges.Count > 0)
        {
            Directory.CreateDirectory(traces);
            foreach (var x in r.Exchanges)
            {
                var stem = Path.Combine(traces, x.Number.ToString("D2", CultureInfo.InvariantCulture));
                if (x.RequestXml is not null)
                {
                    File.WriteAllText(stem + ".request.xml", x.RequestXml, new UTF8Encoding(false));
                }

                if (x.ResponseXml is not null)
                {
                    File.WriteAllText(stem + ".response.xml", x.ResponseXml, new UTF8Encoding(false));
                }
            }
        }

        var shots = Path.Combine(dir, "screenshots");
        if (screenshotsDirectory is not null && Directory.Exists(Path.Combine(screenshotsDirectory, r.Case.Id)))
        {
            Directory.CreateDirectory(shots);
            foreach (var png in Directory.EnumerateFiles(Path.Combine(screenshotsDirectory, r.Case.Id), "*.png"))
            {
                File.Copy(png, Path.Combine(shots, Path.GetFileName(png)), overwrite: true);
            }
        }

        var pictures = Directory.Exists(shots) ? Directory.EnumerateFiles(shots, "*.png").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList() : [];
        File.WriteAllText(Path.Combine(dir, "report.md"), CaseMarkdown(run, r, pictures!), Encoding.UTF8);
        File.WriteAllText(Path.Combine(dir, "report.html"), CaseHtml(run, r, pictures!), Encoding.UTF8);
    }

    /// <summary>Escapes markup characters only, so French text stays readable in the HTML source.</summary>
    private static string H(string? s)
    {
        var sb = new StringBuilder((s ?? "").Length);
        foreach (var c in s ?? "")
        {
            var escaped = c switch
            {
                '<' => "&lt;",
                '>' => "&gt;",
                '&' => "&amp;",
                '"' => "&quot;",
                '\'' => "&#39;",
                _ => null,
            };
            if (escaped is null)
            {
                sb.Append(c);
            }
            else
            {
                sb.Append(escaped);
            }
        }

        return sb.ToString();
    }

    private static string Md(string? s) => (s ?? "").Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);

    private static string Input(ConformanceCase c)
    {
        var parts = new List<string>();
        if (c.Traits is { } t)
        {
            parts.Add("Traits saisis : " + t);
        }

        if (c.Card is { } card)
        {
            parts.Add("Carte Vitale : " + card);
        }

        if (c.Injections.Count > 0)
        {
            parts.Add("Fichiers CNDA injectés : " + string.Join(", ", c.Injections.Select(i => i.FirstNames is null ? i.File + " (chaque appel)" : $"{i.File} (appel avec le prénom {i.FirstNames})")));
        }

        if (c.Idam is not null)
        {
            parts.Add("IDAM : " + c.Idam);
        }

        if (c.Certificate == ConformanceCertificate.WrongCommonName)
        {
            parts.Add("Certificat : CN ni INSI-AUTO ni INSI-MANU");
        }

        return string.Join(" ; ", parts);
    }

    private static string PrettyXml(string xml)
    {
        try
        {
            using var reader = XmlReader.Create(new StringReader(xml), new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null });
            return XDocument.Load(reader).ToString();
        }
        catch (XmlException)
        {
            return xml;
        }
    }

    private const string Style = "body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem;color:#1b1b1b}table{border-collapse:collapse;width:100%;margin:1rem 0}"
        + "th,td{border:1px solid #bbb;padding:.35rem .5rem;text-align:left;vertical-align:top}th{background:#eef}.ok{color:#0a6b1f;font-weight:bold}"
        + ".ko{color:#b00020;font-weight:bold}.nr{color:#7a5a00;font-weight:bold}pre{background:#f6f6f6;border:1px solid #ddd;padding:.5rem;overflow-x:auto;font-size:.8rem;white-space:pre-wrap}"
        + "img{max-width:100%;border:1px solid #ccc;margin:.5rem 0}dt{font-weight:bold;margin-top:.5rem}";

    private static string Css(ConformanceVerdict v) => v switch
    {
        ConformanceVerdict.Passed => "ok",
        ConformanceVerdict.Failed => "ko",
        _ => "nr",
    };

    private static string Header(ConformanceRun run) =>
        $"Cible : {run.Endpoint}{(run.IsSandbox ? " (bac à sable intégré)" : "")} — IDAM {run.Idam} — version {run.SoftwareVersion} — {run.StartedAt:yyyy-MM-dd HH:mm:ss} UTC";

    private static string IndexHtml(ConformanceRun run)
    {
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html><html lang=\"fr\"><head><meta charset=\"utf-8\"><title>Dossier de recette CNDA INSi</title><style>").Append(Style).Append("</style></head><body>");
        sb.Append("<h1>Dossier de recette CNDA — téléservice INSi</h1><p>").Append(H(Header(run))).Append("</p>");
        sb.Append(CultureInfo.InvariantCulture, $"<p id=\"summary\"><span class=\"ok\">{run.Passed} réussi(s)</span>, <span class=\"ko\">{run.Failed} échec(s)</span>, <span class=\"nr\">{run.NotRun} non exécuté(s)</span> sur {run.Results.Count} tests.</p>");
        foreach (var section in new[] { ConformanceSection.InsiPlan, ConformanceSection.GuideRules })
        {
            var rows = run.Results.Where(r => r.Case.Section == section).ToList();
            if (rows.Count == 0)
            {
                continue;
            }

            sb.Append("<h2>").Append(section == ConformanceSection.InsiPlan ? "1. Plan de tests INSi (CNDA)" : "2. Règles du guide d'implémentation vérifiées automatiquement").Append("</h2>");
            sb.Append("<table><thead><tr><th>Test</th><th>Titre</th><th>Résultat</th><th>Échanges</th><th>Observé</th></tr></thead><tbody>");
            foreach (var r in rows)
            {
                sb.Append(CultureInfo.InvariantCulture, $"<tr data-case=\"{H(r.Case.Id)}\"><td><a href=\"cases/{H(r.Case.Id)}/report.html\">{H(r.Case.Id)}</a></td><td>{H(r.Case.Title)}</td>")
                  .Append(CultureInfo.InvariantCulture, $"<td class=\"{Css(r.Verdict)}\">{Label(r.Verdict)}</td><td>{r.Exchanges.Count}</td><td>{H(r.Note ?? r.Observed)}</td></tr>");
            }

            sb.Append("</tbody></table>");
        }

        sb.Append("<p>Traces brutes : <code>cases/&lt;test&gt;/traces/NN.request.xml</code> et <code>NN.response.xml</code> (octets tels qu'enregistrés par la passerelle). ")
          .Append("Captures d'écran : <code>cases/&lt;test&gt;/screenshots/</code>.</p></body></html>\n");
        return sb.ToString();
    }

    private static string IndexMarkdown(ConformanceRun run)
    {
        var sb = new StringBuilder("# Dossier de recette CNDA — téléservice INSi\n\n");
        sb.Append(Header(run)).Append("\n\n");
        sb.Append(CultureInfo.InvariantCulture, $"**{run.Passed} réussi(s), {run.Failed} échec(s), {run.NotRun} non exécuté(s)** sur {run.Results.Count} tests.\n\n");
        sb.Append("| Test | Titre | Résultat | Échanges |\n|---|---|---|---|\n");
        foreach (var r in run.Results)
        {
            sb.Append(CultureInfo.InvariantCulture, $"| [{r.Case.Id}](cases/{r.Case.Id}/report.md) | {Md(r.Case.Title)} | {Label(r.Verdict)} | {r.Exchanges.Count} |\n");
        }

        return sb.ToString();
    }

    private static string CaseHtml(ConformanceRun run, ConformanceCaseResult r, IReadOnlyList<string> pictures)
    {
        var c = r.Case;
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html><html lang=\"fr\"><head><meta charset=\"utf-8\"><title>").Append(H(c.Id)).Append("</title><style>").Append(Style).Append("</style></head><body>");
        sb.Append("<p><a href=\"../../index.html\">← Dossier de recette</a></p>");
        sb.Append("<h1>").Append(H(c.Title)).Append("</h1>");
        sb.Append(CultureInfo.InvariantCulture, $"<p>Résultat : <span id=\"verdict\" class=\"{Css(r.Verdict)}\">{Label(r.Verdict)}</span> — {H(Header(run))} — durée {r.Duration.TotalMilliseconds:F0} ms</p>");
        sb.Append("<dl><dt>Objet</dt><dd>").Append(H(c.Purpose)).Append("</dd><dt>Entrée</dt><dd>").Append(H(Input(c))).Append("</dd>");
        sb.Append("<dt>Comportement attendu</dt><dd>").Append(H(c.Expected.Summary)).Append("</dd>");
        sb.Append("<dt>Observé</dt><dd>").Append(H(r.Observed)).Append("</dd>");
        if (r.Note is not null)
        {
            sb.Append("<dt>Note</dt><dd>").Append(H(r.Note)).Append("</dd>");
        }

        sb.Append("<dt>Source</dt><dd>").Append(H(c.Source)).Append("</dd></dl>");
        sb.Append("<h2>Vérifications</h2><table><thead><tr><th>Vérification</th><th>Attendu</th><th>Observé</th><th></th></tr></thead><tbody>");
        foreach (var k in r.Checks)
        {
            sb.Append(CultureInfo.InvariantCulture, $"<tr><td>{H(k.Name)}</td><td>{H(k.Expected)}</td><td>{H(k.Actual)}</td><td class=\"{(k.Passed ? "ok" : "ko")}\">{(k.Passed ? "OK" : "KO")}</td></tr>");
        }

        sb.Append("</tbody></table><h2>Échanges avec INSi</h2>");
        if (r.Exchanges.Count == 0)
        {
            sb.Append("<p>Aucun échange.</p>");
        }

        foreach (var x in r.Exchanges)
        {
            var n = x.Number.ToString("D2", CultureInfo.InvariantCulture);
            sb.Append(CultureInfo.InvariantCulture, $"<h3>Échange {x.Number} — {H(x.Outcome)} — certificat {H(x.CertificateCn)} — {x.DurationMs} ms</h3>");
            if (x.InjectedFile is not null)
            {
                sb.Append("<p><strong>Réponse injectée : fichier CNDA ").Append(H(x.InjectedFile)).Append("</strong> (traitée à la place de la réponse du service).</p>");
            }

            sb.Append(CultureInfo.InvariantCulture, $"<p>Requête (<a href=\"traces/{n}.request.xml\">brute</a>)</p><pre>{H(x.RequestXml is null ? "(aucune)" : PrettyXml(x.RequestXml))}</pre>");
            sb.Append(CultureInfo.InvariantCulture, $"<p>Réponse (<a href=\"traces/{n}.response.xml\">brute</a>)</p><pre>{H(x.ResponseXml is null ? "(aucune)" : PrettyXml(x.ResponseXml))}</pre>");
        }

        sb.Append("<h2>Écran</h2>");
        if (pictures.Count > 0)
        {
            foreach (var p in pictures)
            {
                sb.Append(CultureInfo.InvariantCulture, $"<figure><img src=\"screenshots/{H(p)}\" alt=\"{H(c.Screen ?? p)}\"><figcaption>{H(p)}</figcaption></figure>");
            }
        }
        else
        {
            sb.Append("<p>").Append(H(c.Screen is null ? "Sans objet." : $"Capture à joindre : {c.Screen} (dossier screenshots/{c.Id}/ du parcours de bout en bout).")).Append("</p>");
        }

        sb.Append("</body></html>\n");
        return sb.ToString();
    }

    private static string CaseMarkdown(ConformanceRun run, ConformanceCaseResult r, IReadOnlyList<string> pictures)
    {
        var c = r.Case;
        var sb = new StringBuilder();
        sb.Append("# ").Append(c.Title).Append("\n\n");
        sb.Append(CultureInfo.InvariantCulture, $"**Résultat : {Label(r.Verdict)}** — {Header(run)}\n\n");
        sb.Append("- **Objet** : ").Append(c.Purpose).Append('\n');
        sb.Append("- **Entrée** : ").Append(Input(c)).Append('\n');
        sb.Append("- **Attendu** : ").Append(c.Expected.Summary).Append('\n');
        sb.Append("- **Observé** : ").Append(r.Observed).Append('\n');
        if (r.Note is not null)
        {
            sb.Append("- **Note** : ").Append(r.Note).Append('\n');
        }

        sb.Append("- **Source** : ").Append(c.Source).Append("\n\n| Vérification | Attendu | Observé | |\n|---|---|---|---|\n");
        foreach (var k in r.Checks)
        {
            sb.Append(CultureInfo.InvariantCulture, $"| {Md(k.Name)} | {Md(k.Expected)} | {Md(k.Actual)} | {(k.Passed ? "OK" : "KO")} |\n");
        }

        sb.Append("\n## Échanges\n\n");
        foreach (var x in r.Exchanges)
        {
            var n = x.Number.ToString("D2", CultureInfo.InvariantCulture);
            sb.Append(CultureInfo.InvariantCulture, $"{x.Number}. {x.Outcome}, certificat {x.CertificateCn}{(x.InjectedFile is null ? "" : ", réponse injectée " + x.InjectedFile)} — [requête](traces/{n}.request.xml), [réponse](traces/{n}.response.xml)\n");
        }

        if (r.Exchanges.Count == 0)
        {
            sb.Append("Aucun échange.\n");
        }

        sb.Append("\n## Écran\n\n");
        foreach (var p in pictures)
        {
            sb.Append(CultureInfo.InvariantCulture, $"![{c.Screen ?? p}](screenshots/{p})\n");
        }

        if (pictures.Count == 0)
        {
            sb.Append(c.Screen is null ? "Sans objet.\n" : $"Capture à joindre : {c.Screen}.\n");
        }

        return sb.ToString();
    }
}
