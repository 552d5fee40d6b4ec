/**
 * Reads V8 heap snapshots (`v8.writeHeapSnapshot`) and compares two: bytes and counts per
 * node (object constructor, closure, string, array, system object…), so the growth between
 * them can be divided by what was added (e.g. open streams).
 */
import { readFileSync } from "node:fs";

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

export interface HeapGroup {
  /** `type:name`, e.g. `object:RunStream`, `closure:onEnd`, `string`. */
  key: string;
  count: number;
  bytes: number;
}

function groups(file: string): Map<string, HeapGroup> {
  const snap = JSON.parse(readFileSync(file, "utf8")) as Snapshot;
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf("type");
  const nameAt = fields.indexOf("name");
  const sizeAt = fields.indexOf("self_size");
  const out = new Map<string, HeapGroup>();
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + typeAt] as number] ?? "?";
    const name = snap.strings[snap.nodes[i + nameAt] as number] ?? "?";
    // Strings and numbers are grouped by type only: their "name" is their content.
    const key =
      type === "string" ||
      type === "concatenated string" ||
      type === "sliced string" ||
      type === "number"
        ? type
        : `${type}:${name.slice(0, 60)}`;
    const group = out.get(key) ?? { key, count: 0, bytes: 0 };
    group.count++;
    group.bytes += snap.nodes[i + sizeAt] as number;
    out.set(key, group);
  }
  return out;
}

/** What grew from `before` to `after`, largest first. */
export function heapGrowth(before: string, after: string, top = 20): HeapGroup[] {
  const a = groups(before);
  const b = groups(after);
  const diff: HeapGroup[] = [];
  for (const [key, g] of b) {
    const prev = a.get(key) ?? { count: 0, bytes: 0 };
    if (g.bytes > prev.bytes)
      diff.push({ key, count: g.count - prev.count, bytes: g.bytes - prev.bytes });
  }
  return diff.sort((x, y) => y.bytes - x.bytes).slice(0, top);
}
