// Kinds changes asked of a running helper: each control line carries a sequence number, the
// helper answers with a CONF frame of the same number, and a helper that never answers (an
// older prebuilt one) leaves the request to time out as `undefined`.
import type { ConfFrame } from '../decode.ts'
import { kindsLine, type KindSet } from './helper-args.ts'

export class ConfRequests {
  readonly timeoutMs: number
  #seq = 0
  readonly #waiting = new Map<number, (answer: ConfFrame | undefined) => void>()

  constructor (timeoutMs: number) {
    this.timeoutMs = timeoutMs
  }

  /** sends the control line through `send`; resolves with the answer, or undefined on timeout */
  ask (send: (line: string) => void, set: KindSet): Promise<ConfFrame | undefined> {
    const waiting = this.#waiting
    const seq = this.#nextSeq()
    const timeoutMs = this.timeoutMs
    return new Promise(function ask (done) {
      const timer = setTimeout(function noAnswer () { waiting.delete(seq); done(undefined) }, timeoutMs)
      waiting.set(seq, function answered (c) { waiting.delete(seq); clearTimeout(timer); done(c) })
      send(kindsLine(seq, set))
    })
  }

  /** CONF frames from the helper; one that answers no pending request is ignored */
  answer (frames: readonly ConfFrame[]): void {
    for (const c of frames) this.#waiting.get(c.seq)?.(c)
  }

  /** the probe is stopping: every pending request resolves undefined now */
  cancelAll (): void {
    for (const answer of [...this.#waiting.values()]) answer(undefined)
  }

  get pending (): number {
    return this.#waiting.size
  }

  #nextSeq (): number {
    return ++this.#seq >>> 0
  }
}
