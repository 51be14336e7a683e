/** Seconds as `1m05s` / `42s`, `?` when unknown. */
export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.round(s)}s`;
}

/** A status line on stderr that redraws in place on a terminal and logs every 10 s otherwise. */
export interface ProgressWriter {
  /** Replaces the status line (throttled). */
  update(line: string): void;
  /** Prints a line above the status line. */
  log(line: string): void;
  /** Ends the status line. */
  done(): void;
}

export function createProgressWriter(stream: NodeJS.WriteStream = process.stderr): ProgressWriter {
  const tty = stream.isTTY === true;
  let last = 0;
  let shown = '';
  return {
    update(line) {
      const now = Date.now();
      shown = line;
      if (now - last < (tty ? 200 : 10_000)) return;
      last = now;
      stream.write(tty ? `\r${line}\x1b[K` : `${line}\n`);
    },
    log(line) {
      stream.write(tty ? `\r${line}\x1b[K\n${shown}` : `${line}\n`);
    },
    done() {
      if (tty && shown) stream.write(`\r${shown}\x1b[K\n`);
      else if (shown) stream.write(`${shown}\n`);
      shown = '';
    },
  };
}
