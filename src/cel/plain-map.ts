/**
 * isPlainMap(v): whether an object is a CEL map of the fast path's subset, a JSON-made map.
 *
 * The cheap test is `v.constructor`, what cel-js types values by (a map is an object whose
 * constructor is Object or absent). A JSON map may have its own key "constructor", though: a
 * ConfigMap's data, an annotation, a custom resource's field. cel-js cannot type such a map and
 * stops with "Unsupported type: object", which let a rule that checks `type(data) == type({})` read
 * a ConfigMap with a "constructor" key as empty. The fast path treats it as the map it is: the
 * prototype decides, looked at only when the cheap test fails.
 */
export function isPlainMap(v: object): boolean {
  const c = (v as { constructor?: unknown }).constructor;
  if (c === Object || c === undefined) return true;
  if (!Object.hasOwn(v, 'constructor')) return false;
  const prototype: unknown = Object.getPrototypeOf(v);
  return prototype === Object.prototype || prototype === null;
}
