// The drill switch at /admin/faults: it holds the faults a drill asked for, which withFaults
// (publish-step.ts) reads at each request. app.ts mounts it behind the admin token, with the other admin routes.
import express from 'express';
import { sendProblem } from '../http/problem-details.ts';
import type { Logger } from '../telemetry/logger.ts';
import { zodIssuesToErrors } from '../validation/zod-issues.ts';
import { type Faults, faultSchema, NO_FAULTS } from './faults.ts';

export type FaultSwitch = { current: () => Faults; router: express.Router };

export type FaultSwitchOptions = {
  logger: Logger;
  /** The admin rejection's metric and log line, with the reason the problem+json names. */
  onRejected: (reason: string, status: number) => void;
};

export function createFaultSwitch(options: FaultSwitchOptions): FaultSwitch {
  const { logger, onRejected } = options;
  let faults: Faults = NO_FAULTS;
  const router = express.Router();
  router.get('/faults', (_req, res) => {
    res.json(faults);
  });
  router.put('/faults', express.json(), (req, res) => {
    const parsed = faultSchema.safeParse(req.body ?? {});
    if (!parsed.success) {
      onRejected('schema_invalid', 422);
      const errors = zodIssuesToErrors(parsed.error.issues);
      return sendProblem(res, { status: 422, title: 'Invalid faults', reason: 'schema_invalid', errors });
    }
    faults = parsed.data;
    logger.warn({ faults }, 'fault injection changed');
    res.json(faults);
  });
  router.delete('/faults', (_req, res) => {
    faults = NO_FAULTS;
    logger.warn('fault injection cleared');
    res.json(faults);
  });
  return { current: () => faults, router };
}
