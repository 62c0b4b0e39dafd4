// How loud a retry is in the log. Operators need to see an event change state (its first failure, or
// a new reason), not every repeat of the same one: at 50 events/s a flapping gateway otherwise writes
// thousands of identical lines a minute. Every retry is still counted (webhook_publisher_retries_total).

export type RetryLogLevel = 'warn' | 'debug';

export function retryLogLevel(
  before: { attempts: number; last_error: string | null },
  retry: { charged: boolean; reason: string },
): RetryLogLevel {
  // Not charged: the endpoint's circuit is open and every event waits; the circuit logs that once.
  if (!retry.charged) return 'debug';
  return before.attempts === 0 || before.last_error !== retry.reason ? 'warn' : 'debug';
}
