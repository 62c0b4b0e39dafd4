// `node examples/buddy-app/main.ts`: the example app on its own, against a running gateway.
//   BUDDY_DB=buddy.sqlite CSR_WEBHOOK_URL=http://127.0.0.1:3000/webhooks/buddy-events CSR_WEBHOOK_SECRET=whsec_... node examples/buddy-app/main.ts
import { DatabaseSync } from 'node:sqlite';
import { createWebhookPublisher, parseSecrets, sqliteOutbox, webhookTransport } from 'webhook-event-bus/publisher';
import { newMatch, sqliteMatches } from './matches.ts';
import { DEFAULT_WEBHOOK_ENDPOINT } from '../../app/gateway/config.ts';

const db = new DatabaseSync(process.env.BUDDY_DB ?? 'buddy.sqlite');
db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL');
const publisher = createWebhookPublisher({
  store: sqliteOutbox({ database: db }),
  transports: [
    webhookTransport({
      urls: [process.env.CSR_WEBHOOK_URL ?? `http://127.0.0.1:3000${DEFAULT_WEBHOOK_ENDPOINT}`],
      keys: parseSecrets(process.env.CSR_WEBHOOK_SECRET ?? ''),
      timeoutMs: 5000,
    }),
  ],
});
await publisher.start();
const matches = sqliteMatches(db, publisher);
const match = newMatch();
await matches.create(match);
console.log(`match ${match.matchId} and its buddy.match.created event committed together; delivering...`);
setTimeout(async () => {
  console.log(JSON.stringify(await publisher.health()));
  await publisher.stop();
  db.close();
}, 2000);
