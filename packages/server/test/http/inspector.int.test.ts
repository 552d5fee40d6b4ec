/**
 * The inspector's static files at /ui (routes/inspector.ts): content types, caching, the SPA
 * fallback, the problem when the UI is not built, and path traversal refused — over real
 * HTTP, with raw request paths no client normalised first.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import Fastify, { type FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { installProblemHandlers } from "../../src/http/problems.ts";
import { inspectorRoutes } from "../../src/http/routes/inspector.ts";
import { startTestServer } from "../helpers/server.ts";

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** GET with the path sent byte for byte (fetch would resolve `..` before sending). */
function rawGet(port: number, path: string, headers: Record<string, string> = {}): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port, path, method: "GET", headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        body += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("inspector static files at /ui", () => {
  let root: string;
  let dist: string;
  let app: FastifyInstance;
  let port: number;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), "runline-inspector-"));
    dist = join(root, "dist");
    await writeFile(join(root, "secret.txt"), "TOP SECRET");
    app = Fastify();
    installProblemHandlers(app);
    inspectorRoutes(app.withTypeProvider<ZodTypeProvider>(), { distDir: dist });
    await app.listen({ port: 0, host: "127.0.0.1" });
    const address = app.server.address();
    assert.ok(address && typeof address === "object");
    port = address.port;
  });

  after(async () => {
    await app.close();
    await rm(root, { recursive: true, force: true });
  });

  test("without a build: 503 problem saying how to build it", async () => {
    const res = await rawGet(port, "/ui");
    assert.equal(res.status, 503);
    assert.match(String(res.headers["content-type"]), /application\/problem\+json/);
    const body = JSON.parse(res.body);
    assert.equal(body.code, "inspector_not_built");
    assert.match(body.detail, /npm run build -w @runline\/inspector/);
  });

  test("a build made while the server runs is served; SPA paths get index.html", async () => {
    await mkdir(join(dist, "assets"), { recursive: true });
    await writeFile(join(dist, "index.html"), "<!doctype html><title>ui</title>");
    await writeFile(join(dist, "assets", "index-abc.js"), "console.log(1)");
    await writeFile(join(dist, "assets", "index-abc.css"), "body{}");
    await writeFile(join(dist, ".env"), "HIDDEN=1");

    for (const path of ["/ui", "/ui/", "/ui/conversations/c/runs/r", "/ui/runs/run_1?x=1"]) {
      const res = await rawGet(port, path);
      assert.equal(res.status, 200, path);
      assert.equal(res.headers["content-type"], "text/html; charset=utf-8", path);
      assert.equal(res.headers["cache-control"], "no-cache", path);
      assert.match(String(res.headers["content-security-policy"]), /default-src 'self'/);
      assert.equal(res.headers["x-content-type-options"], "nosniff");
      assert.equal(res.body, "<!doctype html><title>ui</title>");
    }
  });

  test("assets: content type, immutable caching, ETag revalidation", async () => {
    const js = await rawGet(port, "/ui/assets/index-abc.js");
    assert.equal(js.status, 200);
    assert.equal(js.headers["content-type"], "text/javascript; charset=utf-8");
    assert.equal(js.headers["cache-control"], "public, max-age=31536000, immutable");
    const css = await rawGet(port, "/ui/assets/index-abc.css");
    assert.equal(css.headers["content-type"], "text/css; charset=utf-8");
    const again = await rawGet(port, "/ui/assets/index-abc.js", {
      "if-none-match": String(js.headers.etag),
    });
    assert.equal(again.status, 304);
    assert.equal(again.body, "");
  });

  test("unknown files, dot files and traversal attempts are 404 problems", async () => {
    for (const path of [
      "/ui/assets/missing.js",
      "/ui/missing.png",
      "/ui/.env",
      "/ui/../secret.txt",
      "/ui/%2e%2e/secret.txt",
      "/ui/..%2fsecret.txt",
      "/ui/assets/..%2f..%2fsecret.txt",
      "/ui/%2e%2e%5csecret.txt",
      "/ui/a%00.js",
      "/ui/%E0%A4%A",
    ]) {
      const res = await rawGet(port, path);
      assert.notEqual(res.status, 200, path);
      assert.ok(!res.body.includes("TOP SECRET"), path);
      assert.ok(!res.body.includes("HIDDEN"), path);
      if (res.status === 404) {
        assert.match(String(res.headers["content-type"]), /application\/problem\+json/, path);
      }
    }
  });
});

describe("inspector inside the Runline app", () => {
  test("/ui needs no credential (the UI asks for the key itself)", async () => {
    const server = await startTestServer();
    try {
      const res = await fetch(`${server.url}/ui/`);
      // 200 when the inspector is built, 503 when it is not; never 401.
      assert.ok([200, 503].includes(res.status), `status ${res.status}`);
      assert.equal(res.headers.get("www-authenticate"), null);
    } finally {
      await server.close();
    }
  });
});
