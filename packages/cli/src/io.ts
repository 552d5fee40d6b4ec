/**
 * Where a command writes and what it may assume about its terminal. `main.ts` builds the
 * process version; everything else takes an `Io`, so output and colour stay decisions of one
 * place.
 */

export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** Whether stdout gets ANSI colour: a TTY and `NO_COLOR` unset (or empty). */
  readonly colour: boolean;
  readonly env: NodeJS.ProcessEnv;
  /** Where interactive answers are read from (stdin); absent: the command cannot prompt. */
  readonly input?: NodeJS.ReadableStream & { isTTY?: boolean };
  /**
   * A signal aborted by Ctrl-C (SIGINT) or SIGTERM. The handlers are installed on the first
   * call only, so commands that never ask (serve, projects, keys) keep the default behaviour.
   */
  interruption(): AbortSignal;
}

/** Exit statuses of every command. */
export const EXIT = { ok: 0, failure: 1, usage: 2, interrupted: 130 } as const;

/** The process's own `Io`. */
export function processIo(): Io {
  let controller: AbortController | undefined;
  const noColor = process.env.NO_COLOR;
  return {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    colour: process.stdout.isTTY === true && (noColor === undefined || noColor === ""),
    env: process.env,
    input: process.stdin,
    interruption() {
      if (!controller) {
        const own = new AbortController();
        const stop = () => own.abort(new Interrupted());
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
        controller = own;
      }
      return controller.signal;
    },
  };
}

/** The reason of an aborted `interruption()` signal. */
export class Interrupted extends Error {
  override readonly name = "Interrupted";
  constructor() {
    super("interrupted");
  }
}

export interface Style {
  dim(text: string): string;
  bold(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
}

const sgr = (open: number, close: number) => (text: string) =>
  text === "" ? text : `\u001b[${open}m${text}\u001b[${close}m`;
const plain = (text: string) => text;

/** ANSI styles when `colour`, identity functions otherwise. */
export function styleFor(colour: boolean): Style {
  if (!colour) return { dim: plain, bold: plain, red: plain, green: plain, yellow: plain };
  return {
    dim: sgr(2, 22),
    bold: sgr(1, 22),
    red: sgr(31, 39),
    green: sgr(32, 39),
    yellow: sgr(33, 39),
  };
}
