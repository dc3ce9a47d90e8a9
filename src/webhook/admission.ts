// The bounded queue in front of handleBody: counts batches admitted (receiving or being evaluated),
// refuses above the limit so the caller can answer 429 at once, and lets close() wait for the rest.

/** One admitted batch. release() is idempotent. */
export interface AdmissionSlot {
  /** the body is being evaluated: only release() ends it, not the response closing */
  markBusy(): void
  readonly busy: boolean
  release(): void
}

export interface Admission {
  tryAcquire(): AdmissionSlot | undefined
  readonly inFlight: number
  /** resolves when nothing is in flight */
  drained(): Promise<void>
}

export function createAdmission (max: number, onChange: (inFlight: number) => void = () => {}): Admission {
  let inFlight = 0
  let waiters: Array<() => void> = []

  function releaseOne (): void {
    inFlight--
    onChange(inFlight)
    if (inFlight === 0 && waiters.length > 0) {
      const ws = waiters
      waiters = []
      for (const w of ws) w()
    }
  }

  function tryAcquire (): AdmissionSlot | undefined {
    if (inFlight >= max) return undefined
    inFlight++
    onChange(inFlight)
    let released = false
    let busy = false
    return {
      markBusy () { busy = true },
      get busy () { return busy },
      release () {
        if (released) return
        released = true
        releaseOne()
      }
    }
  }

  function drained (): Promise<void> {
    if (inFlight === 0) return Promise.resolve()
    return new Promise((resolve) => { waiters.push(resolve) })
  }

  return { tryAcquire, get inFlight () { return inFlight }, drained }
}
