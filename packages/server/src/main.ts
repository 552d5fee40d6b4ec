/**
 * `npm start`: runs Runline as a process. Configuration comes from the environment
 * (see config/config.ts and the README); SIGTERM/SIGINT shut down gracefully.
 */
import { ConfigError, loadConfig } from "./config/config.ts";
import { createServer } from "./server.ts";

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
  const server = await createServer(config);
  const { app } = server;
  if (server.generatedKey) {
    process.stdout.write(
      `\nRunline created a project and its admin API key. It is shown only this once:\n\n  ${server.generatedKey}\n\n`,
    );
  }
  await app.listen({ port: config.port, host: config.host });
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

main().catch((error: unknown) => {
  process.stderr.write(
    `runline: failed to start: ${error instanceof Error ? error.stack : String(error)}\n`,
  );
  process.exit(1);
});
