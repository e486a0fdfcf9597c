namespace SanteGateway.Documents.Xds;

/// <summary>XML namespaces of XDS.b (ebRIM 3.0, IHE ITI TF-3) and of the SOAP stack.</summary>
public static class XdsNamespaces
{
    /// <summary>SOAP 1.2 envelope.</summary>
    public const string Soap12 = "http://www.w3.org/2003/05/soap-envelope";

    /// <summary>WS-Addressing 1.0.</summary>
    public const string Addressing = "http://www.w3.org/2005/08/addressing";

    /// <summary>WS-Security 1.0.</summary>
    public const string WsSecurity = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";

    /// <summary>SAML 2.0 assertion.</summary>
    public const string Saml2 = "urn:oasis:names:tc:SAML:2.0:assertion";

    /// <summary>XML signature.</summary>
    public const string XmlDsig = "http://www.w3.org/2000/09/xmldsig#";

    /// <summary>ebRIM 3.0.</summary>
    public const string Rim = "urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0";

    /// <summary>ebXML registry life-cycle manager.</summary>
    public const string Lcm = "urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0";

    /// <summary>ebXML registry services (RegistryResponse).</summary>
    public const string Rs = "urn:oasis:names:tc:ebxml-regrep:xsd:rs:3.0";

    /// <summary>ebXML registry query.</summary>
    public const string Query = "urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0";

    /// <summary>IHE XDS.b.</summary>
    public const string XdsB = "urn:ihe:iti:xds-b:2007";

    /// <summary>XOP include.</summary>
    public const string Xop = "http://www.w3.org/2004/08/xop/include";

    /// <summary>HL7 v3 (VIHF role codes).</summary>
    public const string Hl7 = "urn:hl7-org:v3";

    /// <summary>XML Schema instance.</summary>
    public const string Xsi = "http://www.w3.org/2001/XMLSchema-instance";

    /// <summary>
    /// Namespace of the DMP status request (TD0.2 equivalent) of this library: the DMPi guide that defines the real one is
    /// not public (UNCONFIRMED, docs/conformance.md).
    /// </summary>
    public const string DmpStatus = "urn:santegateway:dmp:td0.2";
}

/// <summary>SOAP actions (<c>wsa:Action</c>) of the transactions.</summary>
public static class XdsActions
{
    /// <summary>ITI-41.</summary>
    public const string ProvideAndRegister = "urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b";

    /// <summary>ITI-41 response.</summary>
    public const string ProvideAndRegisterResponse = ProvideAndRegister + "Response";

    /// <summary>ITI-18.</summary>
    public const string RegistryStoredQuery = "urn:ihe:iti:2007:RegistryStoredQuery";

    /// <summary>ITI-18 response.</summary>
    public const string RegistryStoredQueryResponse = RegistryStoredQuery + "Response";

    /// <summary>ITI-43.</summary>
    public const string RetrieveDocumentSet = "urn:ihe:iti:2007:RetrieveDocumentSet";

    /// <summary>ITI-43 response.</summary>
    public const string RetrieveDocumentSetResponse = RetrieveDocumentSet + "Response";

    /// <summary>Default action of the DMP status request (UNCONFIRMED: configurable).</summary>
    public const string DmpStatus = "urn:santegateway:dmp:td0.2:consulterStatut";
}

/// <summary>The fixed UUIDs of the XDS metadata model (IHE ITI TF-3 4.2.5).</summary>
public static class XdsUuids
{
    /// <summary>Stable document entry object type.</summary>
    public const string StableDocumentEntry = "urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1";

    /// <summary>Submission set classification node.</summary>
    public const string SubmissionSetNode = "urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd";

    /// <summary>DocumentEntry.author.</summary>
    public const string DocumentEntryAuthor = "urn:uuid:93606bcf-9494-43ec-9b4e-a7748d1a838d";

    /// <summary>DocumentEntry.classCode.</summary>
    public const string ClassCode = "urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a";

    /// <summary>DocumentEntry.confidentialityCode.</summary>
    public const string ConfidentialityCode = "urn:uuid:f4f85eac-e6cb-4883-b524-f2705394840f";

    /// <summary>DocumentEntry.formatCode.</summary>
    public const string FormatCode = "urn:uuid:a09d5840-386c-46f2-b5ad-9c3699a4309d";

    /// <summary>DocumentEntry.healthcareFacilityTypeCode.</summary>
    public const string HealthcareFacilityTypeCode = "urn:uuid:f33fb8ac-18af-42cc-ae0e-ed0b0bdb91e1";

    /// <summary>DocumentEntry.practiceSettingCode.</summary>
    public const string PracticeSettingCode = "urn:uuid:cccf5598-8b07-4b77-a05e-ae952c785ead";

    /// <summary>DocumentEntry.typeCode.</summary>
    public const string TypeCode = "urn:uuid:f0306f51-975f-434e-a61c-c59651d33983";

    /// <summary>DocumentEntry.patientId.</summary>
    public const string DocumentEntryPatientId = "urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427";

    /// <summary>DocumentEntry.uniqueId.</summary>
    public const string DocumentEntryUniqueId = "urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab";

    /// <summary>SubmissionSet.author.</summary>
    public const string SubmissionSetAuthor = "urn:uuid:a7058bb9-b4e4-4307-ba5b-e3f0ab85e12d";

    /// <summary>SubmissionSet.contentTypeCode.</summary>
    public const string ContentTypeCode = "urn:uuid:aa543740-bdda-424e-8c96-df4873be8500";

    /// <summary>SubmissionSet.patientId.</summary>
    public const string SubmissionSetPatientId = "urn:uuid:6b5aea1a-874d-4603-a4bc-96a0a7b38446";

    /// <summary>SubmissionSet.sourceId.</summary>
    public const string SubmissionSetSourceId = "urn:uuid:554ac39e-e3fe-47fe-b233-965d2a147832";

    /// <summary>SubmissionSet.uniqueId.</summary>
    public const string SubmissionSetUniqueId = "urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8";

    /// <summary>FindDocuments stored query.</summary>
    public const string FindDocuments = "urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d";

    /// <summary>GetDocuments stored query.</summary>
    public const string GetDocuments = "urn:uuid:5c4f972b-d56b-40ac-a5fc-c8ca9b40b9d4";

    /// <summary>HasMember association.</summary>
    public const string HasMember = "urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember";

    /// <summary>Replace association.</summary>
    public const string Replace = "urn:ihe:iti:2007:AssociationType:RPLC";

    /// <summary>Approved status.</summary>
    public const string Approved = "urn:oasis:names:tc:ebxml-regrep:StatusType:Approved";

    /// <summary>Deprecated status (replaced documents).</summary>
    public const string Deprecated = "urn:oasis:names:tc:ebxml-regrep:StatusType:Deprecated";

    /// <summary>Success response status.</summary>
    public const string Success = "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success";

    /// <summary>Failure response status.</summary>
    public const string Failure = "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Failure";

    /// <summary>PartialSuccess response status.</summary>
    public const string PartialSuccess = "urn:ihe:iti:2007:ResponseStatusType:PartialSuccess";

    /// <summary>Error severity.</summary>
    public const string SeverityError = "urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Error";
}
