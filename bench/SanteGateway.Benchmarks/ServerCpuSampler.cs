using System.Diagnostics;
using System.Globalization;

namespace SanteGateway.Benchmarks;

/// <summary>
/// Samples, every 100 ms, the CPU time of the PostgreSQL processes serving one database on this machine (/proc): its
/// backends and the parallel workers they start (an index build's workers live a few seconds; a single reading at the
/// end misses them). <see cref="Between"/> then gives the CPU spent in a window of the run (a step of the import).
/// </summary>
internal sealed class ServerCpuSampler : IDisposable
{
    private readonly string database;
    private readonly Dictionary<int, (long First, long Last)> processes = [];

    // Processes that are not PostgreSQL's, read once: every 100 ms the sampler otherwise opened the command line of every
    // process on the machine, and that work (several percent of the bench's samples under load) counted as the importer's
    // client CPU. A pid is reused only after the kernel's counter wraps; a freshly forked backend that has not set its
    // title yet still shows the postmaster's command line, which names postgres, so it is not cached.
    private readonly HashSet<int> others = [];
    private readonly List<(TimeSpan At, long Ticks)> series = [];
    private readonly Stopwatch watch = Stopwatch.StartNew();
    private readonly CancellationTokenSource stop = new();
    private readonly Thread thread;
    private bool first = true;

    public ServerCpuSampler(string database)
    {
        this.database = database;
        Sample();
        thread = new Thread(() =>
        {
            while (!stop.Token.WaitHandle.WaitOne(100))
            {
                Sample();
            }
        }) { IsBackground = true, Name = "server-cpu" };
        thread.Start();
    }

    /// <summary>CPU of the database's server processes between two moments since the sampler started.</summary>
    public TimeSpan Between(TimeSpan from, TimeSpan to)
    {
        lock (series)
        {
            long At(TimeSpan t)
            {
                var best = series[0].Ticks;
                foreach (var (at, ticks) in series)
                {
                    if (at <= t)
                    {
                        best = ticks;
                    }
                }

                return best;
            }

            return TimeSpan.FromSeconds((At(to) - At(from)) / 100.0);
        }
    }

    /// <summary>Time since the sampler started.</summary>
    public TimeSpan Elapsed => watch.Elapsed;

    public void Dispose()
    {
        // The bench disposes it once the import ends and again when leaving its scope.
        if (stop.IsCancellationRequested)
        {
            return;
        }

        stop.Cancel();
        thread.Join();
        Sample();
        stop.Dispose();
    }

    /// <summary>
    /// CPU ticks so far (1/100 s, user + system) of the processes serving <paramref name="database"/> on this machine, by pid:
    /// its backends and the parallel workers they started. Empty when the server runs elsewhere.
    /// </summary>
    public static Dictionary<int, long> Snapshot(string database) => Walk(database, null);

    /// <summary>CPU between two <see cref="Snapshot"/>s: a process that appeared in between counts from its start.</summary>
    public static TimeSpan Spent(Dictionary<int, long> before, Dictionary<int, long> after) =>
        TimeSpan.FromSeconds(after.Sum(a => a.Value - before.GetValueOrDefault(a.Key)) / 100.0);

    private void Sample()
    {
        foreach (var (pid, ticks) in Walk(database, others))
        {
            Record(pid, ticks);
        }

        first = false;
        lock (series)
        {
            series.Add((watch.Elapsed, processes.Values.Sum(p => p.Last - p.First)));
        }
    }

    /// <summary>One walk of /proc (see <see cref="Snapshot"/>); pids found not to be PostgreSQL's are added to <paramref name="others"/> and skipped later.</summary>
    private static Dictionary<int, long> Walk(string database, HashSet<int>? others)
    {
        var found = new Dictionary<int, long>();
        var workers = new List<(int Pid, int Leader, long Ticks)>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || others?.Contains(pid) == true)
            {
                continue;
            }

            try
            {
                var cmdline = File.ReadAllText(Path.Combine(dir, "cmdline"));
                if (!cmdline.StartsWith("postgres: ", StringComparison.Ordinal))
                {
                    if (!cmdline.Contains("postgres", StringComparison.Ordinal))
                    {
                        others?.Add(pid);
                    }

                    continue;
                }

                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
                const string worker = "parallel worker for PID ";
                var w = cmdline.IndexOf(worker, StringComparison.Ordinal);
                if (w >= 0)
                {
                    workers.Add((pid, int.Parse(cmdline[(w + worker.Length)..].TrimEnd('\0', ' '), CultureInfo.InvariantCulture), ticks));
                }
                else if (cmdline.Contains(" " + database + " ", StringComparison.Ordinal))
                {
                    found[pid] = ticks;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
            {
                // The process ended meanwhile.
            }
        }

        foreach (var (pid, leader, ticks) in workers)
        {
            if (found.ContainsKey(leader))
            {
                found[pid] = ticks;
            }
        }

        return found;
    }

    private void Record(int pid, long ticks)
    {
        // A process already running when sampling began counts from that reading; a later one from its start.
        processes[pid] = processes.TryGetValue(pid, out var p) ? (p.First, ticks) : (first ? ticks : 0, ticks);
    }
}
