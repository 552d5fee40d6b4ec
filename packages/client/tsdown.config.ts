import { defineConfig } from "tsdown";

// ESM and CJS with declarations, for Node and browsers alike (plain fetch, no Node built-ins).
// Dependencies and peers stay external; `@runline/contract` is imported for types only.
export default defineConfig({
  entry: ["src/index.ts", "src/agui.ts"],
  format: ["esm", "cjs"],
  platform: "neutral",
  target: "es2022",
  dts: true,
  sourcemap: true,
  clean: true,
});
