// One request header's value as a string: Node gives a repeated header as an array; the first counts.

export type RequestHeaders = Readonly<Record<string, string | string[] | undefined>>;

export function header(headers: RequestHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}
