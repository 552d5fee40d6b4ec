/**
 * `npm start`: runs Runline as a process. Configuration comes from the environment
 * (see config/config.ts and the README); SIGTERM/SIGINT shut down gracefully.
 */
import type { AddressInfo } from "node:net";
import { type Config, ConfigError, loadConfig } from "./config/config.ts";
import { createServer } from "./server.ts";
import { describeStore } from "./store/open-store.ts";

async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`runline: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  // The first project and its one-time admin key are created only once the port is bound:
  // a start that fails to listen must not print (and so waste) the key.
  const server = await createServer(config, { deferBootstrap: true });
  const { app } = server;
  try {
    await app.listen({ port: config.port, host: config.host });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === "EADDRINUSE"
        ? "is already in use (another Runline?); set PORT to another port"
        : code === "EACCES"
          ? "may not be used by this user; set PORT to a port above 1023"
          : code === "EADDRNOTAVAIL"
            ? "is not an address of this machine; check HOST"
            : undefined;
    if (!reason) throw error;
    process.stderr.write(`runline: cannot listen on ${config.host}:${config.port}: it ${reason}\n`);
    await server.close();
    process.exit(1);
  }
  const generatedKey = await server.bootstrap();
  process.stdout.write(startupBanner(config, (app.server.address() as AddressInfo).port));
  if (generatedKey) {
    process.stdout.write(
      `\nRunline created a project and its admin API key. It is shown only this once:\n\n  ${generatedKey}\n\n`,
    );
  }
  app.log.info(
    { store: server.store.dialect, port: config.port, host: config.host },
    "runline is serving",
  );

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, "shutting down: finishing in-flight requests");
    const force = setTimeout(() => {
      app.log.warn("shutdown grace period over; exiting");
      process.exit(1);
    }, config.shutdownGraceMs);
    force.unref();
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        app.log.error({ err: error }, "error during shutdown");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

/** The lines a person reads at start: where to point a browser, and which database is in use. */
function startupBanner(config: Config, port: number): string {
  // A wildcard address is not something to type into a browser; localhost reaches it.
  const wildcard = ["0.0.0.0", "::", "[::]"].includes(config.host);
  const host = wildcard
    ? "localhost"
    : config.host.includes(":")
      ? `[${config.host}]`
      : config.host;
  const base = `http://${host}:${port}`;
  return (
    `Runline is listening on ${config.host}:${port}\n` +
    `  inspector  ${base}/ui\n` +
    `  API docs   ${base}/docs\n` +
    `  database   ${describeStore(config)}\n`
  );
}

main().catch((error: unknown) => {
  process.stderr.write(
    `runline: failed to start: ${error instanceof Error ? error.stack : String(error)}\n`,
  );
  process.exit(1);
});
