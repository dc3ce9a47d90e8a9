// Domain names for fd.cip.name / fd.sip.name / fd.lip.name / fd.rip.name, the way Falco gets
// them (libsinsp dns_manager.cpp): there is no reverse DNS. The names a rule compares these
// fields with are resolved forward (getaddrinfo: /etc/hosts, then the node's resolvers) and kept
// fresh in the background; `fd.sip.name = example.com` holds when the server address is one of
// example.com's addresses, and printing the field shows the watched name (the smallest, as
// libsinsp's ordered map does) that resolves to the address — so a name no rule mentions never
// shows. Falco resolves a new name synchronously on the first event that needs it; Lanner starts
// when the rule is compiled and answers "no match" until the first lookup returns (dnsSettled()
// awaits that). Refresh as libsinsp: 10 s after a lookup, the interval doubling up to 320 s.
// Names are kept while the process runs (they are bounded by the rules' text).
import { lookup as dnsLookup } from 'node:dns/promises'
import { canonicalIp } from '../../util/index.ts'

export type DnsLookup = (name: string) => Promise<readonly string[]>

/** One watched name: `addrs` is replaced whole on each refresh, so readers never see it half-built. */
export interface DnsEntry {
  readonly name: string
  addrs: ReadonlySet<string>
  /** the last lookup failed or found nothing: reported once per change, not per refresh */
  failing?: boolean
}

export interface DnsProblem { name: string, error: string }

const BASE_REFRESH_MS = 10_000
const MAX_REFRESH_MS = 320_000

async function systemLookup (name: string): Promise<readonly string[]> {
  const answers = await dnsLookup(name, { all: true, verbatim: true })
  return answers.map((a) => a.address)
}

/**
 * LANNER_DNS_LOOKUP=off: no name is ever looked up (each watched name is reported once as not
 * resolving, and the checks on it do not match). For air-gapped nodes and for the test suite,
 * whose network traffic must stay on loopback: the sandbox rules alone name dozens of domains.
 */
async function disabledLookup (): Promise<readonly string[]> {
  throw Object.assign(new Error('name lookups are turned off (LANNER_DNS_LOOKUP=off)'), { code: 'ELOOKUPOFF' })
}

function defaultLookup (): DnsLookup {
  return process.env.LANNER_DNS_LOOKUP === 'off' ? disabledLookup : systemLookup
}

const entries = new Map<string, DnsEntry>()
const timers = new Map<string, NodeJS.Timeout>()
const pending = new Set<Promise<void>>()
/** address → the smallest watched name resolving to it */
let reverse = new Map<string, string>()
let lookup: DnsLookup = defaultLookup()
let problemListener: ((p: DnsProblem) => void) | undefined

/** Start watching `name` (once per name) and return its entry; compile time only. */
export function watchName (name: string): DnsEntry {
  let e = entries.get(name)
  if (e !== undefined) return e
  e = { name, addrs: new Set() }
  entries.set(name, e)
  resolveAndSchedule(e, BASE_REFRESH_MS)
  return e
}

/** The watched name resolving to `ip`, if any: what fd.*ip.name print. */
export function nameOf (ip: string): string | undefined {
  return reverse.get(ip)
}

/** Resolves once every lookup started so far has answered (or failed). */
export async function dnsSettled (): Promise<void> {
  while (pending.size > 0) await Promise.all([...pending])
}

/** Refresh every watched name now, without waiting for its timer (tests; a reload could use it). */
export async function refreshNow (): Promise<void> {
  await Promise.all([...entries.values()].map((e) => refresh(e)))
}

/** Told when a watched name does not resolve, so the app can log it (a rule may then never match). */
export function onDnsProblem (listener: ((p: DnsProblem) => void) | undefined): void {
  problemListener = listener
}

/** Tests: answer lookups with `fn` instead of the system resolver; forget every watched name. */
export function resetDnsNames (fn?: DnsLookup): void {
  for (const t of timers.values()) clearTimeout(t)
  timers.clear()
  entries.clear()
  reverse = new Map()
  lookup = fn ?? defaultLookup()
}

function resolveAndSchedule (e: DnsEntry, nextMs: number): void {
  const done = refresh(e).finally(() => {
    pending.delete(done)
    if (entries.get(e.name) !== e) return
    const t = setTimeout(function refreshName () { resolveAndSchedule(e, Math.min(nextMs * 2, MAX_REFRESH_MS)) }, nextMs)
    t.unref()
    timers.set(e.name, t)
  })
  pending.add(done)
}

async function refresh (e: DnsEntry): Promise<void> {
  let addrs: string[]
  try {
    addrs = (await lookup(e.name)).map((a) => canonicalIp(a)).filter((a): a is string => a !== undefined)
  } catch (err) {
    // keep the last answer: a resolver hiccup should not blind the rules
    if (entries.get(e.name) === e) fail(e, (err as NodeJS.ErrnoException).code ?? (err as Error).message)
    return
  }
  if (entries.get(e.name) !== e) return
  if (addrs.length === 0) fail(e, 'no addresses')
  else e.failing = false
  e.addrs = new Set(addrs)
  rebuildReverse()
}

function fail (e: DnsEntry, error: string): void {
  if (e.failing === true) return
  e.failing = true
  problemListener?.({ name: e.name, error })
}

function rebuildReverse (): void {
  const next = new Map<string, string>()
  for (const e of entries.values()) {
    for (const a of e.addrs) {
      const have = next.get(a)
      if (have === undefined || e.name < have) next.set(a, e.name)
    }
  }
  reverse = next
}
