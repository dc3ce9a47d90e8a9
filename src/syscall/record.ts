// DRAFT CONTRACT between the probe decoder (src/syscall/decode*) and the enrichment/field layer
// (src/syscall/state*, src/fields/syscall). The probe side owns this file; keep it types-only.

/** One syscall event as decoded from a ring-buffer record, before enrichment. */
export interface SyscallRecord {
  /** Falco event type name: 'execve', 'openat', 'connect', 'clone', 'procexit'… */
  type: string
  /** '>' enter, '<' exit */
  dir: '>' | '<'
  /** ns since the epoch (converted from the kernel's monotonic clock by the decoder) */
  ts: bigint
  cpu: number
  tid: number
  pid: number
  ppid: number
  uid: number
  gid: number
  /** syscall result on exit (negative errno on failure) */
  res?: number
  /** 64-hex container id read in-kernel from the cgroup v1 leaf name, or '' for the host */
  containerId?: string
  /** raw arguments by Falco argument name (fd, name, flags, mode, tuple parts, exe, args, cwd…) */
  args: Record<string, string | number | bigint | Uint8Array | undefined>
}
