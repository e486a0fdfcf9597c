namespace SanteGateway.Insi;

/// <summary>XML namespaces of the INSi contract (WSDL DESIR_ICIR_EXP 1.5.0). Prefixes on the wire are free.</summary>
public static class InsiNamespaces
{
    /// <summary>SOAP 1.2 envelope.</summary>
    public const string Soap12 = "http://www.w3.org/2003/05/soap-envelope";

    /// <summary>WS-Addressing 1.0.</summary>
    public const string Addressing = "http://www.w3.org/2005/08/addressing";

    /// <summary>WS-Security 1.0 extension.</summary>
    public const string WsSecurity = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";

    /// <summary>SAML 2.0 assertion.</summary>
    public const string Saml2 = "urn:oasis:names:tc:SAML:2.0:assertion";

    /// <summary>XML digital signature.</summary>
    public const string XmlDsig = "http://www.w3.org/2000/09/xmldsig#";

    /// <summary>ContexteBAM header block.</summary>
    public const string ContexteBam = "urn:siram:bam:ctxbam";

    /// <summary>ContexteLPS header block.</summary>
    public const string ContexteLps = "urn:siram:lps:ctxlps";

    /// <summary>Fault detail (<c>siram:Erreur</c>).</summary>
    public const string Siram = "urn:siram";

    /// <summary>Search by identity traits request body (<c>RECSANSVITALE</c>).</summary>
    public const string RecSans = "http://www.cnamts.fr/INSiRecSans";

    /// <summary>Search with Vitale card request body (<c>RECVITALE</c>).</summary>
    public const string RecVit = "http://www.cnamts.fr/INSiRecVit";

    /// <summary>Response body (<c>RESULTAT</c>).</summary>
    public const string Resultat = "http://www.cnamts.fr/INSiResultat";
}

/// <summary>SOAP actions (<c>wsa:Action</c> and the <c>action</c> Content-Type parameter) of the INSi operations.</summary>
public static class InsiActions
{
    /// <summary>Search without Vitale card, by identity traits (RECSANSVITALE).</summary>
    public const string SearchByTraits = "urn:ServiceIdentiteCertifiee:1.0.0:rechercherInsAvecTraitsIdentite";

    /// <summary>Search with the Vitale card data (RECVITALE).</summary>
    public const string SearchWithVitale = "urn:ServiceIdentiteCertifiee:1.0.0:rechercherInsAvecCarteVitale";

    /// <summary>Response action of <see cref="SearchByTraits"/>.</summary>
    public const string SearchByTraitsResponse = SearchByTraits + "Response";

    /// <summary>Response action of <see cref="SearchWithVitale"/>.</summary>
    public const string SearchWithVitaleResponse = SearchWithVitale + "Response";
}
