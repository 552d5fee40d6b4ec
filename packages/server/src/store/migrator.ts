/**
 * The one migration runner of both stores (after Kysely's `Migrator`): numbered SQL files
 * (`NNN_name.sql` in each store's `migrations/` folder) applied in order, each in a transaction
 * with its `schema_migrations` record, under a lock that keeps other migrators out. The store
 * supplies a {@link MigrationDriver} (`sqlite/migrate.ts`, `postgres/migrate.ts`); the rules are
 * here, the same for both:
 *
 * - two files with one version are refused (which one would win is an accident of ordering);
 * - a gap in the numbering is refused (a migration file lost in a merge or a rename), except the
 *   versions listed as never used ({@link UNUSED_VERSIONS});
 * - a version the database applied but the code does not have, below the code's newest, is
 *   refused (the code lost a migration the schema has). Versions above the code's newest are
 *   tolerated: the database was migrated by newer code (a rolling upgrade), and this code has
 *   nothing to apply;
 * - out-of-order application is refused: a pending migration older than one already applied
 *   (a branch merged after a later migration ran) would run against a schema it was not
 *   written for. Such a migration must be renumbered after the applied ones.
 *
 * Every check runs before anything is applied, so a refused set changes nothing.
 */
import { readdir, readFile } from "node:fs/promises";

export interface Migration {
  readonly version: number;
  /** The file name, recorded in `schema_migrations`. */
  readonly name: string;
  readonly sql: string;
}

/**
 * Versions that no migration uses, so their absence is not a gap: 004 was reserved for a
 * change that never landed, and no released schema has it.
 */
export const UNUSED_VERSIONS: readonly number[] = [4];

/** What a store provides: its lock, its `schema_migrations` table and a transactional apply. */
export interface MigrationDriver {
  /**
   * Runs `fn` holding the lock that keeps other migrators of this database out until it ends
   * (PostgreSQL: a session advisory lock; SQLite: one process-local writer, and the file's
   * write lock for each migration's transaction).
   */
  withLock<T>(fn: () => Promise<T>): Promise<T>;
  /** Creates `schema_migrations` if it does not exist. */
  ensureTable(): Promise<void>;
  appliedVersions(): Promise<number[]>;
  /** Runs the migration's SQL and records it, in one transaction: both or neither. */
  apply(migration: Migration): Promise<void>;
}

export class MigrationError extends Error {
  override readonly name = "MigrationError";
}

const FILE_PATTERN = /^(\d+)_.*\.sql$/;

/** The migrations of a folder, in version order (checked by {@link pendingMigrations}). */
export async function readMigrations(dir: URL): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((file) => FILE_PATTERN.test(file));
  const migrations = await Promise.all(
    files.map(async (name) => ({
      version: Number.parseInt(name, 10),
      name,
      sql: await readFile(new URL(name, dir), "utf8"),
    })),
  );
  return migrations.sort((a, b) => a.version - b.version || a.name.localeCompare(b.name));
}

/**
 * The migrations still to apply, in order, given the versions already applied; throws a
 * {@link MigrationError} naming the problem when the set breaks a rule of the module comment.
 * Pure.
 */
export function pendingMigrations(
  available: readonly Migration[],
  applied: readonly number[],
  unused: readonly number[] = UNUSED_VERSIONS,
): Migration[] {
  const sorted = [...available].sort((a, b) => a.version - b.version);
  const byVersion = new Map<number, Migration>();
  for (const migration of sorted) {
    const twin = byVersion.get(migration.version);
    if (twin !== undefined) {
      throw new MigrationError(
        `Migrations ${twin.name} and ${migration.name} share version ${migration.version}: give one of them the next free number`,
      );
    }
    byVersion.set(migration.version, migration);
  }
  const newest = sorted.at(-1)?.version ?? 0;
  const skipped = new Set(unused);
  for (let version = 1; version <= newest; version++) {
    if (!byVersion.has(version) && !skipped.has(version)) {
      throw new MigrationError(
        `Migration version ${version} is missing: the migrations run to ${newest} but no file has number ${pad(version)}`,
      );
    }
  }
  const appliedSet = new Set(applied);
  const lost = [...appliedSet].filter((v) => v <= newest && !byVersion.has(v)).sort(byNumber);
  if (lost.length > 0) {
    throw new MigrationError(
      `The database has migration ${lost.map(pad).join(", ")} applied, which this code does not have`,
    );
  }
  const pending = sorted.filter((migration) => !appliedSet.has(migration.version));
  const latestApplied = Math.max(0, ...appliedSet);
  const early = pending.find((migration) => migration.version < latestApplied);
  if (early !== undefined) {
    throw new MigrationError(
      `Migration ${early.name} is not applied, but the later version ${latestApplied} is: migrations apply in order only; renumber it after ${latestApplied}`,
    );
  }
  return pending;
}

/**
 * Applies what is pending, under the driver's lock (instances starting together take turns; the
 * later ones find nothing to do). Returns the migrations applied.
 */
export async function runMigrations(
  driver: MigrationDriver,
  available: readonly Migration[],
  unused: readonly number[] = UNUSED_VERSIONS,
): Promise<Migration[]> {
  return driver.withLock(async () => {
    await driver.ensureTable();
    const pending = pendingMigrations(available, await driver.appliedVersions(), unused);
    for (const migration of pending) await driver.apply(migration);
    return pending;
  });
}

function pad(version: number): string {
  return String(version).padStart(3, "0");
}

function byNumber(a: number, b: number): number {
  return a - b;
}
