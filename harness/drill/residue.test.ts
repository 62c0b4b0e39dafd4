import { describe, expect, it } from 'vitest';
import { type ActiveAlert, causedAlerts, clearingHint } from './residue.ts';

const a = (name: string, labels: Record<string, string> = {}): ActiveAlert => ({ name, labels: { alertname: name, ...labels } });

describe('drill residue', () => {
  it.each([
    ['nothing new', [a('Watchdog')], [a('Watchdog')], []],
    [
      'the drilled alert and a burn page',
      [],
      [a('WebhookGatewayDown'), a('WebhookUptimeBudgetBurnPage'), a('WebhookGatewayDown')],
      ['WebhookGatewayDown', 'WebhookUptimeBudgetBurnPage'],
    ],
    [
      'already firing before the fault',
      [a('WebhookDeadLetterQueueNotEmpty')],
      [a('WebhookDeadLetterQueueNotEmpty'), a('EventConsumerDown')],
      ['EventConsumerDown'],
    ],
    [
      'same name, another instance',
      [a('EventBusInstanceDown', { instance: 'g1' })],
      [a('EventBusInstanceDown', { instance: 'g2' })],
      ['EventBusInstanceDown'],
    ],
    ['the dead man switch is never residue', [], [a('Watchdog')], []],
  ])('%s', (_case, before, seen, caused) => {
    expect(causedAlerts(before, seen).map((x) => x.name)).toEqual(caused);
  });

  it.each([
    ['WebhookUptimeBudgetBurnPage', '5m burn window'],
    ['WebhookErrorRateBudgetBurnTicket', '2h burn window'],
    ['WebhookDeadLetterQueueNotEmpty', 'npm run dead-letters -- replay --all'],
    ['WebhookGatewayFaultInjectionActive', '/admin/faults'],
    ['EventConsumerDown', 'runbooks/EventConsumerDown.md'],
  ])('says what clears %s', (name, expected) => expect(clearingHint(name)).toContain(expected));
});
