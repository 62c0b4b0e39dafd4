// Start-up steps that depend on the bus (provisioning, the gateway's stream check, the consumers'
// durables) retry what can pass by itself, a cluster still electing its leader or a provisioning
// step still running, for a bounded time, and fail at once on what cannot.
import { JetStreamApiError } from '@nats-io/jetstream';
import { errors } from '@nats-io/transport-node';
import type { Logger } from '../telemetry/logger.ts';

/** Worth another try: the bus is not (yet) answering, as opposed to refusing us or our request. */
export function isTransientBusError(err: unknown): boolean {
  if (err instanceof errors.AuthorizationError || err instanceof errors.PermissionViolationError) return false;
  if (err instanceof errors.TimeoutError || err instanceof errors.NoRespondersError || err instanceof errors.ConnectionError) return true;
  if (err instanceof errors.RequestError) return err.isNoResponders();
  // JetStream answers 503 while a cluster has no meta leader or the stream no leader yet.
  if (err instanceof JetStreamApiError) return err.status === 503;
  // Not exported by the client; thrown while the server's JetStream is still starting.
  return err instanceof Error && err.name === 'JetStreamNotEnabled';
}

export async function retryUntilDeadline<T>(
  what: string,
  attempt: () => Promise<T>,
  options: { timeoutMs: number; logger: Logger; retryable?: (err: unknown) => boolean },
): Promise<T> {
  const retryable = options.retryable ?? isTransientBusError;
  const deadline = Date.now() + options.timeoutMs;
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (err) {
      if (!retryable(err) || Date.now() >= deadline) throw err;
      options.logger.warn({ err: (err as Error).message, attempt: n }, `cannot ${what} yet, retrying`);
      await new Promise((r) => setTimeout(r, Math.min(2000, 250 * n, Math.max(0, deadline - Date.now()))));
    }
  }
}
