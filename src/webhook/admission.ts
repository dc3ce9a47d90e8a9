// The bounded admission in front of handleBody. Two budgets, both charged only for what a request
// really holds, so a client that announces much and sends little holds nothing:
//  - body bytes, counted as they arrive (never reserved from Content-Length);
//  - batches being evaluated, taken once the whole body is in (an upload in progress holds none).
// Refusals let the caller answer 429 at once; close() waits for the rest.

/** One request on the webhook path, from its headers to its answer. release() is idempotent. */
export interface AdmissionSlot {
  /**
   * The body is complete: take a batch slot for its evaluation. False (nothing taken) when every
   * slot is busy. Only release() ends a started batch, not the response closing.
   */
  startBatch(): boolean
  readonly busy: boolean
  /** body bytes received so far */
  readonly bytes: number
  /**
   * Counts `n` more received bytes. False, and nothing counted, when that would cross the budget
   * while other requests hold bytes.
   */
  grow(n: number): boolean
  release(): void
}

/** Why a request was not admitted. */
export type AdmissionRefusal = 'batches' | 'bytes'

export interface Admission {
  /**
   * A request arrives. `announced`: its Content-Length, used only to refuse at once a body that
   * cannot fit next to the bytes other requests already hold (it reserves nothing).
   */
  tryAcquire(announced?: number): AdmissionSlot | 'bytes'
  /** batches being evaluated */
  readonly inFlight: number
  /** body bytes held by requests (arriving or being evaluated) */
  readonly inFlightBytes: number
  /** requests admitted and not yet answered (uploading or evaluating) */
  readonly open: number
  /** resolves when no request is admitted */
  drained(): Promise<void>
}

export interface AdmissionLimits {
  maxBatches: number
  /** body bytes held; a request is still admitted over it when no other holds bytes, so any body up to the body limit gets in eventually */
  maxBytes?: number
  /** requests admitted (receiving their body or being evaluated): the lanner_webhook_inflight_batches gauge */
  onInFlight?: (admitted: number) => void
  onInFlightBytes?: (bytes: number) => void
}

export function createAdmission (limits: AdmissionLimits): Admission {
  const { maxBatches } = limits
  const maxBytes = limits.maxBytes ?? Infinity
  const onInFlight = limits.onInFlight ?? noop
  const onInFlightBytes = limits.onInFlightBytes ?? noop
  let inFlight = 0
  let inFlightBytes = 0
  let open = 0
  let waiters: Array<() => void> = []

  function addBytes (n: number): void {
    if (n === 0) return
    inFlightBytes += n
    onInFlightBytes(inFlightBytes)
  }

  function releaseOne (bytes: number, busy: boolean): void {
    open--
    if (busy) inFlight--
    onInFlight(open)
    addBytes(-bytes)
    if (open === 0 && waiters.length > 0) {
      const ws = waiters
      waiters = []
      for (const w of ws) w()
    }
  }

  function tryAcquire (announced = 0): AdmissionSlot | 'bytes' {
    if (inFlightBytes > 0 && inFlightBytes + announced > maxBytes) return 'bytes'
    open++
    onInFlight(open)
    let bytes = 0
    let released = false
    let busy = false
    return {
      startBatch () {
        if (busy || released) return !released
        if (inFlight >= maxBatches) return false
        busy = true
        inFlight++
        return true
      },
      get busy () { return busy },
      get bytes () { return bytes },
      grow (n) {
        if (released) return true
        // alone (all bytes held are its own) it may reach the body limit whatever the budget
        if (inFlightBytes + n > maxBytes && inFlightBytes !== bytes) return false
        bytes += n
        addBytes(n)
        return true
      },
      release () {
        if (released) return
        released = true
        releaseOne(bytes, busy)
      }
    }
  }

  function drained (): Promise<void> {
    if (open === 0) return Promise.resolve()
    return new Promise((resolve) => { waiters.push(resolve) })
  }

  return {
    tryAcquire,
    get inFlight () { return inFlight },
    get inFlightBytes () { return inFlightBytes },
    get open () { return open },
    drained
  }
}

function noop (): void {}
