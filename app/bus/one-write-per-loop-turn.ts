// The NATS client flushes its socket once per microtask turn, and every webhook arrives in a turn
// of its own, so each publish costs a socket write: the largest single cost in the gateway's CPU
// profile (npm run bench). Holding publishes until the end of the event-loop iteration
// (setImmediate runs right after the poll phase) lets every request read in that iteration share
// one write, for a delay of well under a millisecond.
export function oneWritePerLoopTurn() {
  let queued: (() => void)[] = [];
  const runQueued = () => {
    const run = queued;
    queued = [];
    for (const start of run) start();
  };
  return <T>(publish: () => Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (queued.length === 0) setImmediate(runQueued);
      queued.push(() => {
        // A synchronous throw must fail only its own caller, not the publishes queued after it.
        try {
          publish().then(resolve, reject);
        } catch (err) {
          reject(err);
        }
      });
    });
}
