import { defineConfig } from "tsdown";

// ESM and CJS with their declarations; zod stays a dependency (never bundled).
export default defineConfig({
  entry: ["src/index.ts"],
  format: ["esm", "cjs"],
  platform: "neutral",
  target: "es2022",
  dts: true,
  sourcemap: true,
  clean: true,
});
