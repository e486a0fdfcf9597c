namespace SanteGateway.Insi.Sandbox.Soap;

/// <summary>A SOAP 1.2 fault as INSi writes it: <c>Code/Value</c>, <c>Subcode/Value</c>, French <c>Reason</c> and a <c>siram:Erreur</c> detail.</summary>
/// <param name="Code"><c>Sender</c>, <c>Receiver</c>, <c>VersionMismatch</c> or <c>MustUnderstand</c> (SOAP 1.2 envelope namespace).</param>
/// <param name="Subcode"><c>siram_NNN</c>, written in the SOAP envelope namespace like the live service does; null for none.</param>
/// <param name="ErreurCode"><c>siram:Erreur/@code</c>.</param>
/// <param name="Severite"><c>siram:Erreur/@severite</c>: information, avertissement, erreur or fatale.</param>
/// <param name="Reason"><c>Reason/Text</c> (xml:lang fr).</param>
/// <param name="Detail">Text of <c>siram:Erreur</c>.</param>
/// <param name="HttpStatus">HTTP status of the response (500 like the live service, 415/413 for transport-level refusals).</param>
public sealed record SandboxFault(string Code, string? Subcode, string ErreurCode, string Severite, string Reason, string Detail, int HttpStatus = 500);

/// <summary>
/// The faults the sandbox can answer. Codes and texts of <see cref="UnknownIdam"/>, <see cref="TemporarilyUnavailable"/>,
/// <see cref="TechnicalError"/> and <see cref="InsufficientRights"/> are those recorded from the real service (insi.md §3.5);
/// the <c>sandbox_*</c> codes cover cases whose real answer was never recorded (malformed requests) and are sandbox choices.
/// </summary>
public static class SandboxFaults
{
    /// <summary>Reason text of the unavailability faults (siram_40).</summary>
    public const string UnavailableReason =
        "Le service est temporairement inaccessible. Veuillez renouveler votre demande ultérieurement. Si le problème persiste, contactez l'éditeur du progiciel ou votre responsable informatique.";

    /// <summary>Unknown <c>LPS/IDAM</c> (live, 2022 and 2026): Sender / siram_100 / desir_550.</summary>
    public static SandboxFault UnknownIdam { get; } = new(
        "Sender", "siram_100", "desir_550", "erreur",
        "L'accès par ce progiciel au service n'est pas autorisé. Contactez l'éditeur du progiciel ou votre responsable informatique.",
        "Numéro d'autorisation du logiciel inconnu.");

    /// <summary>Unknown person / unavailability, format since Oct 2023: Sender / siram_40 / desir_1020 / fatale.</summary>
    public static SandboxFault TemporarilyUnavailable { get; } = new(
        "Sender", "siram_40", "desir_1020", "fatale", UnavailableReason, "Le service appelé est temporairement indisponible");

    /// <summary>
    /// Unknown person, format 2022–Sept 2023: Receiver / siram_40 / insi_102. The live service wrote <c>severite="fatal"</c>,
    /// outside the XSD enumeration; the sandbox writes <c>fatale</c> so that every answer stays schema-valid.
    /// </summary>
    public static SandboxFault TechnicalError { get; } = new(
        "Receiver", "siram_40", "insi_102", "fatale", UnavailableReason,
        "L'appel au service de recherche avec les traits d'identité renvoie une erreur technique.");

    /// <summary>Client certificate CN other than INSI-AUTO / INSI-MANU (support quote): DESIR_560. Code/subcode are sandbox choices.</summary>
    public static SandboxFault InsufficientRights { get; } = new(
        "Sender", "siram_100", "DESIR_560", "erreur",
        "Vous ne disposez pas des droits suffisants pour accéder à ce service", "Niveau d'accès insuffisant");

    /// <summary>A request the sandbox cannot read (not XML, no Body, missing or malformed context header).</summary>
    public static SandboxFault InvalidMessage(string detail) => new(
        "Sender", "siram_10", "sandbox_message_invalide", "erreur", "La requête est mal formée.", detail);

    /// <summary>Traits outside the INSi lexical profile.</summary>
    public static SandboxFault InvalidTraits(string detail) => new(
        "Sender", "siram_10", "sandbox_traits_invalides", "erreur", "Les traits d'identité transmis ne respectent pas le format attendu.", detail);

    /// <summary>Unknown <c>wsa:Action</c> / body.</summary>
    public static SandboxFault UnknownAction(string detail) => new(
        "Sender", "siram_10", "sandbox_action_inconnue", "erreur", "L'opération demandée n'existe pas.", detail);

    /// <summary>CPx mode: missing or invalid PS assertion.</summary>
    public static SandboxFault InvalidAssertion(string detail) => new(
        "Sender", "siram_20", "sandbox_assertion_invalide", "erreur", "L'assertion d'authentification est absente ou invalide.", detail);

    /// <summary>CPx mode: expired PS assertion.</summary>
    public static SandboxFault ExpiredAssertion(string detail) => new(
        "Sender", "siram_20", "sandbox_assertion_expiree", "erreur", "L'assertion d'authentification a expiré.", detail);

    /// <summary>SOAP 1.1 envelope or non-SOAP-1.2 Content-Type (INSi is SOAP 1.2 only).</summary>
    public static SandboxFault VersionMismatch(string detail, int httpStatus) => new(
        "VersionMismatch", null, "sandbox_soap12_requis", "erreur", "Seul SOAP 1.2 (application/soap+xml) est accepté.", detail, httpStatus);

    /// <summary>A header marked mustUnderstand that the service does not know.</summary>
    public static SandboxFault MustUnderstand(string detail) => new(
        "MustUnderstand", null, "sandbox_entete_inconnu", "erreur", "Un en-tête obligatoire n'est pas compris.", detail);

    /// <summary>Unexpected failure inside the sandbox: a fixed text, never the exception's message or stack.</summary>
    public static SandboxFault InternalError { get; } = new(
        "Receiver", "siram_40", "sandbox_erreur_interne", "fatale", UnavailableReason, "Erreur interne du bac à sable.");

    /// <summary>Request body over the size limit.</summary>
    public static SandboxFault TooLarge(int limit) => new(
        "Sender", "siram_10", "sandbox_message_trop_grand", "erreur", "La requête est trop volumineuse.", $"Taille maximale : {limit} octets.", 413);
}
