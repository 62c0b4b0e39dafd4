// The NATS client flushes its socket once per microtask turn, and every webhook arrives in a turn
// of its own, so each publish costs a socket write: the largest single cost in the gateway's CPU
// profile (npm run bench). Holding publishes until the end of the event-loop iteration
// (setImmediate runs right after the poll phase) lets every request read in that iteration share
// one write, for a delay of well under a millisecond.
import { sameTurnBatches } from '../batching/same-turn-batches.ts';

type Start = () => Promise<unknown>;

// A synchronous throw must fail only its own caller, not the publishes started after it.
const startAlone = (start: Start): Promise<unknown> => {
  try {
    return start();
  } catch (err) {
    return Promise.reject(err);
  }
};

export function oneWritePerLoopTurn() {
  // Overlapping: a turn's publishes never wait for the PubAcks of an earlier turn.
  const batches = sameTurnBatches((starts: Start[]) => starts.map(startAlone));
  return <T>(publish: () => Promise<T>): Promise<T> => batches.add(publish) as Promise<T>;
}
