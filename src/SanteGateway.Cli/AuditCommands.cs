using System.CommandLine;
using SanteGateway.Store;
using SanteGateway.Store.Audit;

namespace SanteGateway.Cli;

/// <summary>
/// <c>santegw audit verify</c>: checks the audit hash chain, its signed checkpoints outside the database
/// (<c>Gateway:Audit</c>, or <c>--checkpoints</c>/<c>--key</c>) and the identity rows against their audit events.
/// </summary>
internal sealed class AuditCommands : ICommandModule
{
    public Command Create()
    {
        var audit = new Command("audit", "The gateway's append-only audit trail.");
        var verify = new Command("verify", "Verify the audit chain, its external checkpoints and the identity rows; exit 0 when intact, 1 naming each problem.");
        var db = DbCommands.DatabaseOptions.AddTo(verify);
        var checkpoints = new Option<string>("--checkpoints") { Description = "Checkpoint file (default Gateway:Audit:CheckpointPath, else DATA/audit-checkpoints/checkpoints.jsonl)." };
        var key = new Option<string>("--key") { Description = "Verification key: the signing key or its public key PEM (default Gateway:Audit:SigningKeyPath)." };
        var grace = new Option<TimeSpan?>("--uncovered-grace") { Description = "Events older than this must be covered by a checkpoint (default 2 x Gateway:Audit:Interval + 1 min)." };
        verify.Options.Add(checkpoints);
        verify.Options.Add(key);
        verify.Options.Add(grace);
        verify.SetAction(async (parse, ct) =>
        {
            var options = await db.ResolveExistingAsync(parse).ConfigureAwait(false);
            if (options is null)
            {
                return Program.UsageError;
            }

            var anchors = options.AuditCheckpoints ?? AuditCheckpointOptions.InDataFolder(options.DataDirectory);
            var checkpointPath = parse.GetValue(checkpoints) ?? anchors.CheckpointPath;
            var keyPath = parse.GetValue(key) ?? anchors.SigningKeyPath;
            var explicitCheckpoints = parse.GetValue(checkpoints) is not null;
            var useCheckpoints = explicitCheckpoints || File.Exists(checkpointPath) || File.Exists(keyPath);
            if (useCheckpoints && !File.Exists(keyPath))
            {
                await Console.Error.WriteLineAsync($"--key: no verification key at {keyPath}").ConfigureAwait(false);
                return Program.UsageError;
            }

            using var verificationKey = useCheckpoints ? AuditCheckpoints.LoadVerificationKey(keyPath) : null;
            await using var context = GatewayStore.CreateContext(options.Store);
            var report = await AuditVerifier.VerifyAsync(context, useCheckpoints ? checkpointPath : null, verificationKey,
                parse.GetValue(grace) ?? (anchors.Interval * 2) + TimeSpan.FromMinutes(1), DateTimeOffset.UtcNow, ct).ConfigureAwait(false);
            if (report.IsIntact)
            {
                Console.WriteLine($"audit chain intact: {report.Chain.EventCount} events, {report.CheckpointCount} signed checkpoints"
                    + (useCheckpoints ? "" : " (no checkpoint file: chain checked alone)") + $", {report.IdentitiesChecked} identity rows match their audit");
                return 0;
            }

            foreach (var f in report.Findings)
            {
                Console.WriteLine(f.Kind == "chain-broken" ? $"audit chain BROKEN {f.Detail}" : $"audit BROKEN: {f.Kind}: {f.Detail}");
            }

            return 1;
        });
        audit.Subcommands.Add(verify);
        return audit;
    }
}
