// Independent MLLP client (node-hl7-client): sends one ER7 file to HOST:PORT, prints the ACK as one JSON line.
import fs from 'node:fs';
import { Client, Message } from 'node-hl7-client';

const [host, port, file] = process.argv.slice(2);
const text = fs.readFileSync(file, 'utf8').replace(/\r?\n/g, '\r').replace(/\r+$/, '');
const client = new Client({ host, connectionTimeout: 5000 });
const timer = setTimeout(() => { console.log(JSON.stringify({ ok: false, error: 'timeout' })); process.exit(3); }, 20000);
const connection = client.createConnection({ port: Number(port), waitAck: true, maxAttempts: 3, maxConnectionAttempts: 3 }, async (res) => {
  const ack = res.getMessage();
  console.log(JSON.stringify({ ok: true, msa1: ack.get('MSA.1').toString(), msa2: ack.get('MSA.2').toString(), err5: ack.get('ERR.5.1').toString() }));
  clearTimeout(timer);
  await connection.close();
  process.exit(0);
});
await connection.sendMessage(new Message({ text }));
