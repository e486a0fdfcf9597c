using System.Collections.Concurrent;
using System.Xml.Linq;

namespace SanteGateway.Insi.Tests;

/// <summary>Answers from a function of the sent request; records what was sent.</summary>
internal sealed class FakeTransport(Func<FakeTransport.Sent, InsiHttpResponse> answer) : IInsiTransport
{
    public ConcurrentQueue<Sent> Requests { get; } = new();

    public Task<InsiHttpResponse> SendAsync(string action, ReadOnlyMemory<byte> body, InsiCertificateKind kind, CancellationToken cancellationToken)
    {
        var sent = new Sent(action, body.ToArray(), kind);
        Requests.Enqueue(sent);
        return Task.FromResult(answer(sent));
    }

    public InsiCertificateIdentity? Describe(InsiCertificateKind kind) =>
        new(kind == InsiCertificateKind.Manual ? "INSI-MANU" : "INSI-AUTO", "10B0152872");

    public static InsiHttpResponse File200(string path) => new(200, System.IO.File.ReadAllBytes(path));

    public static InsiHttpResponse Cr(string code, string label = "x") => new(200, System.Text.Encoding.UTF8.GetBytes(
        $"""<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><RESULTAT xmlns="http://www.cnamts.fr/INSiResultat"><CR><CodeCR>{code}</CodeCR><LibelleCR>{label}</LibelleCR></CR></RESULTAT></s:Body></s:Envelope>"""));

    public static InsiHttpResponse Fault(string subcode, string error) => new(500, System.Text.Encoding.UTF8.GetBytes(
        $"""<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body><soap:Fault><soap:Code><soap:Value>soap:Sender</soap:Value><soap:Subcode><soap:Value>soap:{subcode}</soap:Value></soap:Subcode></soap:Code><soap:Reason><soap:Text xml:lang="fr">Le service est temporairement inaccessible.</soap:Text></soap:Reason><soap:Detail><siram:Erreur xmlns:siram="urn:siram" code="{error}" severite="fatale" messageID="uuid:x">indisponible</siram:Erreur></soap:Detail></soap:Fault></soap:Body></soap:Envelope>"""));

    internal sealed record Sent(string Action, byte[] Body, InsiCertificateKind Kind)
    {
        private XDocument Doc => XDocument.Load(new MemoryStream(Body));

        public string? Value(string ns, string local) => Doc.Descendants(XName.Get(local, ns)).FirstOrDefault()?.Value;

        public string? Prenom => Value(InsiNamespaces.RecSans, "Prenom");

        public string? Lieu => Value(InsiNamespaces.RecSans, "LieuNaissance");
    }
}

internal sealed class ListTraceSink : IInsiTraceSink
{
    public ConcurrentQueue<InsiTrace> Traces { get; } = new();

    public ValueTask WriteAsync(InsiTrace trace, CancellationToken cancellationToken)
    {
        Traces.Enqueue(trace);
        return ValueTask.CompletedTask;
    }
}
