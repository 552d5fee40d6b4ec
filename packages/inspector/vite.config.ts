/**
 * Builds the inspector into `dist/`, which the Runline server serves at `/ui` (see
 * `packages/server/src/http/routes/inspector.ts`). `npm run dev -w @runline/inspector` serves
 * it with hot reload and forwards API calls to a running server (`RUNLINE_URL`, default
 * `http://127.0.0.1:8787`).
 */
import react from "@vitejs/plugin-react";
import { defaultClientConditions, defineConfig } from "vite";

const api = process.env.RUNLINE_URL ?? "http://127.0.0.1:8787";
const apiPaths = ["/runs", "/conversations", "/api-keys", "/healthz", "/readyz"];

export default defineConfig({
  base: "/ui/",
  plugins: [react()],
  // Workspace packages resolve to their TypeScript sources (the `runline-source` export
  // condition), so the UI never bundles a stale build of @runline/client.
  resolve: { conditions: ["runline-source", ...defaultClientConditions] },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    // One small app: a single chunk keeps the served file list short.
    chunkSizeWarningLimit: 1024,
  },
  server: {
    proxy: Object.fromEntries(apiPaths.map((path) => [path, { target: api, changeOrigin: true }])),
  },
});
