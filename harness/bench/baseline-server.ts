// Baselines for the gateway benchmark, as separate processes like the gateway itself:
//   node harness/bench/baseline-server.ts http PORT     bare node:http, answers 202
//   node harness/bench/baseline-server.ts express PORT  bare Express 5 JSON echo, answers 202
import { createServer } from 'node:http';
import express from 'express';

const [kind, portArg] = process.argv.slice(2);
const port = Number(portArg);

if (kind === 'http') {
  createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(202, { 'content-type': 'application/json' }).end('{"status":"accepted"}'));
  }).listen(port, '127.0.0.1');
} else if (kind === 'express') {
  const app = express();
  app.post('/webhooks/buddy-events', express.json({ limit: '256kb' }), (req, res) => {
    res.status(202).json({ id: (req.body as { id?: string }).id, status: 'accepted' });
  });
  app.listen(port, '127.0.0.1');
} else {
  console.error('usage: baseline-server.ts http|express PORT');
  process.exit(2);
}
