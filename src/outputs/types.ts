// Contracts of the output side: a channel delivers already-formatted alert lines; the dispatcher
// owns formatting, queues and accounting. Types only.
import type { Alert } from '../events/index.ts'

/** Serialises one alert (text or Falco JSON) into one line without a trailing newline. */
export type AlertFormatter = (alert: Alert) => string

/** One sink. `send` resolves once the lines are delivered and rejects when they were not. */
export interface OutputChannel {
  readonly name: string
  send(lines: readonly string[]): Promise<void>
  /** release files, children and sockets */
  close(): Promise<void>
  /** SIGHUP: reopen files (log rotation), restart kept-alive children */
  reopen?(): void
}

/** Accounting callbacks: the app wires them to metrics. */
export interface OutputHooks {
  delivered?(channel: string, count: number): void
  failed?(channel: string, count: number, err: unknown): void
  dropped?(channel: string, count: number): void
  /** the same drops by rule and priority (0 = Emergency … 7 = Debug) */
  droppedRule?(channel: string, rule: string, priority: number, count: number): void
}
