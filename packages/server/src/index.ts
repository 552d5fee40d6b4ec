/**
 * `@runline/server` as a library: build a Runline server from configuration and run it inside
 * your own process (`runline serve` and `npm start` use `main.ts`, which does exactly this).
 */
export { type Config, ConfigError, loadConfig } from "./config/config.ts";
export { createServer, type RunlineServer, type ServerOptions } from "./server.ts";
export { openStore } from "./store/open-store.ts";
