using System.CommandLine;

namespace SanteGateway.Cli;

/// <summary>
/// One top-level area of the <c>santegw</c> command (<c>ins</c>, <c>insi</c>, <c>pki</c>, ...).
/// Modules are discovered by reflection so that each area lives in its own file.
/// </summary>
public interface ICommandModule
{
    /// <summary>Builds the area's command tree.</summary>
    Command Create();
}
