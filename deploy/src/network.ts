// Who may reach whom. Everything in the namespace is denied by default; each policy below opens one
// path, and deploy/deploy.test.ts walks a table of callers against them.
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { INetworkPolicyPeer } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyPeer';
import { NATS, PART_OF, SERVICES, type ServiceId } from './topology.ts';
import { selectorOf } from './workloads.ts';

/** kube-prometheus-stack's Prometheus pods, in its usual namespace. */
export const PROMETHEUS_PEER: INetworkPolicyPeer = {
  namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } },
  podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } },
};
/** KEDA's operator reads NATS's monitoring port for the consumers' lag. */
export const KEDA_PEER: INetworkPolicyPeer = {
  namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'keda' } },
  podSelector: { matchLabels: { app: 'keda-operator' } },
};
/** The Buddy application's pods, which call the publisher's API, carry this label. */
export const PUBLISHER_CLIENT_LABEL = { 'event-bus/publisher-client': 'true' };

export const NATS_POD_SELECTOR = { 'app.kubernetes.io/name': 'nats', 'app.kubernetes.io/instance': NATS.release };

const pods = (matchLabels: Record<string, string>): INetworkPolicyPeer => ({ podSelector: { matchLabels } });
const tcp = (port: number) => [{ protocol: 'TCP' as const, port }];
const meta = (name: string) => ({ name, labels: { 'app.kubernetes.io/part-of': PART_OF } });

function gatewayMetricsPort(): number {
  const { metrics } = SERVICES.gateway;
  if (!metrics) throw new Error('the gateway has no metrics port: its NetworkPolicy would have to admit Prometheus to the webhook');
  return metrics.port;
}

export function networkPolicies(): NetworkPolicy[] {
  const service = (id: ServiceId) => SERVICES[id];
  return [
    new NetworkPolicy({ metadata: meta('default-deny-ingress'), spec: { podSelector: {}, policyTypes: ['Ingress'] } }),
    // Webhooks from the publisher only; Prometheus scrapes the metrics port (WEBHOOK_METRICS_PORT), never the webhook.
    new NetworkPolicy({
      metadata: meta(service('gateway').job),
      spec: {
        podSelector: { matchLabels: selectorOf('gateway') },
        policyTypes: ['Ingress'],
        ingress: [
          { from: [pods(selectorOf('publisher'))], ports: tcp(service('gateway').port) },
          { from: [PROMETHEUS_PEER], ports: tcp(gatewayMetricsPort()) },
        ],
      },
    }),
    new NetworkPolicy({
      metadata: meta(service('publisher').job),
      spec: {
        podSelector: { matchLabels: selectorOf('publisher') },
        policyTypes: ['Ingress'],
        ingress: [{ from: [pods(PUBLISHER_CLIENT_LABEL), PROMETHEUS_PEER], ports: tcp(service('publisher').port) }],
      },
    }),
    // The consumers take no requests: their work comes from NATS. Only /metrics and /health are served.
    new NetworkPolicy({
      metadata: meta(service('consumer').job),
      spec: {
        podSelector: { matchLabels: selectorOf('consumer') },
        policyTypes: ['Ingress'],
        ingress: [{ from: [PROMETHEUS_PEER], ports: tcp(service('consumer').port) }],
      },
    }),
    new NetworkPolicy({
      metadata: meta('nats'),
      spec: {
        podSelector: { matchLabels: NATS_POD_SELECTOR },
        policyTypes: ['Ingress'],
        ingress: [
          // The services and the provisioning Job; the publisher for its dual and nats transports.
          {
            from: [
              pods(selectorOf('gateway')),
              pods(selectorOf('consumer')),
              pods(selectorOf('publisher')),
              pods({ 'app.kubernetes.io/name': 'nats-provision' }),
            ],
            ports: tcp(NATS.clientPort),
          },
          // Routes between the nodes (mutual TLS on top).
          { from: [pods(NATS_POD_SELECTOR)], ports: tcp(NATS.clusterPort) },
          { from: [KEDA_PEER], ports: tcp(NATS.monitorPort) },
          { from: [PROMETHEUS_PEER], ports: tcp(NATS.exporterPort) },
        ],
      },
    }),
  ];
}

// ------------------------------------------------------------ evaluation (pure), for the tests

export type Pod = { namespace: string; namespaceLabels?: Record<string, string>; labels: Record<string, string> };

const matches = (selector: { matchLabels?: Record<string, string> } | undefined, labels: Record<string, string>) =>
  Object.entries(selector?.matchLabels ?? {}).every(([k, v]) => labels[k] === v);

function peerAdmits(peer: INetworkPolicyPeer, from: Pod, policyNamespace: string): boolean {
  const nsLabels = { 'kubernetes.io/metadata.name': from.namespace, ...from.namespaceLabels };
  const namespaceOk = peer.namespaceSelector ? matches(peer.namespaceSelector, nsLabels) : from.namespace === policyNamespace;
  return namespaceOk && (!peer.podSelector || matches(peer.podSelector, from.labels));
}

/** Kubernetes semantics for ingress: a pod selected by any policy admits only what some rule allows. */
export function ingressAllowed(policies: readonly NetworkPolicy[], from: Pod, to: Pod, port: number): boolean {
  const selecting = policies.filter((p) => p.spec?.policyTypes?.includes('Ingress') && matches(p.spec.podSelector, to.labels));
  if (!selecting.length) return true;
  return selecting.some((p) =>
    (p.spec?.ingress ?? []).some(
      (rule) =>
        // An empty list of ports or of peers means any.
        (!rule.ports?.length || rule.ports.some((rp) => rp.port === port)) &&
        (!rule.from?.length || rule.from.some((peer) => peerAdmits(peer, from, to.namespace))),
    ),
  );
}
