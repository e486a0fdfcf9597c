namespace SanteGateway.Insi;

/// <summary>A signed PS SAML assertion ready to be inserted in <c>wsse:Security</c>.</summary>
/// <param name="Xml">Serialized <c>saml:Assertion</c> element (inserted verbatim).</param>
/// <param name="NameId">PS identifier (Subject/NameID), used as <c>Emetteur</c>.</param>
/// <param name="IssueInstant">Issue time.</param>
/// <param name="ExpiresAt">Time after which the provider regenerates it.</param>
public sealed record PsAssertion(string Xml, string NameId, DateTimeOffset IssueInstant, DateTimeOffset ExpiresAt);

/// <summary>Source of PS assertions for CPx mode (card via PKCS#11, or a local agent).</summary>
public interface IPsAssertionProvider
{
    /// <summary>Returns a valid assertion, regenerating it when the cached one is about to expire.</summary>
    ValueTask<PsAssertion> GetAssertionAsync(CancellationToken cancellationToken);
}
