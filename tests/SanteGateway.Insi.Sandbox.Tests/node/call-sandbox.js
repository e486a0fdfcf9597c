// Calls the INSi sandbox with node-soap, a SOAP stack independent of SanteGateway, built from the official WSDL.
// Usage: node call-sandbox.js <contractDir> <endpoint> <pfx> <passphrase> <ca.pem> <idam> <birthName> <firstName> <sex> <birthDate>
// Prints one JSON line: {"ok":true,"result":{...}} or {"ok":false,"status":N,"body":"..."}.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const crypto = require('crypto');
const soap = require('soap');

async function main() {
  const [contractDir, endpoint, pfx, passphrase, ca, idam, birthName, firstName, sex, birthDate] = process.argv.slice(2);

  // The official WSDL imports the W3C WS-Addressing schema over http (no network here): use a copy of the contract
  // whose only change is that import pointing to a minimal local schema declaring the two elements used.
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'insi-contract-'));
  fs.cpSync(contractDir, work, { recursive: true });
  const wsdlPath = path.join(work, 'DESIR_ICIR_EXP_1.5.0.wsdl');
  const wsdl = fs.readFileSync(wsdlPath, 'utf8');
  const remote = 'http://www.w3.org/2006/03/addressing/ws-addr.xsd';
  if (!wsdl.includes(remote)) throw new Error('unexpected WSDL: ws-addr import not found');
  fs.writeFileSync(wsdlPath, wsdl.replace(remote, 'ws-addr-local.xsd'));
  fs.writeFileSync(path.join(work, 'ws-addr-local.xsd'),
    '<?xml version="1.0"?><xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="http://www.w3.org/2005/08/addressing" elementFormDefault="qualified">' +
    '<xs:element name="MessageID" type="xs:string"/><xs:element name="Action" type="xs:string"/></xs:schema>');

  const client = await soap.createClientAsync(wsdlPath, { forceSoap12Headers: true, endpoint });
  client.setSecurity(new soap.ClientSSLSecurityPFX(fs.readFileSync(pfx), passphrase, { ca: fs.readFileSync(ca) }));

  const now = new Date().toISOString();
  const id = crypto.randomUUID();
  client.addSoapHeader(`<ctxbam:ContexteBAM xmlns:ctxbam="urn:siram:bam:ctxbam" Version="01_02"><ctxbam:Id>${id}</ctxbam:Id><ctxbam:Temps>${now}</ctxbam:Temps><ctxbam:Emetteur>10B0000001</ctxbam:Emetteur><ctxbam:COUVERTURE/></ctxbam:ContexteBAM>`);
  client.addSoapHeader(`<ctxlps:ContexteLPS xmlns:ctxlps="urn:siram:lps:ctxlps" Nature="CTXLPS" Version="01_00"><ctxlps:Id>${id}</ctxlps:Id><ctxlps:Temps>${now}</ctxlps:Temps><ctxlps:Emetteur>10B0000001</ctxlps:Emetteur><ctxlps:LPS><ctxlps:IDAM R="4">${idam}</ctxlps:IDAM><ctxlps:Version>1.0.0</ctxlps:Version><ctxlps:Instance>${id}</ctxlps:Instance><ctxlps:Nom>urn:lps:node-soap-check:1.0.0</ctxlps:Nom></ctxlps:LPS></ctxlps:ContexteLPS>`);
  client.addSoapHeader('<wsa:Action xmlns:wsa="http://www.w3.org/2005/08/addressing">urn:ServiceIdentiteCertifiee:1.0.0:rechercherInsAvecTraitsIdentite</wsa:Action>');
  client.addSoapHeader(`<wsa:MessageID xmlns:wsa="http://www.w3.org/2005/08/addressing">uuid:${crypto.randomUUID()}</wsa:MessageID>`);

  try {
    const [result] = await client.rechercherInsAvecTraitsIdentiteAsync({
      NomNaissance: birthName, Prenom: firstName, Sexe: sex, DateNaissance: birthDate,
    });
    console.log(JSON.stringify({ ok: true, result }));
  } catch (err) {
    const response = err.response || {};
    console.log(JSON.stringify({ ok: false, status: response.status, body: err.body || String(err) }));
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err) => { console.error(err && err.stack || String(err)); process.exit(3); });
