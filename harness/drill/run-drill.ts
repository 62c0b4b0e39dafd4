// One drill: inject the fault, wait until the alert fires in Alertmanager, print the runbook's
// Diagnosis and Mitigation, apply the mitigation, wait until the alert resolves, then wait until every
// other alert the fault set off has resolved too, and report what still fires. Times are measured.
import { sleep } from '../stack/wait.ts';
import type { Drill } from './drills.ts';
import { type ActiveAlert, alertKey, causedAlerts, clearingHint } from './residue.ts';
import { runbookFor } from './runbook-sections.ts';
import type { DrillTarget } from './target.ts';

export type DrillResult = {
  alert: string;
  fault: string;
  mitigation: string;
  timeScale: number;
  timeToFireMs: number | null;
  timeToResolveMs: number | null;
  pass: boolean;
  /** From the drilled alert's resolution until every alert the drill caused had resolved; null if some still fire. */
  timeToQuietMs: number | null;
  /** Alerts the drill caused that still fire at its end, each with what clears it. */
  residue: (ActiveAlert & { hint: string })[];
  /** The verdict in words (drillOutcome): a pass that left alerts firing says so. */
  outcome: string;
  error?: string;
};

/**
 * `pass`, `FAIL: <why>`, and either followed by what the drill left firing and what clears each:
 * a drill that resolves its alert but leaves a page behind has not left the demo as it found it.
 */
export function drillOutcome(r: Pick<DrillResult, 'pass' | 'error' | 'residue'>): string {
  const verdict = r.pass ? 'pass' : `FAIL: ${r.error ?? 'unknown'}`;
  const hints = new Map(r.residue.map((a) => [a.name, a.hint]));
  if (!hints.size) return verdict;
  return `${verdict}${r.pass ? ',' : ';'} left firing: ${[...hints].map(([name, hint]) => `${name} (${hint})`).join('; ')}`;
}

/**
 * Every alert that fires: active in Alertmanager (inhibited and silenced ones still fire), and firing
 * in Prometheus (one not yet sent). Pending ones are not counted: a backlog flushed after an outage
 * keeps lag and queue alerts pending for their rate window, and their `for:` is what decides.
 */
async function activeAlerts(t: DrillTarget): Promise<ActiveAlert[]> {
  const fromAlertmanager = (await (await fetch(`${t.alertmanagerUrl}/api/v2/alerts?active=true`)).json()) as {
    labels: Record<string, string>;
  }[];
  const query = encodeURIComponent('ALERTS{alertstate="firing"}');
  const fromPrometheus = (await (await fetch(`${t.prometheusUrl}/api/v1/query?query=${query}`)).json()) as {
    data: { result: { metric: Record<string, string> }[] };
  };
  const alerts = [
    ...fromAlertmanager.map(({ labels }) => labels),
    // ALERTS carries the rule's labels plus alertstate, which is not part of the alert's identity.
    ...fromPrometheus.data.result.map(({ metric: { __name__, alertstate, ...labels } }) => labels),
  ];
  return alerts.map((labels) => ({ name: labels.alertname ?? '', labels }));
}

async function firing(t: DrillTarget, alert: string): Promise<boolean> {
  const filter = encodeURIComponent(`alertname="${alert}"`);
  const res = await fetch(`${t.alertmanagerUrl}/api/v2/alerts?active=true&silenced=false&inhibited=false&filter=${filter}`);
  return ((await res.json()) as unknown[]).length > 0;
}

/**
 * Milliseconds until `check` first holds and then keeps holding for `holdMs` (a restarted
 * process's metrics vanish for a moment, which must not count as a resolution); null on timeout.
 */
async function until(check: () => Promise<boolean>, timeoutMs: number, holdMs = 0): Promise<number | null> {
  const started = Date.now();
  let heldSince: number | undefined;
  while (Date.now() - started < timeoutMs) {
    if (await check().catch(() => false)) {
      heldSince ??= Date.now();
      if (Date.now() - heldSince >= holdMs) return heldSince - started;
    } else heldSince = undefined;
    await sleep(1000);
  }
  return null;
}

/** A resolution counts once the alert has stayed away this long. */
const RESOLVED_HOLD_MS = 10_000;

/** The slowest alerts need `for: 10m` on top of a 5-minute rate window; a scaled rule set divides both. */
export function drillTimeouts(timeScale: number) {
  return { fireMs: (20 * 60_000) / timeScale + 90_000, resolveMs: (12 * 60_000) / timeScale + 90_000 };
}

export async function runDrill(
  t: DrillTarget,
  drill: Drill,
  print: (line: string) => void = console.log,
  options: { settleTimeoutMs?: number } = {},
): Promise<DrillResult> {
  const timeouts = drillTimeouts(t.timeScale);
  const settleTimeoutMs = options.settleTimeoutMs ?? timeouts.resolveMs;
  const result: DrillResult = {
    alert: drill.alert,
    fault: drill.fault,
    mitigation: drill.mitigation,
    timeScale: t.timeScale,
    timeToFireMs: null,
    timeToResolveMs: null,
    pass: false,
    timeToQuietMs: null,
    residue: [],
    outcome: '',
  };
  print(`\n== ${drill.alert}${t.timeScale > 1 ? ` (rules scaled down ${t.timeScale}x)` : ''}`);
  if (await firing(t, drill.alert)) {
    result.error = 'already firing before the fault was injected';
    print(`   ${result.error}; skipped`);
    result.outcome = drillOutcome(result);
    return result;
  }
  let mitigated = false;
  const before = await activeAlerts(t);
  // Everything that fires from the fault on, polled in the background until the drill ends.
  // Each alert instance once, however many polls saw it.
  const seen = new Map<string, ActiveAlert>();
  let watching = true;
  const watcher = (async () => {
    while (watching) {
      for (const alert of await activeAlerts(t).catch(() => [])) seen.set(alertKey(alert), alert);
      await sleep(2000);
    }
  })();
  try {
    print(`   fault: ${drill.fault}`);
    await drill.inject(t);
    result.timeToFireMs = await until(() => firing(t, drill.alert), timeouts.fireMs);
    if (result.timeToFireMs === null) throw new Error(`did not fire within ${Math.round(timeouts.fireMs / 1000)} s`);
    print(`   fired in Alertmanager after ${(result.timeToFireMs / 1000).toFixed(1)} s`);
    const runbook = runbookFor(drill.alert);
    print(`\n-- Runbook: Diagnosis\n${runbook.diagnosis}\n\n-- Runbook: Mitigation\n${runbook.mitigation}\n`);
    print(`   mitigation: ${drill.mitigation}`);
    await drill.mitigate(t);
    mitigated = true;
    result.timeToResolveMs = await until(async () => !(await firing(t, drill.alert)), timeouts.resolveMs, RESOLVED_HOLD_MS);
    if (result.timeToResolveMs === null) throw new Error(`did not resolve within ${Math.round(timeouts.resolveMs / 1000)} s`);
    print(`   resolved after ${(result.timeToResolveMs / 1000).toFixed(1)} s`);
    result.pass = true;
  } catch (err) {
    result.error = (err as Error).message;
    print(`   FAILED: ${result.error}`);
  } finally {
    if (!mitigated) await drill.mitigate(t).catch(() => undefined);
  }
  // The drill is over when the demo is as quiet as it found it, not when its one alert resolved.
  const stillFiring = async () => {
    const caused = new Set(causedAlerts(before, [...seen.values()]).map(alertKey));
    return (await activeAlerts(t)).filter((a) => caused.has(alertKey(a)));
  };
  const others = causedAlerts(before, [...seen.values()]).filter((a) => a.name !== drill.alert);
  if (others.length) print(`   also set off: ${[...new Set(others.map((a) => a.name))].join(', ')}; waiting for them to resolve`);
  result.timeToQuietMs = await until(async () => (await stillFiring()).length === 0, settleTimeoutMs, RESOLVED_HOLD_MS);
  watching = false;
  await watcher;
  result.residue = (await stillFiring().catch(() => [])).map((a) => ({ ...a, hint: clearingHint(a.name) }));
  if (result.residue.length) {
    print(`   still firing after ${Math.round(settleTimeoutMs / 1000)} s:`);
    for (const name of new Set(result.residue.map((r) => r.name))) print(`     ${name}: ${clearingHint(name)}`);
  } else if (result.timeToQuietMs !== null)
    print(`   quiet again after ${(result.timeToQuietMs / 1000).toFixed(1)} s: nothing the drill set off still fires`);
  result.outcome = drillOutcome(result);
  return result;
}

export function drillMarkdown(results: DrillResult[]): string {
  const s = (ms: number | null) => (ms === null ? '–' : `${(ms / 1000).toFixed(1)} s`);
  // A clearing command may hold a pipe, which would end the table cell.
  const cell = (text: string) => text.replaceAll('|', '\\|');
  return [
    '# Drill report',
    '',
    '| alert | fault | time to fire | time to resolve | time to quiet | result |',
    '| --- | --- | --- | --- | --- | --- |',
    ...results.map(
      (r) =>
        `| ${cell(`${r.alert}${r.timeScale > 1 ? ` (scaled ${r.timeScale}x)` : ''}`)} | ${cell(r.fault)} | ${s(r.timeToFireMs)} | ${s(r.timeToResolveMs)} | ${s(r.timeToQuietMs)} | ${cell(drillOutcome(r))} |`,
    ),
    '',
    'Time to fire: from injecting the fault until the alert is active (not inhibited) in Alertmanager. Time to resolve: from applying the mitigation until it is gone. Time to quiet: from then until every other alert the fault set off has resolved too; a result "left firing" lists those that had not, with what clears each.',
    '',
  ].join('\n');
}
