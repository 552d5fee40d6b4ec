/**
 * A JSON value as a collapsible tree (native `<details>`, so it works with keyboard and screen
 * readers as is). Nodes the latest patch wrote are marked, their ancestors open by default.
 * Long arrays and objects show their first entries, with the rest a click away.
 */
import { memo, useState } from "react";
import type { Json } from "../lib/json-patch.ts";
import { toPointer } from "../lib/json-patch.ts";

export interface Marks {
  /** Pointers of nodes written by the latest patch. */
  changed: ReadonlySet<string>;
  /** Pointers of their ancestors. */
  within: ReadonlySet<string>;
}

const FIRST_ENTRIES = 200;
const OPEN_DEPTH = 2;

export function JsonTree(props: { value: Json; marks: Marks }) {
  return (
    <ul className="json-tree">
      <JsonNode name={null} value={props.value} pointer="" marks={props.marks} depth={0} />
    </ul>
  );
}

const JsonNode = memo(function JsonNode(props: {
  name: string | null;
  value: Json;
  pointer: string;
  marks: Marks;
  depth: number;
}) {
  const { name, value, pointer, marks, depth } = props;
  const changed = marks.changed.has(pointer);
  const label = (
    <>
      {name !== null && <span className="json-key">{name}: </span>}
      {changed && <span className="visually-hidden">(changed by the latest patch) </span>}
    </>
  );
  if (value === null || typeof value !== "object") {
    return (
      <li className={changed ? "json-changed" : undefined} data-pointer={pointer}>
        {label}
        <Scalar value={value} />
      </li>
    );
  }
  return (
    <li className={changed ? "json-changed" : undefined} data-pointer={pointer}>
      <details open={depth < OPEN_DEPTH || marks.within.has(pointer) || undefined}>
        <summary>
          {label}
          <span className="muted">
            {Array.isArray(value) ? `[${value.length}]` : `{${Object.keys(value).length}}`}
          </span>
        </summary>
        <Children value={value} pointer={pointer} marks={marks} depth={depth} />
      </details>
    </li>
  );
});

function Children(props: {
  value: Json[] | { [key: string]: Json };
  pointer: string;
  marks: Marks;
  depth: number;
}) {
  const [limit, setLimit] = useState(FIRST_ENTRIES);
  const entries: [string, Json][] = Array.isArray(props.value)
    ? props.value.map((v, i) => [String(i), v])
    : Object.entries(props.value);
  return (
    <ul>
      {entries.slice(0, limit).map(([key, child]) => (
        <JsonNode
          key={key}
          name={key}
          value={child}
          pointer={props.pointer + toPointer([key])}
          marks={props.marks}
          depth={props.depth + 1}
        />
      ))}
      {entries.length > limit && (
        <li>
          <button type="button" className="link-button" onClick={() => setLimit(entries.length)}>
            Show {entries.length - limit} more
          </button>
        </li>
      )}
    </ul>
  );
}

function Scalar(props: { value: string | number | boolean | null }) {
  const { value } = props;
  if (typeof value === "string")
    return <span className="json-string">{JSON.stringify(value)}</span>;
  if (typeof value === "number") return <span className="json-number">{String(value)}</span>;
  if (typeof value === "boolean") return <span className="json-boolean">{String(value)}</span>;
  return <span className="json-null">null</span>;
}
