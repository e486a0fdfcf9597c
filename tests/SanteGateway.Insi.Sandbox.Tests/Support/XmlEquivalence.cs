using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace SanteGateway.Insi.Sandbox.Tests.Support;

/// <summary>
/// Element-by-element comparison of two XML documents: namespaces, local names, attributes (namespace declarations excluded)
/// and text values; prefixes are free (also inside QName values such as <c>S:Sender</c>); whitespace-only text is ignored.
/// </summary>
internal static partial class XmlEquivalence
{
    public static IReadOnlyList<string> Differences(string expected, string actual, Func<XAttribute, bool>? ignoreAttribute = null)
    {
        var differences = new List<string>();
        Compare(XDocument.Parse(expected).Root!, XDocument.Parse(actual).Root!, "/", differences, ignoreAttribute ?? (_ => false));
        return differences;
    }

    private static void Compare(XElement e, XElement a, string path, List<string> diffs, Func<XAttribute, bool> ignore)
    {
        var here = $"{path}{e.Name.LocalName}";
        if (e.Name != a.Name)
        {
            diffs.Add($"{here}: expected element {e.Name}, got {a.Name}");
            return;
        }

        var ea = Attributes(e, ignore);
        var aa = Attributes(a, ignore);
        foreach (var (name, value) in ea)
        {
            if (!aa.TryGetValue(name, out var other))
            {
                diffs.Add($"{here}/@{name}: missing");
            }
            else if (other != value)
            {
                diffs.Add($"{here}/@{name}: expected '{value}', got '{other}'");
            }
        }

        foreach (var name in aa.Keys.Except(ea.Keys))
        {
            diffs.Add($"{here}/@{name}: unexpected");
        }

        var ec = e.Elements().ToList();
        var ac = a.Elements().ToList();
        if (ec.Count == 0 && ac.Count == 0)
        {
            var ev = Value(e);
            var av = Value(a);
            if (ev != av)
            {
                diffs.Add($"{here}: expected text '{ev}', got '{av}'");
            }

            return;
        }

        if (ec.Count != ac.Count)
        {
            diffs.Add($"{here}: expected children [{string.Join(", ", ec.Select(c => c.Name.LocalName))}], got [{string.Join(", ", ac.Select(c => c.Name.LocalName))}]");
            return;
        }

        for (var i = 0; i < ec.Count; i++)
        {
            Compare(ec[i], ac[i], here + "/", diffs, ignore);
        }
    }

    private static Dictionary<XName, string> Attributes(XElement e, Func<XAttribute, bool> ignore) =>
        e.Attributes().Where(x => !x.IsNamespaceDeclaration && !ignore(x)).ToDictionary(x => x.Name, x => x.Value);

    /// <summary>Trimmed text; a QName value whose prefix is declared in scope is expanded to {namespace}local.</summary>
    private static string Value(XElement e)
    {
        var text = e.Value.Trim();
        var match = QName().Match(text);
        if (match.Success)
        {
            var ns = e.GetNamespaceOfPrefix(match.Groups[1].Value);
            if (ns is not null)
            {
                return $"{{{ns.NamespaceName}}}{match.Groups[2].Value}";
            }
        }

        return text;
    }

    [GeneratedRegex(@"^([A-Za-z_][\w.-]*):([A-Za-z_][\w.-]*)$")]
    private static partial Regex QName();
}
