// What a drill leaves behind: alerts that began firing after the fault was injected and still fire
// once the drilled alert has resolved. Pure; run-drill.ts polls Alertmanager and waits.
import { BURN_RATE_ALERTS } from '../../slo/generate-rules.ts';

/** Fire all the time by design (the dead man's switch), so never residue. */
export const ALWAYS_FIRING = new Set(['Watchdog']);

export type ActiveAlert = { name: string; labels: Record<string, string> };

/** One alert instance: its name and every label, in a stable order. */
export const alertKey = (a: ActiveAlert) =>
  `${a.name}{${Object.keys(a.labels)
    .sort()
    .map((k) => `${k}=${a.labels[k]}`)
    .join(',')}}`;

/** The alert instances a drill caused: seen active after the fault, not before it, and not always on. */
export function causedAlerts(before: ActiveAlert[], seenSince: ActiveAlert[]): ActiveAlert[] {
  const already = new Set(before.map(alertKey));
  const caused = new Map<string, ActiveAlert>();
  for (const a of seenSince) if (!already.has(alertKey(a)) && !ALWAYS_FIRING.has(a.name)) caused.set(alertKey(a), a);
  return [...caused.values()];
}

const shortWindow = (kind: 'Page' | 'Ticket') => BURN_RATE_ALERTS[kind === 'Page' ? 'page' : 'ticket'][0].short;

/** What clears a left-over alert, for the report: a command, or why it clears by itself and when. */
export function clearingHint(name: string): string {
  const burn = /BudgetBurn(Page|Ticket)$/.exec(name);
  if (burn) {
    return `clears by itself once the ${shortWindow(burn[1] as 'Page' | 'Ticket')} burn window no longer holds the outage; nothing to undo`;
  }
  if (name.endsWith('BudgetExhausted')) {
    return `the error budget of a young or small window is spent; it clears as good traffic refills it (runbooks/slo/)`;
  }
  if (name === 'WebhookDeadLetterQueueNotEmpty' || name === 'WebhookDeadLettersIncreasing') return 'npm run dead-letters -- replay --all';
  if (name === 'WebhookGatewayFaultInjectionActive')
    return 'curl -X DELETE -H "authorization: Bearer $(cat .demo/admin-token)" http://127.0.0.1:3000/admin/faults';
  return `see runbooks/${name}.md`;
}
