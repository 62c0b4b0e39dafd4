// Failover between gateway replicas: attempts go to the preferred URL; a connection failure,
// timeout or 5xx there moves the preference to the next one, and a retry always tries the next.
export type GatewayRotation = {
  urlFor(attempt: number): string;
  reportFailure(url: string): void;
};

export function createGatewayRotation(urls: readonly string[]): GatewayRotation {
  let preferred = 0;
  return {
    urlFor(attempt) {
      return urls[(preferred + attempt - 1) % urls.length]!;
    },
    reportFailure(url) {
      // Compare-and-advance: many in-flight failures against one dead replica move the preference once.
      if (urls[preferred] === url) preferred = (preferred + 1) % urls.length;
    },
  };
}
