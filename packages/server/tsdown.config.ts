import { defineConfig } from "tsdown";

// The server as plain JavaScript for Node, one output file per source file (`unbundle`), so
// `import.meta.url` of each module still finds what lies beside it: the SQL migrations (copied
// next to the stores) and the inspector UI (copied to dist/ui by scripts/build.mjs).
// Dependencies stay external: they are installed with the package.
export default defineConfig({
  entry: ["src/index.ts", "src/main.ts", "src/cli/commands.ts"],
  unbundle: true,
  format: ["esm"],
  platform: "node",
  target: "node20",
  fixedExtension: false,
  dts: false,
  sourcemap: true,
  clean: true,
  copy: [
    { from: "src/store/sqlite/migrations", to: "dist/store/sqlite" },
    { from: "src/store/postgres/migrations", to: "dist/store/postgres" },
  ],
});
