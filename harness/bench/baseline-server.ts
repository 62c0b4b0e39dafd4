// Baselines for the gateway benchmark, as separate processes like the gateway itself:
//   node harness/bench/baseline-server.ts http PORT     bare node:http, answers 202
//   node harness/bench/baseline-server.ts express PORT  bare Express 5 JSON echo, answers 202
import { createServer } from 'node:http';
import express from 'express';
import { DEFAULT_WEBHOOK_ENDPOINT } from '../../app/gateway/config.ts';

const [kind, portArg] = process.argv.slice(2);
const port = Number(portArg);
const ACCEPTED = '{"status":"accepted"}';

if (kind === 'http') {
  createServer((req, res) => {
    req.resume();
    // With a content-length, as Express sends it: chunked framing would cost this baseline extra writes.
    req.on('end', () => res.writeHead(202, { 'content-type': 'application/json', 'content-length': ACCEPTED.length }).end(ACCEPTED));
  }).listen(port, '127.0.0.1');
} else if (kind === 'express') {
  const app = express();
  app.post(DEFAULT_WEBHOOK_ENDPOINT, express.json({ limit: '256kb' }), (req, res) => {
    res.status(202).json({ id: (req.body as { id?: string }).id, status: 'accepted' });
  });
  app.listen(port, '127.0.0.1');
} else {
  console.error('usage: baseline-server.ts http|express PORT');
  process.exit(2);
}
