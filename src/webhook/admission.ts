// The bounded queue in front of handleBody: counts batches admitted (receiving or being evaluated)
// and the body bytes they hold, refuses above either limit so the caller can answer 429 at once,
// and lets close() wait for the rest.

/** One admitted batch. release() is idempotent and gives back its batch and its bytes. */
export interface AdmissionSlot {
  /** the body is being evaluated: only release() ends it, not the response closing */
  markBusy(): void
  readonly busy: boolean
  /** bytes this batch holds against the budget */
  readonly bytes: number
  /**
   * Counts `n` more bytes of a body whose length was not known up front (chunked). False, and
   * nothing counted, when that would cross the budget while other batches hold bytes.
   */
  grow(n: number): boolean
  release(): void
}

/** Why a batch was not admitted. */
export type AdmissionRefusal = 'batches' | 'bytes'

export interface Admission {
  /** `bytes`: the body's announced length (0 when unknown: grow() counts it as it arrives) */
  tryAcquire(bytes?: number): AdmissionSlot | AdmissionRefusal
  readonly inFlight: number
  readonly inFlightBytes: number
  /** resolves when nothing is in flight */
  drained(): Promise<void>
}

export interface AdmissionLimits {
  maxBatches: number
  /** body bytes in flight; a batch is still admitted over it when no other batch holds bytes, so any body up to the body limit gets in eventually */
  maxBytes?: number
  onInFlight?: (inFlight: number) => void
  onInFlightBytes?: (bytes: number) => void
}

export function createAdmission (limits: AdmissionLimits): Admission {
  const { maxBatches } = limits
  const maxBytes = limits.maxBytes ?? Infinity
  const onInFlight = limits.onInFlight ?? noop
  const onInFlightBytes = limits.onInFlightBytes ?? noop
  let inFlight = 0
  let inFlightBytes = 0
  let waiters: Array<() => void> = []

  function addBytes (n: number): void {
    if (n === 0) return
    inFlightBytes += n
    onInFlightBytes(inFlightBytes)
  }

  function releaseOne (bytes: number): void {
    inFlight--
    onInFlight(inFlight)
    addBytes(-bytes)
    if (inFlight === 0 && waiters.length > 0) {
      const ws = waiters
      waiters = []
      for (const w of ws) w()
    }
  }

  function tryAcquire (announced = 0): AdmissionSlot | AdmissionRefusal {
    if (inFlight >= maxBatches) return 'batches'
    if (inFlightBytes > 0 && inFlightBytes + announced > maxBytes) return 'bytes'
    inFlight++
    onInFlight(inFlight)
    addBytes(announced)
    let bytes = announced
    let released = false
    let busy = false
    return {
      markBusy () { busy = true },
      get busy () { return busy },
      get bytes () { return bytes },
      grow (n) {
        if (released) return true
        // alone (all bytes in flight are its own) it may reach the body limit whatever the budget
        if (inFlightBytes + n > maxBytes && inFlightBytes !== bytes) return false
        bytes += n
        addBytes(n)
        return true
      },
      release () {
        if (released) return
        released = true
        releaseOne(bytes)
      }
    }
  }

  function drained (): Promise<void> {
    if (inFlight === 0) return Promise.resolve()
    return new Promise((resolve) => { waiters.push(resolve) })
  }

  return { tryAcquire, get inFlight () { return inFlight }, get inFlightBytes () { return inFlightBytes }, drained }
}

function noop (): void {}
