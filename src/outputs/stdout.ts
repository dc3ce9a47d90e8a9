// The stdout channel: one alert per line. Unbuffered (Falco's buffered_outputs: false) writes
// each alert as its own write; buffered coalesces whatever is queued into one write.
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
  return {
    name: 'stdout',
    async send (lines) {
      if (opts.buffered === true) { await writeChunk(stream, lines.join('\n') + '\n'); return }
      let last: Promise<void> = Promise.resolve()
      for (const line of lines) last = writeChunk(stream, line + '\n')
      await last
    },
    async close () { /* stdout belongs to the process */ }
  }
}
