// The file channel: appends one alert per line. keep_alive true keeps the file open (reopened on
// SIGHUP for log rotation); false opens and closes it for every write, as Falco does, so rotation
// needs no signal at all.
import { open, type FileHandle } from 'node:fs/promises'
import type { OutputChannel } from './types.ts'

export interface FileOptions { filename: string, keepAlive: boolean }

// Alerts carry user names, command lines and request paths: a new file is not world-readable. The
// mode applies only on creation; an existing file keeps the permissions its owner gave it.
export const NEW_FILE_MODE = 0o640

export function createFileChannel (opts: FileOptions): OutputChannel {
  let handle: FileHandle | undefined
  let stale: FileHandle[] = []
  // the queue runs one send at a time; reopen closes at once only when none is writing
  let sending = false

  async function closeStale (): Promise<void> {
    const old = stale
    stale = []
    await Promise.allSettled(old.map(async (h) => { await h.close() }))
  }

  return {
    name: 'file',
    async send (lines) {
      sending = true
      try {
        await closeStale()
        const data = lines.join('\n') + '\n'
        if (!opts.keepAlive) {
          const h = await open(opts.filename, 'a', NEW_FILE_MODE)
          try { await h.appendFile(data) } finally { await h.close() }
          return
        }
        handle ??= await open(opts.filename, 'a', NEW_FILE_MODE)
        await handle.appendFile(data)
      } finally {
        sending = false
        // a reopen during this write left the old handle for us
        if (stale.length > 0) await closeStale()
      }
    },
    reopen () {
      if (handle !== undefined) stale.push(handle)
      handle = undefined
      // A rotated (often deleted) file must not stay open until the next alert, holding its disk
      // space; while a write is in progress, that send closes it when done, so no write races the close.
      if (!sending) void closeStale()
    },
    async close () {
      if (handle !== undefined) stale.push(handle)
      handle = undefined
      await closeStale()
    }
  }
}
