/**
 * The one eviction rule of the server's in-memory caches (verified API keys, the append path's
 * runs, the frames writer's run conversations): a Map kept in insertion order, newest last, and
 * cut from the oldest end.
 */

/** Sets `key` to `value` as the newest entry of `map`, then drops the oldest beyond `max`. */
export function setBounded<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > max) map.delete(map.keys().next().value as K);
}
