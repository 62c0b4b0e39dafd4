// `npm run console -- --prometheus-url URL [--alertmanager-url URL] [--port 9300] [--host 127.0.0.1]`
import { parseArgs } from 'node:util';
import { startConsole } from './server.ts';

const USAGE =
  'usage: npm run console -- --prometheus-url URL [--alertmanager-url URL] [--port 9300] [--host 127.0.0.1] [--rate-interval 1m]';
const { values } = parseArgs({
  options: {
    'prometheus-url': { type: 'string' },
    'alertmanager-url': { type: 'string' },
    port: { type: 'string', default: '9300' },
    host: { type: 'string', default: '127.0.0.1' },
    'rate-interval': { type: 'string', default: '1m' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help || !values['prometheus-url']) {
  console.log(USAGE);
  process.exit(values.help ? 0 : 2);
}
try {
  const c = await startConsole({
    prometheusUrl: values['prometheus-url'],
    alertmanagerUrl: values['alertmanager-url'],
    port: Number(values.port),
    host: values.host,
    rateInterval: values['rate-interval'],
  });
  console.log(
    `console: ${c.url} (Prometheus ${values['prometheus-url']}${values['alertmanager-url'] ? `, Alertmanager ${values['alertmanager-url']}` : ''})`,
  );
  const stop = () => c.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
} catch (err) {
  const code = (err as { code?: string }).code;
  console.error(
    code === 'EADDRINUSE' ? `console: port ${values.port} is in use; pass --port <free port>` : `console: ${(err as Error).message}`,
  );
  process.exit(1);
}
