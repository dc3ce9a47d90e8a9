// The stdout channel: one alert per line. Unbuffered (Falco's buffered_outputs: false) writes
// each alert as its own write; buffered coalesces whatever is queued into one write.
import { PartialDeliveryError } from './program.ts'
import type { OutputChannel } from './types.ts'

export interface StdoutOptions {
  stream?: NodeJS.WritableStream
  buffered?: boolean
}

function writeChunk (stream: NodeJS.WritableStream, chunk: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    stream.write(chunk, (err) => { if (err === null || err === undefined) resolve(); else reject(err) })
  })
}

export function createStdoutChannel (opts: StdoutOptions = {}): OutputChannel {
  const stream = opts.stream ?? process.stdout
  // When the reader goes away (`lanner serve | jq`, jq exits) writes fail with EPIPE and the stream
  // also emits 'error': unheard, that event would kill the process and every other output with it.
  // A broken stdout never comes back, so later sends fail at once and are counted as failures.
  let broken: Error | undefined
  function stdoutFailed (err: Error): void { broken ??= err }
  stream.on('error', stdoutFailed)

  function lost (failed: number, total: number, err: unknown): PartialDeliveryError {
    const code = (err as NodeJS.ErrnoException).code
    return new PartialDeliveryError(`${failed} of ${total} lines not written to stdout: ${code ?? (err as Error).message}`, failed, err)
  }

  return {
    name: 'stdout',
    async send (lines) {
      if (broken !== undefined) throw lost(lines.length, lines.length, broken)
      if (opts.buffered === true) {
        try { await writeChunk(stream, lines.join('\n') + '\n') } catch (err) { throw lost(lines.length, lines.length, err) }
        return
      }
      // every write's outcome is awaited: a failed early write must not become an unhandled rejection
      const results = await Promise.allSettled(lines.map(async (line) => { await writeChunk(stream, line + '\n') }))
      let failed = 0
      let firstErr: unknown
      for (const r of results) if (r.status === 'rejected') { failed++; firstErr ??= r.reason }
      if (failed > 0) throw lost(failed, lines.length, firstErr)
    },
    async close () {
      // stdout belongs to the process: only our listener goes
      stream.off('error', stdoutFailed)
    }
  }
}
