// The TypeScript offsets in src/syscall/abi.ts must match the C structs the helper is compiled
// with: the helper prints sizeof/offsetof in --abi mode (no privileges needed, only a build).
import t from 'tap'
import { execFileSync } from 'node:child_process'
import { ABI_VERSION, CONF, EXE, HDR, HELLO, KIND_IDS, STATS, TASK, TUPLE } from '../../src/syscall/abi.ts'
import { ensureProbeBuilt, needsBuild } from '../../src/syscall/build.ts'
import { skipUnlessRequired } from '../helpers/probe-required.ts'

function toolsMissing (): string | undefined {
  if (!needsBuild()) return undefined
  try {
    execFileSync('sh', ['-c', 'command -v clang && (command -v bpftool || test -x /usr/sbin/bpftool) && pkg-config --exists libbpf'], { stdio: 'ignore' })
    return undefined
  } catch {
    return 'clang, bpftool or libbpf-dev missing: run scripts/install-deps.sh'
  }
}

const skip = skipUnlessRequired(process.platform !== 'linux' ? 'Linux only' : toolsMissing())
if (skip !== undefined) {
  t.plan(0, skip)
} else {
  const bin = await ensureProbeBuilt()
  const abi = JSON.parse(execFileSync(bin, ['--abi'], { encoding: 'utf8' })) as Record<string, unknown>

  t.test('ABI version', async t => {
    t.equal(abi.abi, ABI_VERSION)
  })
  t.test('struct ln_hdr', async t => {
    t.same(abi.hdr, HDR)
  })
  t.test('struct ln_tuple', async t => {
    t.same(abi.tuple, { ...TUPLE })
  })
  t.test('struct ln_exe_info', async t => {
    t.same(abi.exe, EXE)
  })
  t.test('struct ln_task_info', async t => {
    t.same(abi.task, TASK)
  })
  t.test('control frames', async t => {
    t.same(abi.hello, HELLO)
    t.same(abi.stats, STATS)
    t.same(abi.conf, CONF)
  })
  t.test('kind ids', async t => {
    t.same(abi.kinds, KIND_IDS)
  })
}
