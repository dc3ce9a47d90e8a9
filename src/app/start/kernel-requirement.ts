// The oldest kernel the eBPF probe loads on, checked before the probe is started so that an old
// node gets one clear line instead of a verifier dump. What sets the minimum (src/syscall/bpf):
//   ring buffer (BPF_MAP_TYPE_RINGBUF, bpf_ringbuf_output)              5.8
//   tp_btf programs                                                     5.5
//   bpf_get_current_task_btf, BPF_MAP_TYPE_TASK_STORAGE                 5.11
//   bpf_task_storage_get from tracing (tp_btf) programs                 5.13
//     (kernel commit a10787e6d58c "bpf: Enable task local storage for tracing programs")
// Distribution kernels that backport these (RHEL 8.x 4.18) are not detected: the override
// LANNER_SKIP_KERNEL_CHECK=1 lets the probe try, and the loader reports what fails.
import { release } from 'node:os'
import { AppError } from '../../errors/index.ts'

export const MIN_KERNEL: readonly [number, number] = Object.freeze([5, 13]) as unknown as readonly [number, number]

/** [major, minor] of a `uname -r` string, or undefined when it does not start with them. */
export function kernelVersion (rel: string): [number, number] | undefined {
  const m = /^(\d+)\.(\d+)/.exec(rel)
  return m === null ? undefined : [Number(m[1]), Number(m[2])]
}

/** Throws ERR_SYSCALL_UNSUPPORTED naming the running kernel and the minimum. */
export function checkKernel (rel: string = release(), env: NodeJS.ProcessEnv = process.env): void {
  if (env.LANNER_SKIP_KERNEL_CHECK === '1') return
  const v = kernelVersion(rel)
  if (v === undefined) return
  const [maj, min] = MIN_KERNEL
  if (v[0] > maj || (v[0] === maj && v[1] >= min)) return
  throw new AppError('ERR_SYSCALL_UNSUPPORTED',
    `kernel ${rel} is older than ${maj}.${min}, the minimum for the syscall probe (BPF task storage from tp_btf programs, ring buffer); ` +
    'run the syscall source on nodes with a newer kernel (set LANNER_SKIP_KERNEL_CHECK=1 to try anyway on a kernel with these features backported)')
}
