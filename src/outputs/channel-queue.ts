// A bounded queue with its own async worker in front of one channel, so a slow or failing sink
// only ever fills its own queue. It is ordered by priority: the most severe alerts leave first,
// and a full queue makes room for a more severe alert by evicting the newest of the least severe
// (a flood of Notice alerts cannot push out, or hold back, a Critical one). What cannot be
// queued is dropped and counted, never blocked on. Every alert pushed ends exactly once, as
// delivered, failed or dropped, shutdown included.
import type { OutputChannel } from './types.ts'

/** One formatted alert, shared by every queue it is pushed into. */
export interface QueuedAlert {
  readonly line: string
  /** Falco's numeric priority, 0 = Emergency … 7 = Debug */
  readonly priority: number
  readonly rule: string
  /** an alert Lanner raised about itself (source `internal`) */
  readonly internal?: boolean
}

export interface QueueEvents {
  delivered(count: number): void
  failed(count: number, err: unknown): void
  /** alerts that will never be delivered by this queue (full, closed, discarded at shutdown) */
  dropped(alerts: readonly QueuedAlert[]): void
}

export interface ChannelQueue {
  readonly name: string
  readonly length: number
  /** false when the alert was dropped (queue full of alerts at least as severe, or closed) */
  push(alert: QueuedAlert): boolean
  /** resolves when everything queued before the call has been handled (sent or failed) */
  idle(): Promise<void>
  /** forget what is still queued (shutdown deadline passed); returns how many, counted as dropped */
  discard(): number
  /**
   * Close the channel, then wait up to `graceMs` for the batch in flight to settle; if it does not,
   * count it as failed now (a late settle is ignored). Returns how many were counted so.
   */
  close(graceMs?: number): Promise<number>
}

/** Lines handed to the channel per send: bounds latency of a batch and memory of one write. */
const MAX_BATCH = 256
const LEVELS = 8

/** A FIFO of one priority level: head-indexed, O(1) at both ends. */
class Level {
  items: QueuedAlert[] = []
  head = 0
  get size (): number { return this.items.length - this.head }
  shift (): QueuedAlert | undefined {
    const a = this.items[this.head++]
    if (this.head > 1024 && this.head * 2 > this.items.length) { this.items = this.items.slice(this.head); this.head = 0 }
    if (this.head === this.items.length) { this.items = []; this.head = 0 }
    return a
  }
  pop (): QueuedAlert | undefined {
    if (this.size === 0) return undefined
    return this.items.pop()
  }
  clear (): QueuedAlert[] {
    const rest = this.items.slice(this.head)
    this.items = []
    this.head = 0
    return rest
  }
}

function levelOf (priority: number): number {
  return Number.isInteger(priority) && priority >= 0 && priority < LEVELS ? priority : LEVELS - 1
}

export function createChannelQueue (channel: OutputChannel, capacity: number, events: QueueEvents): ChannelQueue {
  const levels = Array.from({ length: LEVELS }, () => new Level())
  let size = 0
  let running: Promise<void> | undefined
  let closed = false
  let waiters: Array<() => void> = []
  /** the batch being sent, until it is accounted for */
  let inFlight: { count: number, abandoned: boolean } | undefined

  function wakeIdle (): void {
    if (running !== undefined || size > 0) return
    const w = waiters
    waiters = []
    for (const resolve of w) resolve()
  }

  function takeBatch (): QueuedAlert[] {
    const batch: QueuedAlert[] = []
    for (const level of levels) {
      while (level.size > 0 && batch.length < MAX_BATCH) batch.push(level.shift() as QueuedAlert)
      if (batch.length === MAX_BATCH) break
    }
    size -= batch.length
    return batch
  }

  async function drain (): Promise<void> {
    while (size > 0 && !closed) {
      const batch = takeBatch()
      const lines = batch.map((a) => a.line)
      const mine = { count: batch.length, abandoned: false }
      inFlight = mine
      try {
        await channel.send(lines)
        if (!mine.abandoned) events.delivered(batch.length)
      } catch (err) {
        if (!mine.abandoned) {
          // a channel may report a partial delivery (PartialDeliveryError.failed)
          const failed = Math.min(batch.length, (err as { failed?: number }).failed ?? batch.length)
          if (failed < batch.length) events.delivered(batch.length - failed)
          events.failed(failed, err)
        }
      }
      inFlight = undefined
    }
    running = undefined
    wakeIdle()
  }

  /** the least severe non-empty level below `than` (a larger number), or -1 */
  function evictable (than: number): number {
    for (let l = LEVELS - 1; l > than; l--) if ((levels[l] as Level).size > 0) return l
    return -1
  }

  return {
    name: channel.name,
    get length () { return size },
    push (alert) {
      if (closed) { events.dropped([alert]); return false }
      const l = levelOf(alert.priority)
      if (size >= capacity) {
        const victim = evictable(l)
        if (victim === -1) { events.dropped([alert]); return false }
        // the newest of the least severe: the older ones have waited longest
        events.dropped([(levels[victim] as Level).pop() as QueuedAlert])
        size--
      }
      (levels[l] as Level).items.push(alert)
      size++
      running ??= drain()
      return true
    },
    async idle () {
      if (running === undefined && size === 0) return
      await new Promise<void>((resolve) => { waiters.push(resolve) })
    },
    discard () {
      const rest: QueuedAlert[] = []
      for (const level of levels) rest.push(...level.clear())
      size = 0
      if (rest.length > 0) events.dropped(rest)
      wakeIdle()
      return rest.length
    },
    async close (graceMs = 2000) {
      closed = true
      await channel.close()
      const batch = inFlight
      if (running === undefined || batch === undefined) return 0
      let timer: NodeJS.Timeout | undefined
      const settled = await Promise.race([
        running.then(() => true),
        new Promise<false>((resolve) => { timer = setTimeout(resolve, graceMs, false) })
      ])
      clearTimeout(timer)
      if (settled) return 0
      batch.abandoned = true
      events.failed(batch.count, new Error(`output ${channel.name} still had ${batch.count} alerts in flight at shutdown`))
      return batch.count
    }
  }
}
