// Horizontal scaling: the consumers on JetStream lag (KEDA), the gateway on CPU (HPA).
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { EVENT_BUS_ACCOUNT } from '../../app/bus/server-config.ts';
import { type Bench, NAMESPACE, NATS, SERVICES } from './topology.ts';
import { labelsOf } from './workloads.ts';

/** The design's peak load (docs: 50 events/s); the stream's byte cap is sized on it too. */
export const DESIGN_PEAK_EVENTS_PER_SECOND = 50;
/** The end-to-end SLO's threshold: an event must be handled within 5 s of occurring (slo/event-bus.slo.yml). */
export const END_TO_END_SLO_SECONDS = 5;

export const CONSUMER_SCALING = {
  // Two: one replica per node survives a drain or a node loss without a pause in consuming.
  min: 2,
  // One replica handles far more than the design's peak (the bench's pipeline ceiling,
  // pipelineCeiling(), is the publisher's: the one consumer there kept up with it); lag beyond what
  // five can clear is a stuck handler or a poisoned message, which more pullers on the same durable do not fix.
  max: 5,
  // A backlog of five seconds' peak traffic per replica: past it, the oldest waiting event already
  // misses the end-to-end SLO, so one more replica is worth its start-up.
  lagThreshold: DESIGN_PEAK_EVENTS_PER_SECOND * END_TO_END_SLO_SECONDS,
  // Any lag above one second's peak wakes the scaler; below it the consumers are keeping up.
  activationLagThreshold: DESIGN_PEAK_EVENTS_PER_SECOND,
  // Each check reads /jsz on NATS; 15 s follows lag within the 5 s SLO's alerting windows without load on the server.
  pollingInterval: 15,
  // Ten minutes before removing a replica: a burst that comes back (a publisher replaying its outbox) finds it there.
  cooldownPeriod: 600,
} as const;

export const GATEWAY_SCALING = {
  // Two: the publisher fails over between replicas, and one survives a drain.
  min: 2,
  // One replica takes thousands of events/s at full CPU (gatewayReplicaCapacity()); six is far past
  // any load the design foresees and bounds what a flood of bad requests can cost.
  max: 6,
  // Scale out at 70 % of the request: the bench's p99 stays under 10 ms up to there, with room
  // for the 30 s or so a new replica takes to verify the stream and pass readiness.
  cpuUtilization: 70,
} as const;

/** The highest rate the bench's whole pipeline sustained (SQLite outbox): publisher, gateway and one consumer. */
export const pipelineCeiling = (bench: Bench): number => bench.pipeline.sqlite.ceiling;

/** Events/s one gateway replica answered with its CPU saturated, in the bench's closed loop. */
export const gatewayReplicaCapacity = (bench: Bench): number => Math.round(bench.gatewayThroughput.gateway.perSecond);

/** KEDA reads the consumer's leader as `<server name>.<this host>`, which the headless Service resolves. */
export const NATS_MONITORING_ENDPOINT = `${NATS.release}-headless.${NAMESPACE}.svc.cluster.local:${NATS.monitorPort}`;

export function consumerScaledObject(): ScaledObject {
  return new ScaledObject({
    metadata: { name: SERVICES.consumer.job, labels: labelsOf('consumer') },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'StatefulSet', name: SERVICES.consumer.job },
      minReplicaCount: CONSUMER_SCALING.min,
      maxReplicaCount: CONSUMER_SCALING.max,
      pollingInterval: CONSUMER_SCALING.pollingInterval,
      cooldownPeriod: CONSUMER_SCALING.cooldownPeriod,
      // One trigger per durable: KEDA takes the largest, so the slowest handler decides.
      triggers: NATS.layout.durables.map((durable) => ({
        type: 'nats-jetstream',
        name: `lag-${durable}`,
        metadata: {
          natsServerMonitoringEndpoint: NATS_MONITORING_ENDPOINT,
          account: EVENT_BUS_ACCOUNT,
          stream: NATS.layout.stream,
          consumer: durable,
          lagThreshold: String(CONSUMER_SCALING.lagThreshold),
          activationLagThreshold: String(CONSUMER_SCALING.activationLagThreshold),
          useHttps: 'false',
        },
      })),
    },
  });
}

export function gatewayAutoscaler(): HorizontalPodAutoscaler {
  return new HorizontalPodAutoscaler({
    metadata: { name: SERVICES.gateway.job, labels: labelsOf('gateway') },
    spec: {
      scaleTargetRef: { apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', name: SERVICES.gateway.job },
      minReplicas: GATEWAY_SCALING.min,
      maxReplicas: GATEWAY_SCALING.max,
      metrics: [
        {
          type: 'Resource',
          resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: GATEWAY_SCALING.cpuUtilization } },
        },
      ],
    },
  });
}
