/**
 * Where CLI commands write. Every command takes an `Out` instead of touching process.stdout, so
 * tests capture exactly what a user would see. With `--json` a command prints one JSON document on
 * stdout (errors too, as `{error, details?}`); without it, human text on stdout and problems on stderr.
 */

export interface Out {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Spinners only draw on a terminal. */
  stderrIsTTY: boolean;
}

export function processOut(): Out {
  return {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    stderrIsTTY: process.stderr.isTTY === true,
  };
}

export interface BufferedOut extends Out {
  readonly stdoutText: string;
  readonly stderrText: string;
  /** stdout parsed as JSON (for `--json` assertions). */
  json<T = unknown>(): T;
}

/** An Out that keeps everything in memory; for tests and for callers that post-process output. */
export function bufferOut(options: { stderrIsTTY?: boolean } = {}): BufferedOut {
  let stdoutText = '';
  let stderrText = '';
  return {
    stdout: (text) => void (stdoutText += text),
    stderr: (text) => void (stderrText += text),
    stderrIsTTY: options.stderrIsTTY ?? false,
    get stdoutText() {
      return stdoutText;
    },
    get stderrText() {
      return stderrText;
    },
    json<T>() {
      return JSON.parse(stdoutText) as T;
    },
  };
}

/** What every command knows about how to print. */
export interface Printer {
  out: Out;
  json: boolean;
}

export function printJson(out: Out, value: unknown): void {
  out.stdout(`${JSON.stringify(value, null, 2)}\n`);
}

export function printLine(out: Out, text = ''): void {
  out.stdout(`${text}\n`);
}

/**
 * Reports a failure the way the mode asks for and returns exit code 1, so a command ends with
 * `return fail(p, 'message')`.
 */
export function fail(
  p: Printer,
  error: string,
  details?: unknown,
  extra: Record<string, unknown> = {},
): number {
  if (p.json) {
    printJson(p.out, { error, ...(details === undefined ? {} : { details }), ...extra });
  } else {
    p.out.stderr(`error: ${error}\n`);
    if (Array.isArray(details)) for (const d of details) p.out.stderr(`  ${String(d)}\n`);
  }
  return 1;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Left-aligned columns for human tables. */
export function table(rows: string[][], indent = ''): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows
    .map((row) =>
      `${indent}${row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ')}`.trimEnd(),
    )
    .map((line) => `${line}\n`)
    .join('');
}

export interface Spinner {
  stop(): void;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** A one-line spinner on stderr while something runs; a no-op unless stderr is a terminal and output is human. */
export function startSpinner(p: Printer, label: string, intervalMs = 100): Spinner {
  if (p.json || !p.out.stderrIsTTY) return { stop: () => undefined };
  let frame = 0;
  const started = Date.now();
  const draw = () => {
    const secs = Math.floor((Date.now() - started) / 1000);
    p.out.stderr(`\r${FRAMES[frame++ % FRAMES.length]} ${label} ${secs}s`);
  };
  draw();
  const timer = setInterval(draw, intervalMs);
  timer.unref?.();
  return {
    stop() {
      clearInterval(timer);
      p.out.stderr('\r\x1b[2K');
    },
  };
}
