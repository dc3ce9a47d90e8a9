// What every command receives and returns. Its own file so the dispatcher (index.ts) and the
// commands it loads (serve.ts, replay.ts, rules.ts, setup.ts) share it without importing each other.

/** The streams a command uses: process in production, buffers in tests. */
export interface CliIO {
  stdout: NodeJS.WritableStream
  stderr: NodeJS.WritableStream
  stdin: NodeJS.ReadableStream
}

/** A command file: `run` returns the exit code. */
export interface CommandModule { run(argv: string[], io: CliIO): Promise<number> }

/**
 * A reader that stops early (`lanner rules list | head`) closes our stdout: a normal end for a
 * command whose only output is stdout, not a crash.
 */
export function quietOnClosedStdout (err: NodeJS.ErrnoException): void {
  if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') process.exit(0)
  throw err
}
