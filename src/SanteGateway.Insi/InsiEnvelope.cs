namespace SanteGateway.Insi;

/// <summary>Identification of the calling software, sent in <c>ContexteLPS/LPS</c>.</summary>
/// <param name="Idam">CNDA authorisation number (<c>IDAM R="4"</c>).</param>
/// <param name="Name">Software name; sent as <c>urn:lps:&lt;name&gt;:&lt;version&gt;</c>.</param>
/// <param name="Version">Software version.</param>
/// <param name="Instance">Installation id: a UUID generated once per installation and kept stable.</param>
public sealed record InsiSoftware(string Idam, string Name, string Version, string Instance)
{
    /// <summary>The <c>LPS/Nom</c> value: <c>urn:lps:&lt;name&gt;:&lt;version&gt;</c>.</summary>
    public string Urn => $"urn:lps:{Name}:{Version}";
}

/// <summary>Per-request header values (fresh ids and time for every exchange).</summary>
/// <param name="Software">Calling software.</param>
/// <param name="Emitter"><c>Emetteur</c>: OU of the software certificate (mTLS) or PS id (CPx); omitted when null.</param>
/// <param name="MessageId">Value of <c>wsa:MessageID</c> without the <c>uuid:</c> prefix.</param>
/// <param name="ContextId"><c>Id</c> of both context blocks.</param>
/// <param name="Time"><c>Temps</c> of both context blocks (written in UTC with milliseconds).</param>
/// <param name="SecurityXml">Serialized <c>saml:Assertion</c> element(s) for <c>wsse:Security</c> (CPx mode); null in mTLS mode.</param>
public sealed record InsiEnvelope(InsiSoftware Software, string? Emitter, Guid MessageId, Guid ContextId, DateTimeOffset Time, string? SecurityXml = null)
{
    /// <summary>Creates an envelope with fresh ids and the current time.</summary>
    public static InsiEnvelope Create(InsiSoftware software, string? emitter, TimeProvider? time = null, string? securityXml = null) =>
        new(software, emitter, Guid.NewGuid(), Guid.NewGuid(), (time ?? TimeProvider.System).GetUtcNow(), securityXml);

    /// <summary>The <c>wsa:MessageID</c> value: <c>uuid:</c> + the UUID.</summary>
    public string MessageIdValue => "uuid:" + MessageId.ToString("D");
}
