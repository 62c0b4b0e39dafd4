// Start-up (imports, telemetry, NATS, SQLite) leaves V8's young generation grown to its cap: 16-24
// MB of a service's idle RSS that V8 had still not given back 20 s later. One collection that
// reduces memory once the service is up gives it back; a plain gc() collects the same garbage but
// keeps the space. It needs `--expose-gc` (the package.json service scripts and the image set it);
// without it this does nothing.

type Collect = (options: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;

/** Collects once, `delayMs` after the service is ready; never keeps the process alive. */
export function releaseStartUpGarbage(delayMs = 5000): void {
  const gc = (globalThis as { gc?: Collect }).gc;
  if (typeof gc !== 'function') return;
  // 'last-resort' is V8's collection with memory reduction: it also shrinks the young generation.
  setTimeout(() => gc({ type: 'major', execution: 'sync', flavor: 'last-resort' }), delayMs).unref();
}
