// The event bus plus what watches it: Prometheus (scraping every service, loading the rules),
// Alertmanager (the demo routing) and the local alert receiver. Shared by the demo, the drills and
// the dashboard tests.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { DEFAULT_RECEIVER_URL, DEMO_CONFIG, renderDemoConfig } from '../../alertmanager/demo-config.ts';
import { startAlertReceiver, type AlertReceiver } from '../alert-receiver/receiver.ts';
import { startAlertmanager, type Alertmanager } from './alertmanager.ts';
import { freePort } from './ports.ts';
import { startPrometheus, type Prometheus } from './prometheus.ts';
import { localPrometheusConfig } from './prometheus-config.ts';
import { REPO_ROOT } from './service.ts';
import { startStack, type Stack, type StackOptions } from './stack.ts';

export type ObservedStackOptions = StackOptions & {
  receiverPort?: number;
  alertmanagerPort?: number;
  prometheusPort?: number;
  scrapeInterval?: string;
  evaluationInterval?: string;
  alertResendDelay?: string;
  /** Absolute rule file paths; default: the project's own. */
  ruleFiles?: string[];
  receiverLog?: (line: string) => void;
};

export type ObservedStack = {
  stack: Stack;
  receiver: AlertReceiver;
  alertmanager: Alertmanager;
  prometheus: Prometheus;
  stop(): Promise<void>;
};

export async function startObservedStack(options: ObservedStackOptions): Promise<ObservedStack> {
  const stack = await startStack(options);
  const receiver = await startAlertReceiver({ port: options.receiverPort, log: options.receiverLog });
  // The committed demo configuration, as compose uses it; rendered afresh only for another receiver address.
  let configFile = path.join(REPO_ROOT, DEMO_CONFIG);
  if (receiver.url !== DEFAULT_RECEIVER_URL) {
    const config = parse(renderDemoConfig(receiver.url));
    config.templates = [path.join(REPO_ROOT, 'alertmanager/templates/*.tmpl')];
    mkdirSync(options.dir, { recursive: true });
    configFile = path.join(options.dir, 'alertmanager.yml');
    writeFileSync(configFile, stringify(config));
  }
  const alertmanager = await startAlertmanager({ configFile, dir: path.join(options.dir, 'alertmanager'), port: options.alertmanagerPort });
  // Chosen before start-up so that Prometheus can scrape itself.
  const prometheusPort = options.prometheusPort ?? (await freePort());
  const prometheus = await startPrometheus({
    dir: path.join(options.dir, 'prometheus'),
    port: prometheusPort,
    alertResendDelay: options.alertResendDelay,
    config: localPrometheusConfig({
      targets: { gateway: stack.gateways.map((g) => g.url), publisher: [stack.publisher.url], consumer: [stack.consumer.url] },
      alertmanagerUrl: alertmanager.url,
      prometheusUrl: `http://127.0.0.1:${prometheusPort}`,
      scrapeInterval: options.scrapeInterval,
      evaluationInterval: options.evaluationInterval,
      ruleFiles: options.ruleFiles,
    }),
  });
  return {
    stack,
    receiver,
    alertmanager,
    prometheus,
    stop: async () => {
      await prometheus.stop();
      await alertmanager.stop();
      await receiver.close();
      await stack.stop();
    },
  };
}
