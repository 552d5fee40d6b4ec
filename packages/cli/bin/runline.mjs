#!/usr/bin/env node
// The `runline` executable: registers tsx so the TypeScript sources run without a build step,
// then hands over to src/main.ts.
import { register } from "tsx/esm/api";

register();
await import("../src/main.ts");
