// The file channel: appends one alert per line. keep_alive true keeps the file open (reopened on
// SIGHUP for log rotation); false opens and closes it for every write, as Falco does, so rotation
// needs no signal at all.
import { open, type FileHandle } from 'node:fs/promises'
import type { OutputChannel } from './types.ts'

export interface FileOptions { filename: string, keepAlive: boolean }

export function createFileChannel (opts: FileOptions): OutputChannel {
  let handle: FileHandle | undefined
  let stale: FileHandle[] = []

  async function closeStale (): Promise<void> {
    const old = stale
    stale = []
    await Promise.allSettled(old.map(async (h) => { await h.close() }))
  }

  return {
    name: 'file',
    async send (lines) {
      await closeStale()
      const data = lines.join('\n') + '\n'
      if (!opts.keepAlive) {
        const h = await open(opts.filename, 'a')
        try { await h.appendFile(data) } finally { await h.close() }
        return
      }
      handle ??= await open(opts.filename, 'a')
      await handle.appendFile(data)
    },
    reopen () {
      // closed lazily by the next send, which runs on the channel's worker: no write races it
      if (handle !== undefined) stale.push(handle)
      handle = undefined
    },
    async close () {
      if (handle !== undefined) stale.push(handle)
      handle = undefined
      await closeStale()
    }
  }
}
