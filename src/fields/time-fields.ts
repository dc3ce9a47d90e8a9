// The evt.time* / evt.datetime* / evt.rawtime* fields every source offers, built from one
// event-time reader so that all tables agree on names, types and rendering (UTC everywhere).
import type { FieldDef, FieldInfo, FieldValue } from './registry.ts'

const NS_PER_S = 1_000_000_000n

const pad = (n: number): string => String(n).padStart(2, '0')

/** Whole seconds as a UTC Date (floor, so times before the epoch keep a positive fraction). */
function utcSeconds (ns: bigint): Date {
  let s = ns / NS_PER_S
  if (ns % NS_PER_S < 0n) s -= 1n
  return new Date(Number(s) * 1000)
}

function seconds (ns: bigint): number { return Number(ns / NS_PER_S) }
function nanos (ns: bigint): number { return Number(ns % NS_PER_S) }

function timeOfDay (ns: bigint): string {
  const d = utcSeconds(ns)
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`
}

function dateTime (ns: bigint): string {
  const d = utcSeconds(ns)
  return `${String(d.getUTCFullYear()).padStart(4, '0')}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${timeOfDay(ns)}`
}

/**
 * The time fields of a source whose event time (ns since the epoch) `time` reads. The abstime
 * ones carry a `print` mode: outputs render them as Falco's text, JSON keeps the integer.
 */
export function timeFields<E> (time: (ev: E) => bigint): FieldDef<E>[] {
  const def = (info: FieldInfo, read: (ns: bigint) => FieldValue): FieldDef<E> => {
    const extract = (ev: E): FieldValue => read(time(ev))
    return { ...info, bind: () => extract }
  }
  const same = (ns: bigint): bigint => ns
  return [
    def({ name: 'evt.time', type: 'abstime', print: 'time', desc: 'event timestamp; output text HH:MM:SS.nnnnnnnnn (UTC), JSON the ns integer' }, same),
    def({ name: 'evt.time.s', type: 'string', desc: 'event time as HH:MM:SS (UTC)' }, timeOfDay),
    def({ name: 'evt.time.iso8601', type: 'abstime', print: 'iso8601', desc: 'event timestamp; output text YYYY-MM-DDTHH:MM:SS.nnnnnnnnn+0000, JSON the ns integer' }, same),
    def({ name: 'evt.datetime', type: 'abstime', print: 'datetime', desc: 'event timestamp; output text YYYY-MM-DD HH:MM:SS.nnnnnnnnn (UTC), JSON the ns integer' }, same),
    def({ name: 'evt.datetime.s', type: 'string', desc: 'event date and time as YYYY-MM-DD HH:MM:SS (UTC)' }, dateTime),
    def({ name: 'evt.rawtime', type: 'abstime', desc: 'event timestamp, ns since the epoch (an integer in text too)' }, same),
    def({ name: 'evt.rawtime.s', type: 'int', desc: 'whole seconds of the event timestamp' }, seconds),
    def({ name: 'evt.rawtime.ns', type: 'int', desc: 'nanosecond part of the event timestamp' }, nanos)
  ]
}
