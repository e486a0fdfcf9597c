// Independent MLLP server (node-hl7-server): listens on 127.0.0.1:PORT, prints each received message as a JSON line, answers AA.
import { Server } from 'node-hl7-server';

const port = Number(process.argv[2]);
const server = new Server({ bindAddress: '127.0.0.1' });
const inbound = server.createInbound({ port }, async (req, res) => {
  const message = req.getMessage();
  console.log(JSON.stringify({
    received: true,
    controlId: message.get('MSH.10').toString(),
    trigger: message.get('MSH.9.2').toString(),
    pid: message.toString().split(/\r|\n/).find((s) => s.startsWith('PID|')),
    pid32: message.get('PID.32').toString(),
  }));
  await res.sendResponse('AA');
});
inbound.on('listen', () => console.log(JSON.stringify({ ready: true })));
process.stdin.on('end', async () => { await inbound.close(); process.exit(0); });
process.stdin.resume();
