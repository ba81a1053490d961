/**
 * setKey(holder, key, value): `holder[key] = value` for a key that comes from data (a ConfigMap's
 * keys, labels, image references...).
 *
 * In JSON `__proto__` is an ordinary key, and JSON.parse makes it an own property. Plain
 * assignment of that key to an object that does not have it yet runs Object.prototype's setter
 * instead: the key is lost, and an object value becomes the holder's prototype, so later reads of
 * other keys find its fields. Only that one key needs the slow define; every other key is a plain
 * assignment, which keeps the callers' loops fast.
 */
export function setKey(holder: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(holder, key, { value, writable: true, enumerable: true, configurable: true });
  else holder[key] = value;
}
