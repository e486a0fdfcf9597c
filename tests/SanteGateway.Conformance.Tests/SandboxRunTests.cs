using System.Text;
using AwesomeAssertions;
using SanteGateway.Application;
using SanteGateway.Insi;

namespace SanteGateway.Conformance.Tests;

public class SandboxRunTests(SandboxFixture sandbox) : IClassFixture<SandboxFixture>
{
    [Fact]
    public async Task The_whole_plan_passes_against_the_built_in_sandbox_through_the_product_port()
    {
        var run = await new ConformanceRunner(sandbox.Target(), SandboxFixture.ProductPort).RunAsync(CndaPlan.Cases, cancellationToken: TestContext.Current.CancellationToken);

        var failed = run.Results.Where(r => r.Verdict != ConformanceVerdict.Passed)
            .Select(r => $"{r.Case.Id}: {r.Note} {string.Join("; ", r.Checks.Where(k => !k.Passed).Select(k => $"{k.Name} expected {k.Expected} got {k.Actual}"))} [{r.Observed}]");
        failed.Should().BeEmpty();
        run.Passed.Should().Be(CndaPlan.Cases.Count);
        run.Succeeded.Should().BeTrue();
    }

    [Fact]
    public async Task The_acceptance_folder_has_an_index_a_report_per_test_raw_traces_and_the_screenshots_found()
    {
        var ct = TestContext.Current.CancellationToken;
        var cases = CndaPlan.Cases.Where(c => c.Id is "2.07-cas1" or "2.03-cas3").ToList();
        var run = await new ConformanceRunner(sandbox.Target(), SandboxFixture.ProductPort).RunAsync(cases, cancellationToken: ct);
        var outDir = Path.Combine(Path.GetTempPath(), "santegw-cnda-out-" + Guid.NewGuid().ToString("N"));
        var shots = Path.Combine(outDir + "-shots", "2.07-cas1");
        Directory.CreateDirectory(shots);
        await File.WriteAllBytesAsync(Path.Combine(shots, "fiche.png"), [0x89, (byte)'P', (byte)'N', (byte)'G'], ct);
        try
        {
            var index = AcceptanceReport.Write(run, outDir, outDir + "-shots");

            var html = await File.ReadAllTextAsync(index, ct);
            html.Should().Contain("2 réussi(s)").And.Contain("cases/2.07-cas1/report.html");
            var report = await File.ReadAllTextAsync(Path.Combine(outDir, "cases", "2.07-cas1", "report.html"), ct);
            report.Should().Contain("RÉUSSI").And.Contain("REP_CR01.xml").And.Contain("screenshots/fiche.png").And.Contain("RECSANSVITALE");
            var request = await File.ReadAllTextAsync(Path.Combine(outDir, "cases", "2.07-cas1", "traces", "01.request.xml"), ct);
            request.Should().Contain(">OLA<");
            var injected = await File.ReadAllBytesAsync(Path.Combine(outDir, "cases", "2.07-cas1", "traces", "01.response.xml"), ct);
            Encoding.UTF8.GetString(injected).Should().Be(await File.ReadAllTextAsync(Path.Combine(sandbox.Target().CndaFilesDirectory, "REP_CR01.xml"), ct));
            File.Exists(Path.Combine(outDir, "cases", "2.07-cas1", "traces", "02.response.xml")).Should().BeTrue();
            File.Exists(Path.Combine(outDir, "cases", "2.03-cas3", "report.md")).Should().BeTrue();
            Directory.Exists(Path.Combine(outDir, "cases", "2.03-cas3", "traces")).Should().BeFalse("nothing was sent for 2.03 cas 3");
            (await File.ReadAllTextAsync(Path.Combine(outDir, "cases", "2.03-cas3", "report.html"), ct)).Should().Contain("Capture à joindre");
            (await File.ReadAllTextAsync(Path.Combine(outDir, "summary.json"), ct)).Should().Contain("\"passed\": 2");
        }
        finally
        {
            Directory.Delete(outDir, recursive: true);
            Directory.Delete(outDir + "-shots", recursive: true);
        }
    }

    [Fact]
    public async Task A_product_without_the_first_name_strategy_fails_exactly_the_strategy_tests()
    {
        var run = await new ConformanceRunner(sandbox.Target(), o => new SingleCallPort(o)).RunAsync(CndaPlan.Cases.Where(c => c.Kind == ConformanceCaseKind.TraitsSearch), cancellationToken: TestContext.Current.CancellationToken);

        run.Results.Where(r => r.Verdict == ConformanceVerdict.Failed).Select(r => r.Case.Id).Should().BeEquivalentTo(["2.06-cas2", "2.07-cas1", "2.07-cas2"]);
    }

    [Fact]
    public async Task The_vitale_tests_run_through_the_products_port_and_fail_with_a_port_that_cannot_search_with_the_card()
    {
        var vitale = CndaPlan.Cases.Where(c => c.Kind == ConformanceCaseKind.VitaleSearch).ToList();

        var product = await new ConformanceRunner(sandbox.Target(), SandboxFixture.ProductPort).RunAsync(vitale, cancellationToken: TestContext.Current.CancellationToken);
        var without = await new ConformanceRunner(sandbox.Target(), o => new SingleCallPort(o)).RunAsync(vitale, cancellationToken: TestContext.Current.CancellationToken);

        vitale.Should().HaveCount(2);
        product.Results.Should().OnlyContain(r => r.Verdict == ConformanceVerdict.Passed);
        product.Results.SelectMany(r => r.Checks).Should().Contain(k => k.Name == "Statut de l'identité" && k.Actual == "RECUP", "the identity found with the card is RECUP, never more");
        product.Results.SelectMany(r => r.Exchanges).Should().OnlyContain(x => x.CertificateCn == "INSI-MANU");
        without.Results.Should().OnlyContain(r => r.Verdict == ConformanceVerdict.Failed, "the port of this product has no card search: the use case answers not-supported");
    }

    [Fact]
    public async Task A_missing_cnda_file_fails_the_cases_that_inject_it_and_names_the_file()
    {
        var empty = Directory.CreateTempSubdirectory("santegw-cnda-empty-").FullName;
        try
        {
            var run = await new ConformanceRunner(sandbox.Target(empty), SandboxFixture.ProductPort).RunAsync(CndaPlan.Cases.Where(c => c.Id is "2.05" or "2.03-cas2"), cancellationToken: TestContext.Current.CancellationToken);

            run.Results.Single(r => r.Case.Id == "2.05").Verdict.Should().Be(ConformanceVerdict.Failed);
            run.Results.Single(r => r.Case.Id == "2.05").Note.Should().Contain("TEST_2.05.xml");
            run.Results.Single(r => r.Case.Id == "2.03-cas2").Verdict.Should().Be(ConformanceVerdict.Passed);
        }
        finally
        {
            Directory.Delete(empty);
        }
    }

    [Fact]
    public async Task On_a_target_other_than_the_sandbox_sandbox_only_cases_are_not_run_and_the_wrong_cn_test_needs_its_certificate()
    {
        var t = sandbox.Target();
        var other = new ConformanceTarget
        {
            Endpoint = t.Endpoint, IsSandbox = false, Idam = t.Idam, CndaFilesDirectory = t.CndaFilesDirectory,
            AutomaticCertificatePath = t.AutomaticCertificatePath, AutomaticCertificatePassword = t.AutomaticCertificatePassword,
            ManualCertificatePath = t.ManualCertificatePath, ManualCertificatePassword = t.ManualCertificatePassword,
        };
        foreach (var ca in t.TrustedCaPaths)
        {
            other.TrustedCaPaths.Add(ca);
        }

        var run = await new ConformanceRunner(other, SandboxFixture.ProductPort).RunAsync(CndaPlan.Cases.Where(c => c.Id is "1.xx-vitale-beneficiaire" or "certificat-cn" or "2.03-cas1"), cancellationToken: TestContext.Current.CancellationToken);

        run.Results.Select(r => (r.Case.Id, r.Verdict)).Should().Equal(("2.03-cas1", ConformanceVerdict.Passed), ("1.xx-vitale-beneficiaire", ConformanceVerdict.NotRun), ("certificat-cn", ConformanceVerdict.NotRun));
        run.Results[0].Checks.Should().Contain(k => k.Name == "INS actif présent, clé valide" && k.Passed, "an INS invented by the sandbox is not compared on another target");
    }

    /// <summary>A broken product: one INSi call with every first name, no strategy (what the plan must catch).</summary>
    private sealed class SingleCallPort(InsiClientOptions options) : IInsiPort, IDisposable
    {
        private readonly Sink sink = new();
        private InsiClient? client;

        public async Task<InsiPortResult> SearchAsync(InsiSearchRequest request, CancellationToken cancellationToken)
        {
            client ??= InsiClient.Create(options, sink);
            var t = request.Traits;
            var query = new InsiTraitsQuery(t.BirthName, t.BirthFirstNames, t.Sex, t.BirthDate.ToDeclared(), t.BirthPlaceCog);
            try
            {
                var r = await client.SearchByTraitsAsync(query, InsiCallContext.Manual, cancellationToken);
                var outcome = r.Code switch { "00" => InsiCallOutcome.Found, "01" => InsiCallOutcome.NotFound, "02" => InsiCallOutcome.Multiple, _ => InsiCallOutcome.Error };
                InsiReturnedIdentity? identity = r.Individual is { } i
                    ? new(Ins(i.Active), i.History.Select(Ins).ToList(), i.Traits.BirthName, i.Traits.FirstNames, i.Traits.Sex, i.Traits.BirthDate, i.Traits.BirthPlace)
                    : null;
                return new(outcome, r.Code, identity, null, [new(query.FirstNamesJoined, query.BirthPlace is not null, r.Code, null)], sink.Take(), null, []);
            }
            catch (InsiFaultException ex)
            {
                return new(InsiCallOutcome.Error, "fault " + ex.Fault, null, null, [], sink.Take(), ex.Message, []);
            }
        }

        public Task<InsiPortResult> VerifyAsync(InsiVerifyRequest request, CancellationToken cancellationToken) => throw new NotSupportedException();

        public void Dispose() => client?.Dispose();

        private static InsiReturnedIns Ins(InsiIns i) => new(i.Raw, i.Oid, i.From, i.To, i.IsTrusted);

        private sealed class Sink : IInsiTraceSink
        {
            private readonly List<InsiRawExchange> traces = [];

            public IReadOnlyList<InsiRawExchange> Take()
            {
                var copy = traces.ToList();
                traces.Clear();
                return copy;
            }

            public ValueTask WriteAsync(InsiTrace trace, CancellationToken cancellationToken)
            {
                traces.Add(new(Encoding.UTF8.GetString(trace.RequestXml.Span), trace.ResponseXml is { } b ? Encoding.UTF8.GetString(b.Span) : null, trace.CertificateCn, trace.Duration, trace.Outcome));
                return ValueTask.CompletedTask;
            }
        }
    }
}
