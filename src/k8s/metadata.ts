// Kubernetes metadata the syscall source needs: which pod a container belongs to, and the labels
// of namespaces. An in-memory index fed by pod/namespace objects (from a watch, or tests); reads
// are Map lookups so the event hot path never waits on the API server. The shapes it answers with
// (K8sMetadata, PodMeta, PodContainerMeta) are declared in events/, which the syscall source reads.
import type { K8sMetadata, PodContainerMeta, PodMeta, StatusRuntime } from '../events/index.ts'

export type { K8sMetadata, PodContainerMeta, PodMeta }

/**
 * The container of a Kubernetes containerStatus id such as `containerd://<64 hex>` (the kubelet
 * writes the CRI runtime's name and the full id). Parsed here, not in syscall/: the format is the
 * Kubernetes API's, and k8s/ must not depend on the syscall source.
 */
export function containerOfStatusId (statusId: string): { fullId: string, runtime: StatusRuntime | undefined } | undefined {
  const m = /^([a-z-]+):\/\/([0-9a-f]{64})$/.exec(statusId)
  if (m === null) return undefined
  const scheme = m[1]
  const runtime = scheme === 'containerd' || scheme === 'cri-o' || scheme === 'docker' ? scheme : undefined
  return { fullId: m[2] as string, runtime }
}

/** The subset of core/v1 Pod we read. */
export interface PodObject {
  metadata?: { name?: string, namespace?: string, uid?: string, labels?: Record<string, string>, ownerReferences?: Array<{ kind?: string, name?: string, uid?: string, controller?: boolean }> }
  spec?: {
    hostNetwork?: boolean
    hostPID?: boolean
    hostIPC?: boolean
    containers?: Array<{ name: string, image?: string, securityContext?: { privileged?: boolean }, volumeMounts?: Array<{ name: string, mountPath: string, readOnly?: boolean }> }>
    initContainers?: PodSpecContainers
    ephemeralContainers?: PodSpecContainers
    volumes?: Array<{ name: string, hostPath?: { path: string } }>
  }
  status?: {
    podIP?: string
    containerStatuses?: ContainerStatus[]
    initContainerStatuses?: ContainerStatus[]
    ephemeralContainerStatuses?: ContainerStatus[]
  }
}
type PodSpecContainers = NonNullable<NonNullable<PodObject['spec']>['containers']>
interface ContainerStatus { name: string, containerID?: string, image?: string, imageID?: string, state?: { running?: { startedAt?: string | Date }, terminated?: { startedAt?: string | Date } } }

export interface NamespaceObject { metadata?: { name?: string, uid?: string, labels?: Record<string, string> } }

function startNs (v: string | Date | undefined): bigint | undefined {
  if (v === undefined) return undefined
  const ms = v instanceof Date ? v.getTime() : Date.parse(v)
  return Number.isFinite(ms) ? BigInt(ms) * 1_000_000n : undefined
}

/** ReplicaSet / ReplicationController owners; the Deployment is the ReplicaSet name minus the pod-template-hash. */
export function podOwners (md: NonNullable<PodObject['metadata']>): PodMeta['owners'] {
  const out: PodMeta['owners'] = {}
  for (const ref of md.ownerReferences ?? []) {
    if (ref.name === undefined) continue
    if (ref.kind === 'ReplicaSet') {
      out.replicaSet = { name: ref.name, uid: ref.uid }
      const hash = md.labels?.['pod-template-hash']
      if (hash !== undefined && ref.name.endsWith(`-${hash}`)) out.deployment = { name: ref.name.slice(0, -hash.length - 1), uid: undefined }
    } else if (ref.kind === 'ReplicationController') {
      out.replicationController = { name: ref.name, uid: ref.uid }
    }
  }
  return out
}

/** Containers of one pod, keyed by full container id. Pure. */
export function podContainers (pod: PodObject): Map<string, PodContainerMeta> {
  const out = new Map<string, PodContainerMeta>()
  const md = pod.metadata ?? {}
  const spec = pod.spec ?? {}
  const meta: PodMeta = {
    name: md.name ?? '',
    uid: md.uid ?? '',
    namespace: md.namespace ?? '',
    labels: { ...(md.labels ?? {}) },
    ip: pod.status?.podIP,
    hostNetwork: spec.hostNetwork === true,
    hostPid: spec.hostPID === true,
    hostIpc: spec.hostIPC === true,
    owners: podOwners(md)
  }
  const hostPaths = new Map<string, string>()
  for (const v of spec.volumes ?? []) if (v.hostPath !== undefined) hostPaths.set(v.name, v.hostPath.path)
  const specs = [...(spec.containers ?? []), ...(spec.initContainers ?? []), ...(spec.ephemeralContainers ?? [])]
  const statuses = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.ephemeralContainerStatuses ?? [])]
  for (const st of statuses) {
    if (st.containerID === undefined) continue
    const ref = containerOfStatusId(st.containerID)
    if (ref === undefined) continue
    const c = specs.find((s) => s.name === st.name)
    const mounts = []
    for (const m of c?.volumeMounts ?? []) {
      const src = hostPaths.get(m.name)
      if (src !== undefined) mounts.push({ source: src, dest: m.mountPath, readOnly: m.readOnly === true })
    }
    out.set(ref.fullId, {
      pod: meta,
      name: st.name,
      image: c?.image ?? st.image ?? '',
      imageId: st.imageID,
      runtime: ref.runtime,
      privileged: c?.securityContext?.privileged === true,
      // an exited container (init containers, a finished Job) keeps its start in `terminated`:
      // its last events are still being enriched
      startTs: startNs(st.state?.running?.startedAt ?? st.state?.terminated?.startedAt),
      mounts
    })
  }
  return out
}

/** The index: pods and namespaces in, lookups out. */
export class K8sIndex implements K8sMetadata {
  private readonly byContainer = new Map<string, PodContainerMeta>()
  private readonly byPodUid = new Map<string, string[]>()
  private readonly nsLabels = new Map<string, Readonly<Record<string, string>>>()
  private readonly nsUids = new Map<string, string>()

  upsertPod (pod: PodObject): void {
    const uid = pod.metadata?.uid ?? `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`
    this.deletePod(pod)
    const cs = podContainers(pod)
    for (const [id, meta] of cs) this.byContainer.set(id, meta)
    this.byPodUid.set(uid, [...cs.keys()])
  }

  deletePod (pod: PodObject): void {
    const uid = pod.metadata?.uid ?? `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`
    for (const id of this.byPodUid.get(uid) ?? []) this.byContainer.delete(id)
    this.byPodUid.delete(uid)
  }

  /** Replace every pod (after a re-list). */
  resetPods (pods: readonly PodObject[]): void {
    this.byContainer.clear()
    this.byPodUid.clear()
    for (const p of pods) this.upsertPod(p)
  }

  upsertNamespace (ns: NamespaceObject): void {
    const name = ns.metadata?.name
    if (name === undefined) return
    this.nsLabels.set(name, { ...(ns.metadata?.labels ?? {}) })
    if (ns.metadata?.uid !== undefined) this.nsUids.set(name, ns.metadata.uid)
  }

  /** Replace every namespace (after a re-list). */
  resetNamespaces (items: readonly NamespaceObject[]): void {
    this.nsLabels.clear()
    this.nsUids.clear()
    for (const ns of items) this.upsertNamespace(ns)
  }

  deleteNamespace (ns: NamespaceObject): void {
    const name = ns.metadata?.name
    if (name === undefined) return
    this.nsLabels.delete(name)
    this.nsUids.delete(name)
  }

  get podCount (): number { return this.byPodUid.size }

  container (fullId: string): PodContainerMeta | undefined { return this.byContainer.get(fullId) }
  namespaceLabels (namespace: string): Readonly<Record<string, string>> | undefined { return this.nsLabels.get(namespace) }
  namespaceUid (namespace: string): string | undefined { return this.nsUids.get(namespace) }
}
