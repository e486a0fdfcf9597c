namespace SanteGateway.Insi;

/// <summary>
/// A response file handed over by the approval centre (CNDA) for a conformance test, processed in place of the service's
/// answer ("injection"): the request is still sent, then the client reads the injected bytes as if INSi had answered them.
/// </summary>
/// <param name="Name">File name (for traces and reports), e.g. <c>TEST_2.05.xml</c>.</param>
/// <param name="Body">The bytes exactly as the approval centre gives them.</param>
public sealed record InsiInjectedResponse(string Name, ReadOnlyMemory<byte> Body);

/// <summary>
/// Decides, for each traits search the client sends, whether a CNDA response file replaces the answer
/// (<see cref="InsiClientOptions.ResponseInjector"/>). Refused against a production endpoint.
/// </summary>
public interface IInsiResponseInjector
{
    /// <summary>The file to process instead of the service's answer to <paramref name="query"/>, or null to keep the answer.</summary>
    /// <param name="query">The traits as sent in this call (one attempt of the first-name strategy).</param>
    /// <returns>The injected response, or null.</returns>
    InsiInjectedResponse? Find(InsiTraitsQuery query);
}
