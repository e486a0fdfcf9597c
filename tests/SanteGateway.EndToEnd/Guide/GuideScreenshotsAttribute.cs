namespace SanteGateway.EndToEnd.Guide;

/// <summary>
/// The screenshots of the French guides (<c>docs/guide/images/NAME.png</c>) a test method produces. The declaration is
/// what the guide check reads (a guide may show only a declared name), and the test fails unless it took every name it
/// declares — so a guide never refers to a picture no test makes.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class GuideScreenshotsAttribute(params string[] names) : Attribute
{
    /// <summary>File names without <c>.png</c>.</summary>
    public IReadOnlyList<string> Names { get; } = names;
}
