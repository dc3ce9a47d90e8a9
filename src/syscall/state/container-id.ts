// Container identity from cgroup paths: the pure parser behind `container.id`. Knows the leaf
// names of containerd (CRI and cgroupfs), CRI-O, docker and podman, under systemd or cgroupfs.

export type ContainerRuntime = 'containerd' | 'cri-o' | 'docker' | 'podman'

export interface ContainerRef {
  /** 64 lowercase hex digits */
  fullId: string
  /** first 12 hex digits: Falco's `container.id` */
  id: string
  /** undefined when the path does not say (plain `/kubepods/.../<hex>` under cgroupfs) */
  runtime: ContainerRuntime | undefined
}

const HEX64 = '([0-9a-f]{64})'
// Ordered: the specific systemd scope names first, then the cgroupfs layouts.
const PATTERNS: ReadonlyArray<readonly [RegExp, ContainerRuntime | undefined]> = [
  [new RegExp(`(?:^|/)cri-containerd-${HEX64}\\.scope$`), 'containerd'],
  [new RegExp(`(?:^|/)crio-${HEX64}\\.scope$`), 'cri-o'],
  [new RegExp(`(?:^|/)docker-${HEX64}\\.scope$`), 'docker'],
  [new RegExp(`(?:^|/)libpod-${HEX64}\\.scope$`), 'podman'],
  // the cgroupfs managers' names: CRI-O under /kubepods/..., podman under /libpod_parent
  [new RegExp(`(?:^|/)crio-${HEX64}$`), 'cri-o'],
  [new RegExp(`(?:^|/)libpod-${HEX64}$`), 'podman'],
  [new RegExp(`(?:^|/)docker/${HEX64}$`), 'docker'],
  [new RegExp(`(?:^|/)kubepods(?:[./][^/]*)*/${HEX64}$`), undefined],
  // a bare leaf name as the probe reads it in-kernel
  [new RegExp(`^${HEX64}$`), undefined]
]

function toRef (fullId: string, runtime: ContainerRuntime | undefined): ContainerRef {
  return { fullId, id: fullId.slice(0, 12), runtime }
}

/**
 * Container of one cgroup path (or bare leaf name), or undefined for host cgroups. Paths under
 * `crio-conmon-*` belong to CRI-O's monitor process, which runs on the host.
 */
export function containerFromCgroupPath (path: string): ContainerRef | undefined {
  let p = path.trim()
  if (p.length < 64) return undefined
  // some kernels/runtime layouts append a sub-cgroup for the init process
  if (p.endsWith('/init.scope')) p = p.slice(0, -'/init.scope'.length)
  for (const [re, runtime] of PATTERNS) {
    const m = re.exec(p)
    if (m !== null) return toRef(m[1] as string, runtime)
  }
  return undefined
}

/**
 * Container of a process from the text of /proc/<pid>/cgroup ("id:controllers:path" per line,
 * v1 and v2 mixed on hybrid hosts). The first line naming a container wins; an unnamed runtime
 * is filled in from another line that names it.
 */
export function containerFromProcCgroup (text: string): ContainerRef | undefined {
  let found: ContainerRef | undefined
  for (const line of text.split('\n')) {
    const first = line.indexOf(':')
    const second = first < 0 ? -1 : line.indexOf(':', first + 1)
    if (second < 0) continue
    const ref = containerFromCgroupPath(line.slice(second + 1))
    if (ref === undefined) continue
    if (found === undefined) found = ref
    else if (found.runtime === undefined && ref.fullId === found.fullId && ref.runtime !== undefined) found = ref
    if (found.runtime !== undefined) break
  }
  return found
}
