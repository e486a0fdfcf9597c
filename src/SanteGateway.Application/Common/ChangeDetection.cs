using Microsoft.EntityFrameworkCore.ChangeTracking;

namespace SanteGateway.Application;

/// <summary>
/// Automatic change detection paused while a group of rows is added or changed in one unit of work. Left on, every
/// <c>Local</c> lookup and every tracker query (the audit chain head, partner ids) scans every tracked row: O(n²) in the
/// group. The code that pauses it only adds, attaches or sets tracked rows, so one detection at the save finds it all.
/// </summary>
internal static class ChangeDetection
{
    /// <summary>Turns automatic detection off until the returned scope is disposed, then restores what it was.</summary>
    /// <param name="tracker">The unit of work's tracker.</param>
    /// <returns>The scope.</returns>
    public static DetectionPause PauseAutomaticDetection(this ChangeTracker tracker)
    {
        var was = tracker.AutoDetectChangesEnabled;
        tracker.AutoDetectChangesEnabled = false;
        return new DetectionPause(tracker, was);
    }
}

/// <summary>Restores automatic change detection when disposed (see <see cref="ChangeDetection.PauseAutomaticDetection"/>).</summary>
internal readonly struct DetectionPause(ChangeTracker tracker, bool was) : IDisposable
{
    /// <summary>Restores the setting found when the pause began.</summary>
    public void Dispose() => tracker.AutoDetectChangesEnabled = was;
}
