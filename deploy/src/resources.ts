// Requests and limits from the measured numbers in docs/bench/bench.json (npm run bench), not guesses.
import type { Bench, BenchStage, ServiceId } from './topology.ts';

/** What one replica is sized for: the rate at which the bench holds the end-to-end p99 under 100 ms,
 *  twenty times the design's 50 events/s peak. The gateway's HPA adds replicas beyond it. */
export const SIZING_EVENTS_PER_SECOND = 1000;

/** V8's old space grows past the measured peak with larger events and longer uptimes; half again
 *  is the room before the kernel's OOM kill, which we prefer to a leak that takes the node down. */
export const MEMORY_LIMIT_FACTOR = 1.5;

/** A Node service runs its JavaScript on one thread: more than one core is never used for long. */
export const CPU_LIMIT_MILLICORES = 1000;

export type Resources = { requests: { cpu: string; memory: string }; limits: { cpu: string; memory: string } };

const roundUp = (value: number, step: number) => Math.ceil(value / step) * step;
const mebibytes = (mb: number) => `${roundUp(mb, 16)}Mi`;
const millicores = (micros: number) => `${roundUp((micros * SIZING_EVENTS_PER_SECOND) / 1000, 10)}m`;

/**
 * Which of the bench's runs sizes each service, memory and CPU from the same one: the publisher
 * runs on PostgreSQL here, so its PostgreSQL run; the consumer's work does not depend on the
 * outbox, and its peak RSS is read after the SQLite run, so that one.
 */
export const SIZING_RUN = { publisher: 'postgres', consumer: 'sqlite' } as const satisfies Record<Exclude<ServiceId, 'gateway'>, string>;

function sizingStage(bench: Bench, run: keyof Bench['pipeline']): BenchStage {
  const stage = bench.pipeline[run].stages.find((s) => s.rate === SIZING_EVENTS_PER_SECOND);
  if (!stage) throw new Error(`bench.json has no ${run} pipeline stage at ${SIZING_EVENTS_PER_SECOND} events/s`);
  return stage;
}

/** CPU microseconds one event costs the service, as measured. */
export function cpuMicrosPerEvent(bench: Bench, service: ServiceId): number {
  if (service === 'gateway') return bench.gatewayThroughput.gateway.serverCpuMicrosPerRequest;
  if (service === 'publisher') return sizingStage(bench, SIZING_RUN.publisher).publisherCpuMicrosPerEvent;
  return sizingStage(bench, SIZING_RUN.consumer).consumerCpuMicrosPerEvent;
}

/** Requests hold the measured peak (the scheduler reserves what a busy replica really uses);
 *  limits add the headroom above. */
export function resourcesFor(bench: Bench, service: ServiceId): Resources {
  const peakMb = service === 'publisher' ? bench.peakRssMb.publisherPostgres : bench.peakRssMb[service];
  return {
    requests: { cpu: millicores(cpuMicrosPerEvent(bench, service)), memory: mebibytes(peakMb) },
    limits: { cpu: `${CPU_LIMIT_MILLICORES}m`, memory: mebibytes(peakMb * MEMORY_LIMIT_FACTOR) },
  };
}

/** nats-server's CPU at the sizing rate. The bench measured the publish only; each event is also
 *  delivered to and acknowledged by three durables, so three times that. */
export function natsCpuRequest(bench: Bench): string {
  return millicores(bench.gatewayThroughput.gateway.natsCpuMicrosPerRequest * 3);
}
