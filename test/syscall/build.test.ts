// Finding and building the probe helper with the real scripts/build-probe.sh: where the helper is
// looked for, when it is rebuilt, and the two errors a build ends in (what the machine lacks, or
// the build itself failing), each with its code and the script's own words.
import t from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { ensureProbeBuilt, helperPath, needsBuild, prepareProbe } from '../../src/syscall/build.ts'
import type { AppError } from '../../src/errors/index.ts'
import { probeSkipReason } from '../fixtures/syscall/probe-harness.ts'

const ROOT = resolve(import.meta.dirname, '../..')
const tmp = mkdtempSync(join(tmpdir(), 'lanner-build-'))
t.teardown(() => rmSync(tmp, { recursive: true, force: true }))

/** runs fn with env vars set (undefined: unset), restoring them after */
async function withEnv<T> (vars: Record<string, string | undefined>, fn: () => Promise<T> | T): Promise<T> {
  const old: Record<string, string | undefined> = {}
  for (const [k, v] of Object.entries(vars)) {
    old[k] = process.env[k]
    if (v === undefined) delete process.env[k]
    else process.env[k] = v
  }
  try { return await fn() } finally {
    for (const [k, v] of Object.entries(old)) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
  }
}

t.test('where the helper is: LANNER_PROBE_HELPER (never rebuilt), LANNER_PROBE_OUT, build/syscall', async (t) => {
  await withEnv({ LANNER_PROBE_HELPER: '/opt/lanner/lanner-probe', LANNER_PROBE_OUT: undefined }, () => {
    t.equal(helperPath(), '/opt/lanner/lanner-probe')
    t.equal(needsBuild(), false, 'a prebuilt helper (the image\'s) is never rebuilt, even if absent')
  })
  await withEnv({ LANNER_PROBE_HELPER: undefined, LANNER_PROBE_OUT: join(tmp, 'out') }, () => {
    t.equal(helperPath(), join(tmp, 'out', 'lanner-probe'))
    t.equal(needsBuild(), true, 'missing: built')
  })
  await withEnv({ LANNER_PROBE_HELPER: undefined, LANNER_PROBE_OUT: undefined }, () => {
    t.equal(helperPath(), join(ROOT, 'build/syscall/lanner-probe'))
  })
})

t.test('a machine without kernel BTF: ERR_SYSCALL_UNSUPPORTED with the script\'s reason; one build for concurrent callers', async (t) => {
  const out = join(tmp, 'nobtf')
  await withEnv({ LANNER_PROBE_HELPER: undefined, LANNER_PROBE_OUT: out, LANNER_BTF: '/nonexistent/vmlinux' }, async () => {
    const [a, b] = await Promise.allSettled([ensureProbeBuilt(), ensureProbeBuilt()])
    t.equal(a.status, 'rejected')
    const err = (a as PromiseRejectedResult).reason as AppError
    t.equal(err.code, 'ERR_SYSCALL_UNSUPPORTED')
    t.match(err.message, /^kernel BTF not found at \/nonexistent\/vmlinux: the kernel needs CONFIG_DEBUG_INFO_BTF=y/)
    t.equal((b as PromiseRejectedResult).reason, err, 'the second caller shares the first one\'s build')
  })
})

// the build gets past its checks only where the tools are (CI as root: always)
t.test('a build that fails: ERR_SYSCALL_PROBE_FAILED with the end of its stderr', { skip: probeSkipReason() ?? false }, async (t) => {
  // an output directory that cannot be created (procfs refuses mkdir)
  await withEnv({ LANNER_PROBE_HELPER: undefined, LANNER_PROBE_OUT: '/proc/lanner-no-such-dir', LANNER_BTF: undefined }, async () => {
    const err = await ensureProbeBuilt().then(() => undefined, (e: AppError) => e)
    t.equal(err?.code, 'ERR_SYSCALL_PROBE_FAILED')
    t.match(err?.message, /^building the eBPF probe failed \(scripts\/build-probe\.sh\):\n.*mkdir.*\/proc\/lanner-no-such-dir/s)
  })
})

t.test('the preflight check names the platform or architecture the probe cannot run on', async (t) => {
  async function on (prop: 'platform' | 'arch', value: string): Promise<AppError | undefined> {
    const real = Object.getOwnPropertyDescriptor(process, prop) as PropertyDescriptor
    Object.defineProperty(process, prop, { value, configurable: true })
    try {
      return await prepareProbe().then(() => undefined, (e: AppError) => e)
    } finally {
      Object.defineProperty(process, prop, real)
    }
  }
  const mac = await on('platform', 'darwin')
  t.equal(mac?.code, 'ERR_SYSCALL_UNSUPPORTED')
  t.equal(mac?.message, 'the eBPF probe needs Linux (this is darwin)')
  const arm = await on('arch', 'arm64')
  t.equal(arm?.code, 'ERR_SYSCALL_UNSUPPORTED')
  t.equal(arm?.message, 'the eBPF probe is built for x86_64 only so far (this is arm64)')
})
