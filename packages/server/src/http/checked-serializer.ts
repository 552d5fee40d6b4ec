/**
 * A serializer compiler that checks each reply against its route's zod response schema before
 * sending it (opt-in: `ServerOptions.validateResponses`, on in the tests). What is checked is
 * the JSON the client would read — parsed back from the serialised text — so a field left
 * `undefined` (absent on the wire) counts as missing. A mismatch throws, and the client gets a
 * 500 problem instead of a reply that breaks the contract; the test expecting a 2xx then fails,
 * and stderr names the route, status and issues.
 */
import type { FastifySchema, FastifySerializerCompiler } from "fastify";

interface SafeParser {
  safeParse(value: unknown): {
    success: boolean;
    error?: { issues: readonly { path: PropertyKey[]; message: string }[] };
  };
}

function isSafeParser(schema: unknown): schema is SafeParser {
  return (
    typeof schema === "object" &&
    schema !== null &&
    typeof (schema as { safeParse?: unknown }).safeParse === "function"
  );
}

export class ResponseSchemaMismatch extends Error {
  override readonly name = "ResponseSchemaMismatch";
}

export const checkedSerializer: FastifySerializerCompiler<FastifySchema> = (route) => {
  const { schema, method, url, httpStatus } = route;
  return (data) => {
    const json = JSON.stringify(data);
    if (!isSafeParser(schema)) return json;
    const parsed = schema.safeParse(json === undefined ? undefined : JSON.parse(json));
    if (parsed.success) return json;
    const issues = (parsed.error?.issues ?? [])
      .slice(0, 5)
      .map((issue) => `${issue.path.map(String).join(".") || "(root)"}: ${issue.message}`)
      .join("; ");
    const message = `${method} ${url} ${httpStatus}: the reply does not match its response schema: ${issues}`;
    console.error(message);
    throw new ResponseSchemaMismatch(message);
  };
};
