// The two Prometheus HTTP API calls the report needs, with errors that say what went wrong.

export class PrometheusUnreachable extends Error {
  override name = 'PrometheusUnreachable';
}

type ApiResponse<T> = { status: 'success' | 'error'; data: T; error?: string; errorType?: string };
type VectorSample = { metric: Record<string, string>; value: [number, string] };
type MatrixSeries = { metric: Record<string, string>; values: [number, string][] };

async function call<T>(baseUrl: string, path: string, params: Record<string, string>): Promise<T> {
  const url = `${baseUrl.replace(/\/$/, '')}${path}?${new URLSearchParams(params)}`;
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    throw new PrometheusUnreachable(`cannot reach Prometheus at ${baseUrl} (${cause})`);
  }
  const body = (await res.json().catch(() => undefined)) as ApiResponse<T> | undefined;
  if (!body) throw new PrometheusUnreachable(`${baseUrl} answered ${res.status} without a Prometheus API response`);
  if (body.status !== 'success') throw new Error(`Prometheus rejected the query (${body.errorType}): ${body.error}`);
  return body.data;
}

/** The value of a query that yields at most one series; undefined when it yields none. */
export async function instantValue(baseUrl: string, expr: string, time: number): Promise<number | undefined> {
  const data = await call<{ resultType: string; result: VectorSample[] }>(baseUrl, '/api/v1/query', { query: expr, time: String(time) });
  const sample = data.result[0];
  return sample ? Number(sample.value[1]) : undefined;
}

/** One series over a time range, as [unix seconds, value] pairs. */
export async function rangeValues(baseUrl: string, expr: string, start: number, end: number, step: number): Promise<[number, number][]> {
  const data = await call<{ resultType: string; result: MatrixSeries[] }>(baseUrl, '/api/v1/query_range', {
    query: expr,
    start: String(start),
    end: String(end),
    step: String(step),
  });
  return (data.result[0]?.values ?? []).map(([t, v]) => [t, Number(v)]);
}

export async function checkReachable(baseUrl: string): Promise<void> {
  await call(baseUrl, '/api/v1/status/buildinfo', {});
}
