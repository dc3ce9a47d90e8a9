// A bounded queue with its own async worker in front of one channel, so a slow or failing sink
// only ever fills its own queue. Full queue → the alert is dropped and counted, never blocked on.
import type { OutputChannel } from './types.ts'

export interface QueueEvents {
  delivered(count: number): void
  failed(count: number, err: unknown): void
  dropped(count: number): void
}

export interface ChannelQueue {
  readonly name: string
  readonly length: number
  /** false when the queue was full and the line was dropped */
  push(line: string): boolean
  /** resolves when everything queued before the call has been handled (sent or failed) */
  idle(): Promise<void>
  /** forget what is still queued (shutdown deadline passed); returns how many lines, counted as dropped */
  discard(): number
  close(): Promise<void>
}

/** Lines handed to the channel per send: bounds latency of a batch and memory of one write. */
const MAX_BATCH = 256

export function createChannelQueue (channel: OutputChannel, capacity: number, events: QueueEvents): ChannelQueue {
  // head-indexed array: O(1) shift without re-allocating on every alert
  let items: string[] = []
  let head = 0
  let running = false
  let closed = false
  let waiters: Array<() => void> = []

  function size (): number { return items.length - head }

  function wakeIdle (): void {
    if (running || size() > 0) return
    const w = waiters
    waiters = []
    for (const resolve of w) resolve()
  }

  async function drain (): Promise<void> {
    running = true
    while (size() > 0) {
      const end = Math.min(items.length, head + MAX_BATCH)
      const batch = items.slice(head, end)
      head = end
      if (head > 1024 && head * 2 > items.length) { items = items.slice(head); head = 0 }
      try {
        await channel.send(batch)
        events.delivered(batch.length)
      } catch (err) {
        // a channel may report a partial delivery (PartialDeliveryError.failed)
        const failed = Math.min(batch.length, (err as { failed?: number }).failed ?? batch.length)
        if (failed < batch.length) events.delivered(batch.length - failed)
        events.failed(failed, err)
      }
    }
    items = []
    head = 0
    running = false
    wakeIdle()
  }

  return {
    name: channel.name,
    get length () { return size() },
    push (line) {
      if (closed || size() >= capacity) { events.dropped(1); return false }
      items.push(line)
      if (!running) void drain()
      return true
    },
    async idle () {
      if (!running && size() === 0) return
      await new Promise<void>((resolve) => { waiters.push(resolve) })
    },
    discard () {
      const n = size()
      items = []
      head = 0
      if (n > 0) events.dropped(n)
      return n
    },
    async close () {
      closed = true
      await channel.close()
    }
  }
}
