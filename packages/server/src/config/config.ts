import { z } from "zod";

/**
 * Every setting Runline reads, in one place. Values come from environment variables, are
 * validated once at start, and a bad value stops the server with a message naming the variable.
 */
const intFromEnv = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, "must be a whole number")
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

const boolFromEnv = z
  .enum(["true", "false", "1", "0", "yes", "no"])
  .transform((v) => v === "true" || v === "1" || v === "yes");

/** `5s,5m,30m,2h` (units ms, s, m, h; a bare 0 is allowed): a list of delays in milliseconds. */
const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };
const durationList = z
  .string()
  .trim()
  .transform((value, ctx) => {
    const delays: number[] = [];
    for (const item of value.split(",").map((d) => d.trim())) {
      const match = /^(\d{1,9})(ms|s|m|h)?$/.exec(item);
      if (!match || (match[2] === undefined && match[1] !== "0")) {
        ctx.addIssue({
          code: "custom",
          message: `"${item}" is not a duration like 500ms, 5s, 5m or 2h`,
        });
        return z.NEVER;
      }
      delays.push(Number(match[1]) * UNIT_MS[match[2] ?? "ms"]!);
    }
    if (delays.length > 20) {
      ctx.addIssue({ code: "custom", message: "must list at most 20 delays" });
      return z.NEVER;
    }
    return delays;
  });

const EnvSchema = z.object({
  PORT: intFromEnv(0, 65535).default(8787),
  HOST: z.string().trim().min(1).default("0.0.0.0"),
  DATABASE_URL: z
    .string()
    .trim()
    .regex(/^postgres(ql)?:\/\//, "must be a postgres:// or postgresql:// URL")
    .optional(),
  RUNLINE_DATA_DIR: z.string().trim().min(1).default("./data"),
  RUNLINE_SQLITE_SYNCHRONOUS: z.enum(["NORMAL", "FULL"]).default("FULL"),
  RUNLINE_PG_POOL_SIZE: intFromEnv(1, 1000).default(10),
  RUNLINE_PG_PREPARED_STATEMENTS: boolFromEnv.default(true),
  RUNLINE_PG_STATEMENT_TIMEOUT_MS: intFromEnv(100, 600_000).default(30_000),
  RUNLINE_BOOTSTRAP_KEY: z
    .string()
    .trim()
    .regex(
      /^vf_[A-Za-z0-9]{1,32}_\S{16,}$/,
      "must look like vf_<prefix>_<secret>: a prefix of 1-32 letters/digits and a secret of at least 16 characters",
    )
    .optional(),
  RUNLINE_JWT_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
  RUNLINE_JWKS_URL: z.url().optional(),
  RUNLINE_JWT_ISSUER: z
    .string()
    .min(1)
    .refine((v) => v !== "runline", 'must not be "runline" (reserved for Runline\'s own tokens)')
    .optional(),
  RUNLINE_JWT_AUDIENCE: z.string().min(1).optional(),
  RUNLINE_JWT_CLOCK_TOLERANCE_S: intFromEnv(0, 3600).default(5),
  RUNLINE_JWKS_COOLDOWN_S: intFromEnv(0, 3600).default(30),
  RUNLINE_RUN_EVENT_TOKEN_TTL_S: intFromEnv(60, 86_400).default(3600),
  RUNLINE_BODY_LIMIT_BYTES: intFromEnv(1024, 1024 * 1024 * 1024).default(10 * 1024 * 1024),
  RUNLINE_SSE_HEARTBEAT_MS: intFromEnv(100, 3_600_000).default(15_000),
  RUNLINE_SSE_MAX_STREAMS: intFromEnv(1, 1_000_000).default(20_000),
  RUNLINE_SSE_MAX_STREAMS_PER_CREDENTIAL: intFromEnv(1, 1_000_000).default(2_000),
  RUNLINE_SSE_MAX_STREAMS_PER_PROJECT: intFromEnv(1, 1_000_000).optional(),
  RUNLINE_SSE_MAX_BUFFERED_EVENTS: intFromEnv(16, 1_000_000).default(10_000),
  RUNLINE_SSE_MAX_BUFFERED_BYTES: intFromEnv(64 * 1024, 1024 * 1024 * 1024).default(
    8 * 1024 * 1024,
  ),
  RUNLINE_SNAPSHOT_MAX_BYTES: intFromEnv(1024, 1024 * 1024 * 1024).default(128 * 1024 * 1024),
  RUNLINE_SNAPSHOT_CONCURRENCY: intFromEnv(1, 64).default(2),
  RUNLINE_BODY_TIMEOUT_MS: intFromEnv(100, 3_600_000).default(30_000),
  RUNLINE_CORS_ORIGINS: z
    .string()
    .trim()
    .transform((v, ctx) => {
      if (v === "*") return "*" as const;
      const origins = v
        .split(",")
        .map((o) => o.trim())
        .filter((o) => o !== "");
      for (const origin of origins) {
        if (!/^https?:\/\/[^/\s]+$/.test(origin)) {
          ctx.addIssue({
            code: "custom",
            message: `${origin} is not an origin (scheme://host[:port])`,
          });
        }
      }
      return origins;
    })
    .optional(),
  RUNLINE_SSE_RECHECK_MS: intFromEnv(50, 3_600_000).default(5_000),
  RUNLINE_RATE_LIMIT_PER_MINUTE: intFromEnv(0, 100_000_000).default(0),
  RUNLINE_WORKER_INACTIVE_AFTER_S: intFromEnv(5, 86_400).default(60),
  /** How often expired input requests are written down (docs/api.md §7: within 5 s). */
  RUNLINE_INPUT_REQUEST_SWEEP_MS: intFromEnv(50, 5_000).default(1_000),
  RUNLINE_SHUTDOWN_GRACE_MS: intFromEnv(0, 600_000).default(10_000),
  RUNLINE_RETENTION_DAYS: intFromEnv(0, 36_500).default(0),
  RUNLINE_TOMBSTONE_DAYS: intFromEnv(30, 36_500).default(30),
  RUNLINE_SWEEP_INTERVAL_MS: intFromEnv(0, 86_400_000).default(60_000),
  RUNLINE_SWEEP_BATCH_ROWS: intFromEnv(10, 100_000).default(200),
  RUNLINE_WEBHOOKS_ALLOW_PRIVATE: boolFromEnv.default(false),
  RUNLINE_WEBHOOK_RETRY_SCHEDULE: durationList.default([
    5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 50_400_000,
  ]),
  RUNLINE_WEBHOOK_TIMEOUT_MS: intFromEnv(100, 60_000).default(10_000),
  RUNLINE_WEBHOOK_POLL_MS: intFromEnv(10, 60_000).default(1_000),
  RUNLINE_WEBHOOK_DELIVERY_DAYS: intFromEnv(1, 36_500).default(30),
  RUNLINE_LOG_LEVEL: z
    .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"])
    .default("info"),
  RUNLINE_TRUST_PROXY: boolFromEnv.default(false),
  // Tracing (docs/api.md §11): the standard OpenTelemetry variables that decide whether the SDK is
  // loaded at all; the SDK itself reads the rest (headers, timeouts, sampler, resource).
  OTEL_SDK_DISABLED: boolFromEnv.default(false),
  OTEL_TRACES_EXPORTER: z
    .string()
    .trim()
    .transform((v, ctx) => {
      const names = v
        .split(",")
        .map((n) => n.trim())
        .filter((n) => n !== "");
      for (const name of names) {
        if (!["otlp", "console", "none"].includes(name)) {
          ctx.addIssue({
            code: "custom",
            message: `${name}: Runline knows otlp, console and none`,
          });
        }
      }
      return names.includes("none") ? [] : (names as ("otlp" | "console")[]);
    })
    .optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.url().optional(),
  OTEL_EXPORTER_OTLP_PROTOCOL: z.string().trim().optional(),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: z.string().trim().optional(),
});

export type Config = {
  port: number;
  host: string;
  databaseUrl: string | undefined;
  dataDir: string;
  sqliteSynchronous: "NORMAL" | "FULL";
  pgPoolSize: number;
  /** PostgreSQL: send the append path's statements as named prepared statements. */
  pgPreparedStatements: boolean;
  pgStatementTimeoutMs: number;
  bootstrapKey: string | undefined;
  jwt: {
    secret: string | undefined;
    jwksUrl: string | undefined;
    issuer: string | undefined;
    audience: string | undefined;
    clockToleranceSeconds: number;
    /** Least time between two JWKS fetches caused by tokens with an unknown `kid`. */
    jwksCooldownSeconds: number;
  };
  /** Lifetime of run event-writer tokens. */
  runEventTokenTtlSeconds: number;
  bodyLimitBytes: number;
  /** A request body must have arrived this long after its head (408 otherwise). */
  bodyTimeoutMs: number;
  /** Origins allowed to call from a browser (CORS); undefined: no CORS headers. */
  corsOrigins: string[] | "*" | undefined;
  snapshot: {
    /** A run whose log is larger (JSON bytes) gets 400 snapshot_too_large. */
    maxBytes: number;
    /** Snapshots built at once; more wait their turn. */
    concurrency: number;
  };
  sse: {
    heartbeatMs: number;
    maxStreams: number;
    maxStreamsPerCredential: number;
    /** Default: half of `maxStreams`, so one project cannot take every slot. */
    maxStreamsPerProject: number;
    maxBufferedEvents: number;
    /** Bytes of frames a stream may queue for a socket that does not drain. */
    maxBufferedBytes: number;
    /** PostgreSQL: how often followed runs are re-checked in case a NOTIFY was lost. */
    recheckMs: number;
  };
  rateLimitPerMinute: number;
  workerInactiveAfterSeconds: number;
  inputRequestSweepMs: number;
  shutdownGraceMs: number;
  logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  trustProxy: boolean;
  /** docs/api.md §9: deletion of ended runs after a retention period, and tombstones. */
  retention: {
    /** Server default for projects without their own setting; 0 = keep forever. */
    days: number;
    /** How long a deleted run keeps answering 410 (at least 30 days). */
    tombstoneDays: number;
    /** Between sweeps; 0 turns the background sweeper off. */
    sweepIntervalMs: number;
    /** Most rows one sweeper transaction deletes. */
    batchRows: number;
  };
  /** docs/api.md §10. */
  webhooks: {
    /** Targets may be loopback, private or link-local addresses (tests, private setups). */
    allowPrivate: boolean;
    /** Delays before each retry (ms); after the last one a delivery is `failed`. */
    retryScheduleMs: number[];
    /** One attempt: connect to response (2xx within it = delivered). */
    timeoutMs: number;
    /** Longest wait of the deliverer between two looks for due deliveries. */
    pollMs: number;
    /** Finished (delivered or failed) deliveries are forgotten after this many days. */
    deliveryRetentionDays: number;
  };
  /** docs/api.md §11: where spans go; no exporter → the OpenTelemetry SDK is never loaded. */
  tracing: TracingConfig;
};

export interface TracingConfig {
  /** Empty: tracing off (no SDK import, no spans, no cost). */
  exporters: ("otlp" | "console")[];
  /** Said once at start when a setting is taken differently than written (e.g. the protocol). */
  warning: string | undefined;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** Reads the configuration from an environment (process.env by default); empty strings count as unset. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const present = Object.fromEntries(
    Object.entries(env).filter(([k, v]) => k in EnvSchema.shape && v !== undefined && v !== ""),
  );
  const parsed = EnvSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`),
    );
  }
  const e = parsed.data;
  return {
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    dataDir: e.RUNLINE_DATA_DIR,
    sqliteSynchronous: e.RUNLINE_SQLITE_SYNCHRONOUS,
    pgPoolSize: e.RUNLINE_PG_POOL_SIZE,
    pgPreparedStatements: e.RUNLINE_PG_PREPARED_STATEMENTS,
    pgStatementTimeoutMs: e.RUNLINE_PG_STATEMENT_TIMEOUT_MS,
    bootstrapKey: e.RUNLINE_BOOTSTRAP_KEY,
    jwt: {
      secret: e.RUNLINE_JWT_SECRET,
      jwksUrl: e.RUNLINE_JWKS_URL,
      issuer: e.RUNLINE_JWT_ISSUER,
      audience: e.RUNLINE_JWT_AUDIENCE,
      clockToleranceSeconds: e.RUNLINE_JWT_CLOCK_TOLERANCE_S,
      jwksCooldownSeconds: e.RUNLINE_JWKS_COOLDOWN_S,
    },
    runEventTokenTtlSeconds: e.RUNLINE_RUN_EVENT_TOKEN_TTL_S,
    bodyLimitBytes: e.RUNLINE_BODY_LIMIT_BYTES,
    bodyTimeoutMs: e.RUNLINE_BODY_TIMEOUT_MS,
    corsOrigins: e.RUNLINE_CORS_ORIGINS,
    snapshot: {
      maxBytes: e.RUNLINE_SNAPSHOT_MAX_BYTES,
      concurrency: e.RUNLINE_SNAPSHOT_CONCURRENCY,
    },
    sse: {
      heartbeatMs: e.RUNLINE_SSE_HEARTBEAT_MS,
      maxStreams: e.RUNLINE_SSE_MAX_STREAMS,
      maxStreamsPerCredential: e.RUNLINE_SSE_MAX_STREAMS_PER_CREDENTIAL,
      maxStreamsPerProject:
        e.RUNLINE_SSE_MAX_STREAMS_PER_PROJECT ??
        Math.max(1, Math.floor(e.RUNLINE_SSE_MAX_STREAMS / 2)),
      maxBufferedEvents: e.RUNLINE_SSE_MAX_BUFFERED_EVENTS,
      maxBufferedBytes: e.RUNLINE_SSE_MAX_BUFFERED_BYTES,
      recheckMs: e.RUNLINE_SSE_RECHECK_MS,
    },
    rateLimitPerMinute: e.RUNLINE_RATE_LIMIT_PER_MINUTE,
    workerInactiveAfterSeconds: e.RUNLINE_WORKER_INACTIVE_AFTER_S,
    inputRequestSweepMs: e.RUNLINE_INPUT_REQUEST_SWEEP_MS,
    shutdownGraceMs: e.RUNLINE_SHUTDOWN_GRACE_MS,
    logLevel: e.RUNLINE_LOG_LEVEL,
    trustProxy: e.RUNLINE_TRUST_PROXY,
    retention: {
      days: e.RUNLINE_RETENTION_DAYS,
      tombstoneDays: e.RUNLINE_TOMBSTONE_DAYS,
      sweepIntervalMs: e.RUNLINE_SWEEP_INTERVAL_MS,
      batchRows: e.RUNLINE_SWEEP_BATCH_ROWS,
    },
    webhooks: {
      allowPrivate: e.RUNLINE_WEBHOOKS_ALLOW_PRIVATE,
      retryScheduleMs: e.RUNLINE_WEBHOOK_RETRY_SCHEDULE,
      timeoutMs: e.RUNLINE_WEBHOOK_TIMEOUT_MS,
      pollMs: e.RUNLINE_WEBHOOK_POLL_MS,
      deliveryRetentionDays: e.RUNLINE_WEBHOOK_DELIVERY_DAYS,
    },
    tracing: tracingConfig(e),
  };
}

/**
 * Tracing is on when an exporter is named (`OTEL_TRACES_EXPORTER`) or, unnamed, when an OTLP
 * endpoint is set. Unlike the SDK's own default (`otlp` to localhost), an unconfigured server
 * exports nothing: most installations have no collector, and tracing must cost nothing there.
 * Runline sends OTLP/HTTP with JSON bodies, which every OTLP/HTTP receiver accepts; gRPC is
 * refused (it would go to another port and fail silently).
 */
function tracingConfig(e: z.infer<typeof EnvSchema>): TracingConfig {
  const off: TracingConfig = { exporters: [], warning: undefined };
  if (e.OTEL_SDK_DISABLED) return off;
  const exporters =
    e.OTEL_TRACES_EXPORTER ??
    (e.OTEL_EXPORTER_OTLP_ENDPOINT || e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
      ? ["otlp" as const]
      : []);
  if (!exporters.includes("otlp")) return { exporters, warning: undefined };
  const protocol = e.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? e.OTEL_EXPORTER_OTLP_PROTOCOL;
  if (protocol === "grpc") {
    throw new ConfigError([
      "OTEL_EXPORTER_OTLP_PROTOCOL: grpc is not supported: Runline exports OTLP/HTTP (http/json); point OTEL_EXPORTER_OTLP_ENDPOINT at the collector's HTTP port (4318)",
    ]);
  }
  const warning =
    protocol !== undefined && protocol !== "http/json"
      ? `OTEL_EXPORTER_OTLP_PROTOCOL=${protocol}: Runline exports OTLP/HTTP with JSON bodies (http/json), which OTLP/HTTP receivers accept as well`
      : undefined;
  return { exporters, warning };
}
