/**
 * A minimal `fetch` (GET only) over `node:http` with one connection per request, for handing to
 * `@ag-ui/client` (its `HttpAgent` and `runHttpRequest` take a fetch function). It returns a
 * real WHATWG `Response` whose body streams as the server writes, exactly what the client reads
 * from the global fetch — without undici's spare connections, which would hold `server.close()`
 * until Node's headersTimeout.
 */
import http from "node:http";
import { Readable } from "node:stream";

export function httpFetch(url: string, init: RequestInit = {}): Promise<Response> {
  const headers: Record<string, string> = {};
  new Headers(init.headers).forEach((value, name) => {
    headers[name] = value;
  });
  return new Promise((resolve, reject) => {
    const request = http.get(url, { agent: false, headers }, (response) => {
      const responseHeaders = new Headers();
      for (const [name, value] of Object.entries(response.headers)) {
        if (value !== undefined)
          responseHeaders.set(name, Array.isArray(value) ? value.join(", ") : value);
      }
      resolve(
        new Response(Readable.toWeb(response) as ReadableStream<Uint8Array>, {
          status: response.statusCode ?? 0,
          headers: responseHeaders,
        }),
      );
    });
    request.on("error", reject);
    init.signal?.addEventListener("abort", () => request.destroy(), { once: true });
  });
}
