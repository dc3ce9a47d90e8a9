// The enriched syscall event the field table reads: the decoder's record plus the process, fd,
// container and Kubernetes context it happened in. Expensive parts resolve on first use, once.
import type { CachedEvent, K8sMetadata, PodContainerMeta, PodMeta } from '../events/index.ts'
import type { ContainerRef } from './state/container-id.ts'
import type { FdInfo } from './state/fd-info.ts'
import type { ProcessInfo, ProcessTable } from './state/process-table.ts'
import type { UserDb } from './state/users.ts'
import type { SyscallRecord } from './record.ts'

/** Shared, long-lived state an event reads through (never copied per event). */
export interface EventContext {
  procs: ProcessTable
  /** the node's users */
  users: UserDb
  /** users as a container sees them (its own /etc/passwd), memoised per container */
  containerUsers(fullId: string, pid: number): UserDb
  k8s: K8sMetadata | undefined
  hostname: string
  /** time of the first event enriched (evt.reltime) */
  firstTs: bigint | undefined
  /** resolve an fd the event mentions but no record created (opened before we attached) */
  lookupFd(proc: ProcessInfo, fd: number): FdInfo | undefined
  /** container of an in-kernel cgroup leaf name ('' = host); memoised */
  containerOf(leaf: string): ContainerRef | undefined
}

export interface ContainerInfo extends ContainerRef {
  /** from Kubernetes, when the container belongs to a known pod */
  k8s: PodContainerMeta | undefined
}

const UNRESOLVED = Symbol('unresolved')
type Lazy<T> = T | typeof UNRESOLVED

export class SyscallEvent implements CachedEvent {
  readonly cache: unknown[] = []
  private _proc: Lazy<ProcessInfo | undefined> = UNRESOLVED
  private _fd: Lazy<FdInfo | undefined> = UNRESOLVED
  private _container: Lazy<ContainerInfo | undefined> = UNRESOLVED
  /** the previous event's time of the same thread, for evt.deltatime (when known) */
  prevTs: bigint | undefined

  constructor (
    readonly rec: SyscallRecord,
    /** evt.num: 1-based sequence number in this instance */
    readonly num: number,
    readonly ctx: EventContext
  ) {}

  get type (): string { return this.rec.type }
  get ts (): bigint { return this.rec.ts }

  /** Pin the process (the enricher does so for events that change process state). */
  setProc (p: ProcessInfo | undefined): void { this._proc = p }
  /** Pin the fd (for events that create, rename or close one). */
  setFd (fd: FdInfo | undefined): void { this._fd = fd }

  get proc (): ProcessInfo | undefined {
    if (this._proc === UNRESOLVED) this._proc = this.ctx.procs.live(this.rec.pid)
    return this._proc
  }

  /** The fd the event is about: its result fd for open/accept/socket, else its `fd` argument. */
  get fd (): FdInfo | undefined {
    if (this._fd === UNRESOLVED) {
      const p = this.proc
      const raw = this.rec.args.fd
      const n = typeof raw === 'number' ? raw : typeof raw === 'bigint' ? Number(raw) : undefined
      this._fd = p === undefined || n === undefined ? undefined : p.fds.get(n) ?? this.ctx.lookupFd(p, n)
    }
    return this._fd
  }

  /** Undefined on the host. The id comes from the record (in-kernel) or the process's cgroup. */
  get container (): ContainerInfo | undefined {
    if (this._container === UNRESOLVED) {
      this._container = this.resolveContainer()
    }
    return this._container
  }

  private resolveContainer (): ContainerInfo | undefined {
    // the in-kernel id is authoritative: /proc was read at scan time and may be stale
    const id = this.rec.containerId
    let ref: ContainerRef | undefined
    if (id === undefined) ref = this.proc?.container
    else if (id !== '') {
      // the raw leaf (cri-containerd-<id>.scope…) also names the runtime
      const leaf = this.rec.cgroup
      const fromLeaf = leaf === undefined ? undefined : this.ctx.containerOf(leaf)
      ref = fromLeaf?.fullId === id ? fromLeaf : this.ctx.containerOf(id)
    }
    if (ref === undefined) return undefined
    return { ...ref, k8s: this.ctx.k8s?.container(ref.fullId) }
  }

  get pod (): PodMeta | undefined { return this.container?.k8s?.pod }

  /** user/group names as the process sees them: a container has its own passwd file */
  get users (): UserDb {
    const c = this.container
    return c === undefined ? this.ctx.users : this.ctx.containerUsers(c.fullId, this.rec.pid)
  }

  /** A process's ancestor; 0 is the process itself. */
  ancestor (n: number): ProcessInfo | undefined {
    const p = this.proc
    if (p === undefined) return undefined
    return n === 0 ? p : this.ctx.procs.ancestor(p, n)
  }
}
