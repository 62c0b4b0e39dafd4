// The last `capacity` entries by key, in memory: oldest out first. A Map keeps insertion order, and an
// entry written again moves to the end. The gateway's and the publisher's records of recent answers.

export type RecentMap<V> = {
  set(key: string, value: V): void;
  get(key: string): V | undefined;
  readonly size: number;
  readonly capacity: number;
};

export function recentMap<V>(capacity: number): RecentMap<V> {
  const entries = new Map<string, V>();
  return {
    set(key, value) {
      entries.delete(key);
      entries.set(key, value);
      if (entries.size > capacity) entries.delete(entries.keys().next().value!);
    },
    get: (key) => entries.get(key),
    get size() {
      return entries.size;
    },
    capacity,
  };
}
