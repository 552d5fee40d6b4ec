/**
 * Line-by-line questions on a terminal or a pipe, for commands that ask a person (`runs
 * answer`). Questions go to stderr, so stdout stays for results. Lines are read through
 * readline's async iterator, which buffers: answers piped in ahead of the questions are kept.
 * A secret answer is not echoed: while it is typed, what readline would echo is dropped.
 */
import { createInterface } from "node:readline";
import { Writable } from "node:stream";

export interface Prompter {
  /** The next line typed (without its newline); undefined when the input has ended. */
  ask(question: string, options?: { secret?: boolean }): Promise<string | undefined>;
  close(): void;
}

export function createPrompter(
  input: NodeJS.ReadableStream & { isTTY?: boolean },
  write: (text: string) => void,
): Prompter {
  let muted = false;
  // readline echoes typed characters to its output on a terminal: that echo is what `muted`
  // suppresses for secrets. The question itself is written directly.
  const echo = new Writable({
    write(chunk, _encoding, done) {
      if (!muted) write(chunk.toString());
      done();
    },
  });
  const lines = createInterface({ input, output: echo, terminal: input.isTTY === true });
  const iterator = lines[Symbol.asyncIterator]();
  return {
    async ask(question, options = {}) {
      write(question);
      muted = options.secret === true;
      try {
        const next = await iterator.next();
        return next.done ? undefined : next.value;
      } finally {
        if (muted && input.isTTY) write("\n");
        muted = false;
      }
    },
    close() {
      lines.close();
    },
  };
}
