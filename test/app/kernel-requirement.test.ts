// The syscall probe's kernel minimum: below it, one clear error naming the kernel and the minimum.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { checkKernel, kernelVersion, MIN_KERNEL } from '../../src/app/start/kernel-requirement.ts'

t.test('versions at and above the minimum pass; below it ERR_SYSCALL_UNSUPPORTED', async (t) => {
  t.same(kernelVersion('6.18.44-fc-v1272'), [6, 18])
  t.same(kernelVersion('5.13.0-1031-aws'), [5, 13])
  for (const ok of ['5.13.0', '5.15.0-91-generic', '6.1.0-18-amd64', '10.0.0']) t.doesNotThrow(() => { checkKernel(ok, {}) }, ok)
  for (const old of ['5.12.19', '5.11.0-46-generic', '5.10.0-28-amd64', '5.8.0', '4.18.0-513.el8.x86_64']) {
    t.throws(() => { checkKernel(old, {}) }, { code: 'ERR_SYSCALL_UNSUPPORTED', message: new RegExp(`kernel ${old.replace(/\./g, '\\.')} is older than 5\\.13`) }, old)
  }
  t.doesNotThrow(() => { checkKernel('4.18.0-513.el8.x86_64', { LANNER_SKIP_KERNEL_CHECK: '1' }) }, 'the override for backporting distributions')
  t.doesNotThrow(() => { checkKernel('unknown', {}) }, 'an unparseable release is left to the loader')
})

t.test('the probe uses what sets the minimum, and the DaemonSet states the same minimum', async (t) => {
  const probe = ['lanner.bpf.c', 'lanner-put.bpf.h', 'lanner-fill.bpf.h'].map((f) => readFileSync(new URL(`../../src/syscall/bpf/${f}`, import.meta.url), 'utf8')).join('\n')
  t.match(probe, /bpf_task_storage_get\(/, 'task storage (from tracing programs: 5.13)')
  t.match(probe, /SEC\("tp_btf/, 'from tp_btf programs')
  const ds = readFileSync(new URL('../../manifests/overlays/syscall/daemonset.yaml', import.meta.url), 'utf8')
  const doc = readFileSync(new URL('../../docs/deploy.md', import.meta.url), 'utf8')
  const min = MIN_KERNEL.join('.')
  t.match(ds, new RegExp(`Linux >= ${min.replace('.', '\\.')}`), 'the DaemonSet says the real minimum')
  t.match(doc, new RegExp(`Linux ${min.replace('.', '\\.')} or newer`))
  t.notMatch(ds, /kernel >= 5\.8\)/, 'not the understated 5.8')
})
