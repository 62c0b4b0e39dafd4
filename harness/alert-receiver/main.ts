// The alert receiver as its own process (compose runs it inside Alertmanager's network namespace,
// so the committed demo configuration's 127.0.0.1:9095 reaches it there too).
import { startAlertReceiver } from './receiver.ts';

const port = Number(process.env.ALERT_RECEIVER_PORT ?? 9095);
const host = process.env.ALERT_RECEIVER_HOST ?? '127.0.0.1';
const receiver = await startAlertReceiver({ port, host, log: (line) => console.log(line) });
console.log(`alert receiver listening on ${host}:${port}; notifications at /notifications`);
const stop = () => receiver.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
