/**
 * RFC 6902 JSON Patch, applied without mutating the input: only the containers along each
 * changed path are copied, so untouched subtrees keep their identity (cheap for big states,
 * and memoised views of them do not re-render). A patch that fails anywhere is rejected whole
 * (`PatchError`), the way AG-UI clients skip a `STATE_DELTA` that does not apply.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface PatchOperation {
  op: "add" | "remove" | "replace" | "move" | "copy" | "test";
  path: string;
  from?: string;
  value?: unknown;
}

export class PatchError extends Error {
  override readonly name = "PatchError";
}

/** `/a/b~1c` → `["a", "b/c"]`; `""` → `[]`. */
export function parsePointer(pointer: string): string[] {
  if (pointer === "") return [];
  if (!pointer.startsWith("/")) throw new PatchError(`Invalid JSON pointer "${pointer}"`);
  return pointer
    .slice(1)
    .split("/")
    .map((token) => token.replaceAll("~1", "/").replaceAll("~0", "~"));
}

/** The inverse of `parsePointer`. */
export function toPointer(tokens: readonly string[]): string {
  return tokens.map((t) => `/${t.replaceAll("~", "~0").replaceAll("/", "~1")}`).join("");
}

const isObject = (v: unknown): v is { [key: string]: Json } =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Applies every operation in order; throws `PatchError` (and changes nothing) on failure. */
export function applyPatch(document: Json, operations: readonly PatchOperation[]): Json {
  let doc = document;
  operations.forEach((operation, index) => {
    try {
      doc = applyOne(doc, operation);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new PatchError(`Operation ${index} (${operation.op} ${operation.path}): ${reason}`);
    }
  });
  return doc;
}

function applyOne(doc: Json, operation: PatchOperation): Json {
  const path = parsePointer(operation.path);
  switch (operation.op) {
    case "add":
      return add(doc, path, operation.value as Json);
    case "remove":
      return remove(doc, path);
    case "replace":
      get(doc, path); // must exist
      return path.length === 0
        ? (operation.value as Json)
        : set(doc, path, operation.value as Json);
    case "move": {
      const from = parsePointer(operation.from ?? "");
      const value = get(doc, from);
      return add(remove(doc, from), path, value);
    }
    case "copy":
      return add(doc, path, structuredClone(get(doc, parsePointer(operation.from ?? ""))));
    case "test":
      if (!deepEqual(get(doc, path), operation.value)) throw new PatchError("test failed");
      return doc;
    default:
      throw new PatchError(`unknown op "${String((operation as { op: unknown }).op)}"`);
  }
}

export function get(doc: Json, path: readonly string[]): Json {
  let node: Json = doc;
  for (const token of path) {
    if (Array.isArray(node)) {
      const index = arrayIndex(token, node.length - 1);
      node = node[index] as Json;
    } else if (isObject(node) && Object.hasOwn(node, token)) {
      node = node[token] as Json;
    } else {
      throw new PatchError(`no value at "${toPointer(path)}"`);
    }
  }
  return node;
}

function arrayIndex(token: string, max: number): number {
  if (!/^(0|[1-9]\d*)$/.test(token)) throw new PatchError(`bad array index "${token}"`);
  const index = Number(token);
  if (index > max) throw new PatchError(`array index ${index} out of range`);
  return index;
}

/** Copies the containers down to the parent of `path` and lets `change` edit the parent copy. */
function update(
  doc: Json,
  path: readonly string[],
  change: (parent: Json[] | { [key: string]: Json }, last: string) => void,
): Json {
  const [head, ...rest] = path;
  if (head === undefined) throw new PatchError("the root has no parent");
  if (rest.length === 0) {
    if (Array.isArray(doc)) {
      const copy = doc.slice();
      change(copy, head);
      return copy;
    }
    if (isObject(doc)) {
      const copy = { ...doc };
      change(copy, head);
      return copy;
    }
    throw new PatchError("parent is not a container");
  }
  if (Array.isArray(doc)) {
    const index = arrayIndex(head, doc.length - 1);
    const copy = doc.slice();
    copy[index] = update(doc[index] as Json, rest, change);
    return copy;
  }
  if (isObject(doc) && Object.hasOwn(doc, head)) {
    return { ...doc, [head]: update(doc[head] as Json, rest, change) };
  }
  throw new PatchError(`no container at "${toPointer(path)}"`);
}

function add(doc: Json, path: readonly string[], value: Json): Json {
  if (path.length === 0) return value;
  return update(doc, path, (parent, last) => {
    if (Array.isArray(parent)) {
      const index = last === "-" ? parent.length : arrayIndex(last, parent.length);
      parent.splice(index, 0, value);
    } else {
      parent[last] = value;
    }
  });
}

function set(doc: Json, path: readonly string[], value: Json): Json {
  return update(doc, path, (parent, last) => {
    if (Array.isArray(parent)) parent[arrayIndex(last, parent.length - 1)] = value;
    else parent[last] = value;
  });
}

function remove(doc: Json, path: readonly string[]): Json {
  get(doc, path); // must exist
  return update(doc, path, (parent, last) => {
    if (Array.isArray(parent)) parent.splice(arrayIndex(last, parent.length - 1), 1);
    else delete parent[last];
  });
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return (
      keys.length === Object.keys(b).length &&
      keys.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]))
    );
  }
  return false;
}
