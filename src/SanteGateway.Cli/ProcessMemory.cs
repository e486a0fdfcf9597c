using System.Runtime.InteropServices;

namespace SanteGateway.Cli;

/// <summary>
/// Keeps a long local run (<c>santegw batch</c> on a data folder) inside a memory budget. Its live managed data is small
/// (≈ 10 MB: chunks of items in flight) but the Server GC with dynamic adaptation commits six times that, and glibc
/// gives each busy thread its own malloc arena, each keeping its own freed memory (docs/performance.md, "Batch memory").
/// These settings are process-wide, so only commands that own their process for a long run take them — never
/// <c>serve</c>, whose intake wants the GC's room; the heap limit only when the operator sets it (a tight one ran out on
/// a loaded machine).
/// </summary>
internal static class ProcessMemory
{
    /// <summary>
    /// Whether <c>santegw</c> owns this process: these settings are process-wide, so a host that merely calls the CLI's
    /// entry point (the tests do) keeps its own.
    /// </summary>
    public static bool OwnsProcess => System.Reflection.Assembly.GetEntryAssembly() == typeof(ProcessMemory).Assembly;

    // glibc's mallopt parameter M_ARENA_MAX (malloc.h).
    private const int MallocArenaMax = -8;

    /// <summary>
    /// Caps glibc's malloc arenas (native allocations: OpenSSL, SQLite, ICU, the runtime's own). glibc fixes its arena
    /// limit once the process holds more than eight arenas — on 2 cores that is 16, each busy thread taking its own — so
    /// this only bites when called first thing in <c>Main</c>, before the thread pool has grown: later it changes nothing
    /// (a local batch run held 16 arenas with the call made after start-up). A no-op where there is no glibc.
    /// </summary>
    /// <param name="arenas">Arenas at most (2 is what .NET's own container guidance suggests); those already made stay.</param>
    /// <returns>Whether the C library took the setting.</returns>
    public static bool CapMallocArenas(int arenas)
    {
        return arenas > 0 && OnGlibc(() => MallOpt(MallocArenaMax, arenas));
    }

    /// <summary>
    /// Sets a hard limit on the managed heap of this process from now on (<c>GCHeapHardLimit</c>, refreshed at run time).
    /// The heap is first collected and compacted so that what is committed fits under the limit; if it still does not,
    /// the limit is not set and the run goes on without it.
    /// </summary>
    /// <param name="megabytes">Limit in MB; 0 or less leaves the heap unbounded.</param>
    /// <returns>The limit the GC now works under, in bytes, or null when none was set.</returns>
    public static long? LimitManagedHeap(int megabytes)
    {
        if (megabytes <= 0 || !OwnsProcess)
        {
            return null;
        }

        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        AppContext.SetData("GCHeapHardLimit", (ulong)megabytes * 1024 * 1024);
        try
        {
            GC.RefreshMemoryLimit();
        }
        catch (InvalidOperationException)
        {
            // Already more committed than the limit (the refresh then changes nothing): run without one.
            AppContext.SetData("GCHeapHardLimit", null);
            return null;
        }

        // What the GC reports is as of its last collection.
        GC.Collect(0, GCCollectionMode.Forced, blocking: true);
        return GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
    }

    /// <summary>
    /// Hands glibc's free native memory back to the system (<c>malloc_trim</c>): pages wholly free inside every arena, not
    /// only at an arena's top. A long batch run frees what OpenSSL and SQLite allocate for each exchange and chunk, and
    /// glibc keeps it: ≈ 25 MB of 53 MB held by malloc was free 100 s into a 300 000-item run. Costs a walk of the free
    /// lists and arenas under their locks, so a run calls it every few seconds, not per item.
    /// </summary>
    /// <returns>Whether memory was returned (false also where there is no glibc or the process is not santegw's).</returns>
    public static bool TrimNativeHeap()
    {
        return OnGlibc(() => MallocTrim(0));
    }

    // Both calls return 1 when the C library did what was asked. Only for santegw's own process on Linux; a C library
    // without them is no error.
    private static bool OnGlibc(Func<int> call)
    {
        if (!OperatingSystem.IsLinux() || !OwnsProcess)
        {
            return false;
        }

        try
        {
            return call() == 1;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    // DllImport, not LibraryImport: plain integers need no marshalling code, and the project stays free of unsafe code.
#pragma warning disable SYSLIB1054
    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int MallOpt(int param, int value);

    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(nuint pad);
#pragma warning restore SYSLIB1054
}
