// The minimum upload rate: a request's body must keep arriving at least at minBytesPerSecond
// (averaged from its headers on, after a grace period), or the request is ended. Without it a
// client sending a byte every few seconds holds a socket and a request for as long as node's
// requestTimeout, and a few hundred of them hold every file descriptor.

export interface UploadPaceOptions {
  minBytesPerSecond: number
  /** time before the rate applies: connection set-up, TLS, a GC pause on either side */
  graceMs: number
  /** how often uploads are checked */
  tickMs?: number
  now?: () => number
}

export interface Upload {
  received(n: number): void
  /** the body is complete or the request ended: no longer watched */
  done(): void
}

export interface UploadPace {
  /** watch one request's body; `tooSlow` is called once, when it falls behind */
  track(tooSlow: (received: number, elapsedMs: number) => void): Upload
  readonly watching: number
  readonly minBytesPerSecond: number
  close(): void
}

interface Watched { start: number, bytes: number, tooSlow: (received: number, elapsedMs: number) => void }

export function createUploadPace (opts: UploadPaceOptions): UploadPace {
  const now = opts.now ?? Date.now
  const tickMs = opts.tickMs ?? 250
  const watched = new Set<Watched>()
  let timer: NodeJS.Timeout | undefined

  function check (): void {
    const t = now()
    for (const w of watched) {
      const elapsed = t - w.start
      if (elapsed <= opts.graceMs) continue
      if (w.bytes >= opts.minBytesPerSecond * (elapsed - opts.graceMs) / 1000) continue
      watched.delete(w)
      w.tooSlow(w.bytes, elapsed)
    }
    if (watched.size === 0) stop()
  }

  function stop (): void {
    if (timer !== undefined) clearInterval(timer)
    timer = undefined
  }

  return {
    track (tooSlow) {
      const w: Watched = { start: now(), bytes: 0, tooSlow }
      watched.add(w)
      if (timer === undefined) {
        timer = setInterval(check, tickMs)
        // a watch never keeps a stopping process alive
        timer.unref()
      }
      return {
        received (n) { w.bytes += n },
        done () { watched.delete(w) }
      }
    },
    get watching () { return watched.size },
    minBytesPerSecond: opts.minBytesPerSecond,
    close () {
      watched.clear()
      stop()
    }
  }
}
