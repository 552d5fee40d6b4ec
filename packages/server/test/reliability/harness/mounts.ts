/**
 * Small filesystems for storage-fault tests: a tmpfs that can be made read-only or full and
 * then healed, under the test's own temporary directory. Needs root (or CAP_SYS_ADMIN); every
 * test that uses it first asks `mountUnavailable()` and skips visibly when it cannot mount.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export const isRoot = typeof process.getuid === "function" && process.getuid() === 0;

let probed: Promise<string | false> | undefined;

/** Why tmpfs mounts are not possible here (false when they are). Probed once. */
export function mountUnavailable(): Promise<string | false> {
  probed ??= (async () => {
    if (process.platform !== "linux") return "tmpfs mounts need Linux";
    if (!isRoot) return "mounting a tmpfs needs root";
    const dir = mkdtempSync(join(tmpdir(), "runline-mount-probe-"));
    try {
      await run("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", dir]);
      await run("umount", [dir]);
      return false;
    } catch (error) {
      return `mount -t tmpfs is not permitted here: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  })();
  return probed;
}

export class Tmpfs {
  private constructor(readonly dir: string) {}

  /** Mounts a tmpfs of `sizeMiB` on a fresh directory (read-only when asked). */
  static async mount(sizeMiB: number, readOnly = false): Promise<Tmpfs> {
    const dir = mkdtempSync(join(tmpdir(), "runline-fault-"));
    await run("mount", [
      "-t",
      "tmpfs",
      "-o",
      `size=${sizeMiB}m,mode=0755${readOnly ? ",ro" : ""}`,
      "tmpfs",
      dir,
    ]);
    return new Tmpfs(dir);
  }

  readOnly(): Promise<unknown> {
    return run("mount", ["-o", "remount,ro", this.dir]);
  }

  readWrite(): Promise<unknown> {
    return run("mount", ["-o", "remount,rw", this.dir]);
  }

  /** Grows or shrinks the filesystem: `size` as mount takes it ("64m", "1234k"). */
  resize(size: string): Promise<unknown> {
    return run("mount", ["-o", `remount,size=${size}`, this.dir]);
  }

  /** Unmounts (lazily if still busy) and removes the directory. */
  async dispose(): Promise<void> {
    try {
      await run("umount", [this.dir]);
    } catch {
      await run("umount", ["-l", this.dir]).catch(() => undefined);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * The immutable attribute (`chattr +i`, root only, on ext4/xfs/btrfs): unlike chmod, it stops
 * even root — and writes through descriptors that are already open — which is how a running
 * server's data directory is made read-only under it.
 */
let immutableProbe: Promise<string | false> | undefined;

export function immutableUnavailable(): Promise<string | false> {
  immutableProbe ??= (async () => {
    if (process.platform !== "linux") return "chattr needs Linux";
    if (!isRoot) return "chattr +i needs root (and chmod does not stop writes through open files)";
    const dir = mkdtempSync(join(tmpdir(), "runline-chattr-probe-"));
    try {
      await run("chattr", ["+i", dir]);
      await run("chattr", ["-i", dir]);
      return false;
    } catch (error) {
      return `chattr +i is not supported here: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  })();
  return immutableProbe;
}

/** Sets or clears the immutable attribute on `paths` (those that exist). */
export async function setImmutable(paths: readonly string[], on: boolean): Promise<void> {
  const { existsSync } = await import("node:fs");
  const present = paths.filter((p) => existsSync(p));
  if (present.length > 0) await run("chattr", [on ? "+i" : "-i", ...present]);
}
