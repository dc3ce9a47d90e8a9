// Finds or builds the probe helper (scripts/build-probe.sh) and checks what the kernel side needs:
// root or CAP_BPF+CAP_PERFMON, kernel BTF. Problems become ERR_SYSCALL_UNSUPPORTED with the fix.
import { execFile } from 'node:child_process'
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { AppError } from '../errors/index.ts'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const SOURCE_DIRS = [join(ROOT, 'src/syscall/bpf'), join(ROOT, 'src/syscall/helper')]
const BUILD_SCRIPT = join(ROOT, 'scripts/build-probe.sh')
const BTF_PATH = '/sys/kernel/btf/vmlinux'

const CAP_SYS_ADMIN = 21n
const CAP_PERFMON = 38n
const CAP_BPF = 39n

/** where the helper binary lives: $LANNER_PROBE_HELPER (prebuilt, never rebuilt) or build/syscall */
export function helperPath (): string {
  return process.env.LANNER_PROBE_HELPER ?? join(process.env.LANNER_PROBE_OUT ?? join(ROOT, 'build/syscall'), 'lanner-probe')
}

/** Effective capabilities of this process from /proc/self/status, or undefined if unreadable. */
export function effectiveCaps (): bigint | undefined {
  try {
    const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))
    return m?.[1] === undefined ? undefined : BigInt('0x' + m[1])
  } catch {
    return undefined
  }
}

function hasCap (caps: bigint, cap: bigint): boolean {
  return (caps & (1n << cap)) !== 0n
}

/** Why this process cannot run the probe, or undefined if it can. Cheap: no build, no load. */
export function probeUnsupportedReason (): string | undefined {
  if (process.platform !== 'linux') return `the eBPF probe needs Linux (this is ${process.platform})`
  if (process.arch !== 'x64') return `the eBPF probe is built for x86_64 only so far (this is ${process.arch})`
  if (!existsSync(BTF_PATH)) return `kernel BTF not found at ${BTF_PATH}: the kernel needs CONFIG_DEBUG_INFO_BTF=y`
  const caps = effectiveCaps()
  if (caps !== undefined && !(hasCap(caps, CAP_BPF) && hasCap(caps, CAP_PERFMON)) && !hasCap(caps, CAP_SYS_ADMIN)) {
    return 'missing CAP_BPF and CAP_PERFMON: run as root or grant them (e.g. securityContext.capabilities.add: [BPF, PERFMON], or privileged: true)'
  }
  return undefined
}

/** The newest mtime (ms) of the probe's sources. */
function sourcesMtime (): number {
  let newest = 0
  for (const dir of SOURCE_DIRS) {
    for (const name of readdirSync(dir)) {
      if (!/\.(c|h)$|^Makefile$/.test(name)) continue
      newest = Math.max(newest, statSync(join(dir, name)).mtimeMs)
    }
  }
  return Math.max(newest, statSync(BUILD_SCRIPT).mtimeMs)
}

/** True when the helper is missing or older than any probe source. */
export function needsBuild (): boolean {
  if (process.env.LANNER_PROBE_HELPER !== undefined) return false
  const bin = helperPath()
  if (!existsSync(bin)) return true
  return statSync(bin).mtimeMs < sourcesMtime()
}

function runBuild (): Promise<void> {
  return new Promise(function build (ok, fail) {
    execFile('sh', [BUILD_SCRIPT], { cwd: ROOT, maxBuffer: 8 << 20, timeout: 300_000 }, function done (error, _stdout, stderr) {
      if (error === null) { ok(); return }
      const unsupported = /ERR_SYSCALL_UNSUPPORTED: (.*)/.exec(stderr)
      if (unsupported?.[1] !== undefined) {
        fail(new AppError('ERR_SYSCALL_UNSUPPORTED', unsupported[1], { cause: error }))
        return
      }
      const tail = stderr.trim().split('\n').slice(-15).join('\n')
      fail(new AppError('ERR_SYSCALL_PROBE_FAILED', `building the eBPF probe failed (scripts/build-probe.sh):\n${tail}`, { cause: error }))
    })
  })
}

let building: Promise<string> | undefined

/**
 * Resolves to the helper binary path, building it first when missing or stale (once per process;
 * concurrent processes serialise on the build script's lock).
 */
export async function ensureProbeBuilt (): Promise<string> {
  if (!needsBuild()) return helperPath()
  building ??= runBuild().then(function built () { return helperPath() }).finally(function reset () { building = undefined })
  return await building
}

/** Throws ERR_SYSCALL_UNSUPPORTED when the probe cannot run here; otherwise returns the helper path. */
export async function prepareProbe (): Promise<string> {
  const reason = probeUnsupportedReason()
  if (reason !== undefined) throw new AppError('ERR_SYSCALL_UNSUPPORTED', reason)
  return await ensureProbeBuilt()
}
