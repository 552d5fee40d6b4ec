import { defineConfig } from "tsdown";

// The command line as one ESM file per source file; `@runline/server` and `@runline/client`
// stay external (dependencies), so `runline runs …` never loads the server's database drivers.
export default defineConfig({
  entry: ["src/main.ts"],
  unbundle: true,
  format: ["esm"],
  platform: "node",
  target: "node20",
  fixedExtension: false,
  dts: false,
  sourcemap: true,
  clean: true,
});
