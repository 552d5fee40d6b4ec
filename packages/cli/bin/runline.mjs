#!/usr/bin/env node
// The `runline` executable: the built command line (dist/, made by `npm run build`).
import "../dist/main.js";
