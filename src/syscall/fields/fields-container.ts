// container.* and k8s.*: where the process runs. Ids come from cgroups; names, images, pods and
// labels from the Kubernetes watch (absent until the pod is known, or without a cluster).
import type { ContainerInfo } from '../event.ts'
import type { PodContainerMeta, PodMeta } from '../../events/index.ts'
import { compileGlob } from '../../util/index.ts'
import type { Extract, FieldValue } from '../../fields/index.ts'
import { absentArgField, absentField, argField, field, type Def, type Ev } from './define.ts'

/** `registry:5000/ns/app:1.2@sha256:…` → repository, tag, digest */
export function splitImage (image: string): { repository: string, tag: string | undefined, digest: string | undefined } {
  let rest = image
  let digest: string | undefined
  const at = rest.indexOf('@')
  if (at >= 0) { digest = rest.slice(at + 1); rest = rest.slice(0, at) }
  const slash = rest.lastIndexOf('/')
  const colon = rest.lastIndexOf(':')
  let tag: string | undefined
  if (colon > slash) { tag = rest.slice(colon + 1); rest = rest.slice(0, colon) }
  return { repository: rest, tag, digest }
}

function kf (name: string, type: Def['type'], desc: string, get: (m: PodContainerMeta, c: ContainerInfo) => FieldValue): Def {
  return field(name, type, desc, (ev) => {
    const c = ev.container
    return c?.k8s === undefined ? undefined : get(c.k8s, c)
  })
}
function podF (name: string, type: Def['type'], desc: string, get: (p: PodMeta, ev: Ev) => FieldValue, more = {}): Def {
  return field(name, type, desc, (ev) => {
    const p = ev.pod
    return p === undefined ? undefined : get(p, ev)
  }, more)
}
function labelList (labels: Readonly<Record<string, string>>): string[] {
  return Object.entries(labels).map(([k, v]) => `${k}:${v}`)
}

/**
 * Kubernetes' startedAt for the container; without it (no cluster, pod not known yet, a container
 * outside Kubernetes) the start of the init process of the pid namespace the process runs in,
 * which for a container is its first process. Not for a process in the host's pid namespace
 * (hostPID: true, vpid = pid): that namespace's init is the node's.
 */
function containerStart (ev: Ev): bigint | undefined {
  const c = ev.container
  if (c === undefined) return undefined
  const started = c.k8s?.startTs
  if (started !== undefined) return started
  const p = ev.proc
  if (p === undefined || p.vpid === undefined || p.vpid === p.pid) return undefined
  return p.pidnsStartTs
}

type Mount = PodContainerMeta['mounts'][number]
function mountText (m: Mount): string { return `${m.source}:${m.dest}::${m.readOnly ? 'false' : 'true'}:rprivate` }

/** A mount chosen by index, or by a glob on its `by` side. */
function mountSelector (arg: string, by: 'source' | 'dest'): (ms: readonly Mount[]) => Mount | undefined {
  if (/^(0|[1-9][0-9]*)$/.test(arg)) {
    const i = Number(arg)
    return (ms) => ms[i]
  }
  const re = compileGlob(arg)
  return (ms) => ms.find((m) => re.test(m[by]))
}
function mountField (name: string, desc: string, by: 'source' | 'dest', read: (m: Mount) => string): Def {
  return argField(name, 'string', desc, 'required', 'key', (arg) => {
    const sel = mountSelector(arg as string, by)
    return (ev) => {
      const mounts = ev.container?.k8s?.mounts
      if (mounts === undefined) return undefined
      const m = sel(mounts)
      return m === undefined ? undefined : read(m)
    }
  })
}

const HOST: Extract<Ev> = (ev) => ev.container === undefined ? 'host' : undefined
const SUGGESTED = { suggestedOutput: true }

export const containerFields: readonly Def[] = [
  // container.id and container.name are the container plugin's suggested output fields (addOutput
  // in its field table; Falco 0.41+), so `suggested_output` appends them to every syscall rule
  field('container.id', 'string', "12-character container id, 'host' for host processes", (ev) => ev.container?.id ?? 'host', SUGGESTED),
  field('container.full_id', 'string', "64-character container id, 'host' for host processes", (ev) => ev.container?.fullId ?? 'host'),
  field('container.name', 'string', "container name (from the pod spec), 'host' for host processes", (ev) => ev.container?.k8s?.name ?? HOST(ev), SUGGESTED),
  field('container.type', 'string', 'container runtime: containerd, cri-o, docker, podman', (ev) => ev.container?.runtime ?? ev.container?.k8s?.runtime),
  kf('container.image', 'string', 'image as written in the pod spec', (m) => m.image),
  kf('container.image.repository', 'string', 'image repository (without tag or digest)', (m) => splitImage(m.image).repository),
  kf('container.image.tag', 'string', 'image tag', (m) => splitImage(m.image).tag),
  kf('container.image.digest', 'string', 'image digest', (m) => splitImage(m.image).digest ?? (m.imageId?.includes('@') === true ? m.imageId.slice(m.imageId.indexOf('@') + 1) : undefined)),
  kf('container.image.id', 'string', 'image id (first 12 hex digits)', (m) => {
    const h = /([0-9a-f]{64})$/.exec(m.imageId ?? '')
    return h === null ? undefined : (h[1] as string).slice(0, 12)
  }),
  kf('container.privileged', 'bool', 'the container runs privileged', (m) => m.privileged),
  kf('container.mounts', 'string', 'host-path mounts as source:dest:mode:rdwr:propagation, comma-separated', (m) => m.mounts.map(mountText).join(',')),
  mountField('container.mount', 'one mount by index or source path (glob)', 'source', mountText),
  mountField('container.mount.source', 'mount source, by index or destination path (glob)', 'dest', (m) => m.source),
  mountField('container.mount.dest', 'mount destination, by index or source path (glob)', 'source', (m) => m.dest),
  mountField('container.mount.mode', 'mount mode, by index or source path (glob)', 'source', () => ''),
  mountField('container.mount.rdwr', 'mount read-write flag, by index or source path (glob)', 'source', (m) => m.readOnly ? 'false' : 'true'),
  mountField('container.mount.propagation', 'mount propagation, by index or source path (glob)', 'source', () => 'rprivate'),
  field('container.start_ts', 'abstime', 'container start time: Kubernetes\' startedAt, else the start of the container\'s first process (its pid namespace\'s init)', containerStart),
  field('container.duration', 'reltime', 'time since the container started (container.start_ts)', (ev) => {
    const s = containerStart(ev)
    return s === undefined ? undefined : ev.rec.ts - s
  }),
  kf('container.ip', 'ipaddr', 'container (pod) IP address', (m) => m.pod.ip),
  kf('container.host_pid', 'bool', 'the container shares the host pid namespace', (m) => m.pod.hostPid),
  kf('container.host_network', 'bool', 'the container shares the host network', (m) => m.pod.hostNetwork),
  kf('container.host_ipc', 'bool', 'the container shares the host IPC namespace', (m) => m.pod.hostIpc),
  absentField('container.cni.json', 'string', 'CNI result as JSON'),
  absentField('container.healthcheck', 'string', 'health check command'),
  absentField('container.liveness_probe', 'string', 'liveness probe command'),
  absentField('container.readiness_probe', 'string', 'readiness probe command'),
  absentArgField('container.label', 'string', 'one container runtime label', 'required', 'key'),
  absentField('container.labels', 'string', 'container runtime labels', { isList: true }),
  absentField('container.info', 'string', 'kept for old rulesets', { deprecated: 'outputs print container.id and container.name instead' }),

  podF('k8s.pod.name', 'string', 'pod name', (p) => p.name),
  podF('k8s.pod.uid', 'string', 'pod uid', (p) => p.uid),
  podF('k8s.pod.id', 'string', 'pod uid (old name)', (p) => p.uid, { deprecated: 'use k8s.pod.uid' }),
  argField('k8s.pod.label', 'string', 'one pod label: k8s.pod.label[app] or k8s.pod.label.app', 'required', 'key', (arg) => (ev) => ev.pod?.labels[arg as string]),
  podF('k8s.pod.labels', 'string', 'pod labels as key:value items', (p) => labelList(p.labels), { isList: true }),
  podF('k8s.pod.ip', 'ipaddr', 'pod IP address', (p) => p.ip),
  absentField('k8s.pod.cni.json', 'string', 'CNI result of the pod sandbox'),
  absentField('k8s.pod.sandbox_id', 'string', 'pod sandbox id (12 characters)'),
  absentField('k8s.pod.full_sandbox_id', 'string', 'pod sandbox id'),
  podF('k8s.ns.name', 'string', 'namespace of the pod', (p) => p.namespace),
  argField('k8s.ns.label', 'string', 'one namespace label: k8s.ns.label[team] or k8s.ns.label.team', 'required', 'key', (arg) => (ev) => {
    const ns = ev.pod?.namespace
    return ns === undefined ? undefined : ev.ctx.k8s?.namespaceLabels(ns)?.[arg as string]
  }),
  field('k8s.ns.labels', 'string', 'namespace labels as key:value items', (ev) => {
    const ns = ev.pod?.namespace
    const l = ns === undefined ? undefined : ev.ctx.k8s?.namespaceLabels(ns)
    return l === undefined ? undefined : labelList(l)
  }, { isList: true }),
  field('k8s.ns.uid', 'string', 'namespace uid', (ev) => {
    const ns = ev.pod?.namespace
    return ns === undefined ? undefined : ev.ctx.k8s?.namespaceUid?.(ns)
  }),
  field('k8s.ns.id', 'string', 'namespace uid (old name)', (ev) => {
    const ns = ev.pod?.namespace
    return ns === undefined ? undefined : ev.ctx.k8s?.namespaceUid?.(ns)
  }, { deprecated: 'use k8s.ns.uid' }),
  podF('k8s.rs.name', 'string', 'replica set owning the pod', (p) => p.owners.replicaSet?.name),
  podF('k8s.rs.uid', 'string', 'replica set uid', (p) => p.owners.replicaSet?.uid),
  podF('k8s.rs.id', 'string', 'replica set uid (old name)', (p) => p.owners.replicaSet?.uid, { deprecated: 'use k8s.rs.uid' }),
  podF('k8s.rc.name', 'string', 'replication controller owning the pod', (p) => p.owners.replicationController?.name),
  podF('k8s.rc.uid', 'string', 'replication controller uid', (p) => p.owners.replicationController?.uid),
  podF('k8s.rc.id', 'string', 'replication controller uid (old name)', (p) => p.owners.replicationController?.uid, { deprecated: 'use k8s.rc.uid' }),
  podF('k8s.deployment.name', 'string', 'deployment owning the pod (through its replica set)', (p) => p.owners.deployment?.name),
  absentField('k8s.deployment.uid', 'string', 'deployment uid'),
  absentField('k8s.deployment.id', 'string', 'deployment uid (old name)', { deprecated: 'use k8s.deployment.uid' }),
  absentField('k8s.svc.name', 'string', 'service selecting the pod'),
  absentField('k8s.svc.uid', 'string', 'service uid'),
  absentField('k8s.svc.id', 'string', 'service uid (old name)', { deprecated: 'use k8s.svc.uid' })
]

// Labels of controllers and services: Falco's names, no data (the node-local pod watch does not
// read owner or service objects).
for (const kind of ['rc', 'rs', 'svc', 'deployment'] as const) {
  const what = { rc: 'replication controller', rs: 'replica set', svc: 'service', deployment: 'deployment' }[kind]
  ;(containerFields as Def[]).push(
    absentArgField(`k8s.${kind}.label`, 'string', `one ${what} label`, 'required', 'key'),
    absentField(`k8s.${kind}.labels`, 'string', `${what} labels`, { isList: true })
  )
}
