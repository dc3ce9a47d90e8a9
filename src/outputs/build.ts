// Channels from the resolved config, in Falco's order: stdout, file, program, http.
import type { OutputsConfig } from '../config/index.ts'
import { createFileChannel } from './file.ts'
import { createHttpChannel } from './http.ts'
import { createProgramChannel, type ProgramOptions } from './program.ts'
import { createStdoutChannel } from './stdout.ts'
import type { OutputChannel } from './types.ts'

export interface BuildChannelsOptions {
  json: boolean
  stdout?: NodeJS.WritableStream
  onProgramExit?: ProgramOptions['onExit']
}

/** Throws ConfigError when an enabled channel's settings cannot work (bad URL, unreadable CA). */
export function buildChannels (cfg: OutputsConfig, opts: BuildChannelsOptions): OutputChannel[] {
  const out: OutputChannel[] = []
  if (cfg.stdout.enabled) out.push(createStdoutChannel({ stream: opts.stdout, buffered: cfg.buffered }))
  if (cfg.file.enabled) out.push(createFileChannel({ filename: cfg.file.filename, keepAlive: cfg.file.keepAlive }))
  if (cfg.program.enabled) out.push(createProgramChannel({ program: cfg.program.program, keepAlive: cfg.program.keepAlive, timeoutMs: cfg.program.timeoutMs, onExit: opts.onProgramExit }))
  if (cfg.http.enabled) out.push(createHttpChannel({ ...cfg.http, contentType: opts.json ? 'application/json' : 'text/plain' }))
  return out
}
