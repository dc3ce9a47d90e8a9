// ka.req.pod.* / ka.req.container.* / ka.req.volume.* / ka.req.service.* fields: what a created or
// updated pod (or service) asks for. The per-container fields exist for containers,
// initContainers and ephemeralContainers alike, and each reads only its own list.
import {
  defineField, dig, isObj, kaIndexedList, kaRoot, kaScalar, prop, toText, WRONG_TYPE,
  type FieldDef, type JsonObject, type K8sAuditEvent
} from './event.ts'
import { imageRepository } from './image-ref.ts'

type ContainerKind = 'containers' | 'initContainers' | 'ephemeralContainers'
type ItemValue = string | readonly string[] | undefined | typeof WRONG_TYPE

const spec = (r: JsonObject): unknown => dig(r, ['requestObject', 'spec'])
const podSecurity = (r: JsonObject, key: string): unknown => dig(r, ['requestObject', 'spec', 'securityContext', key])
const securityOf = (c: unknown, key: string): unknown => prop(prop(c, 'securityContext'), key)

/** `command` / `args` of one container joined with single spaces; skipped when unset. */
function joinedStrings (c: unknown, key: string): ItemValue {
  const v = prop(c, key)
  if (v === undefined) return undefined
  if (!Array.isArray(v)) return WRONG_TYPE
  for (const s of v) if (typeof s !== 'string') return WRONG_TYPE
  return v.join(' ')
}

function requiredString (c: unknown, key: string): ItemValue {
  const v = prop(c, key)
  return typeof v === 'string' ? v : WRONG_TYPE
}

function hostPorts (c: unknown): ItemValue {
  const ports = prop(c, 'ports')
  if (ports === undefined) return undefined
  if (!Array.isArray(ports)) return WRONG_TYPE
  const out: string[] = []
  for (const p of ports) {
    const v = toText(prop(p, 'hostPort') ?? prop(p, 'containerPort'))
    if (v !== undefined) out.push(v)
  }
  return out
}

function addedCapabilities (c: unknown): ItemValue {
  const add = prop(securityOf(c, 'capabilities'), 'add')
  if (add === undefined) return undefined
  if (!Array.isArray(add)) return WRONG_TYPE
  const out: string[] = []
  for (const a of add) {
    const t = toText(a)
    if (t !== undefined) out.push(t)
  }
  return out
}

function containerFields (kind: ContainerKind): FieldDef<K8sAuditEvent>[] {
  const list = (r: JsonObject): unknown => prop(spec(r), kind)
  const label = kind === 'containers' ? 'containers' : kind === 'initContainers' ? 'init containers' : 'ephemeral containers'
  const field = (suffix: string, desc: string, each: (c: unknown, root: JsonObject) => ItemValue): FieldDef<K8sAuditEvent> =>
    kaIndexedList(`ka.req.pod.${kind}.${suffix}`, `When the request object refers to a pod, ${desc.replace('%', label)}`, list, each)
  const security = (suffix: string, key: string, desc: string): FieldDef<K8sAuditEvent> =>
    field(suffix, desc, (c) => toText(securityOf(c, key)))
  const effective = (suffix: string, key: string, desc: string): FieldDef<K8sAuditEvent> =>
    field(suffix, desc, (c, root) => toText(securityOf(c, key) ?? podSecurity(root, key)) ?? '0')
  const defs = [
    field('name', 'the % names', (c) => requiredString(c, 'name')),
    field('image', 'the % images', (c) => requiredString(c, 'image')),
    field('image.repository', 'the repositories of the % images (no tag, no digest)', (c) => {
      const img = requiredString(c, 'image')
      return typeof img === 'string' ? imageRepository(img) : img
    }),
    field('command', 'the % commands (each joined with spaces)', (c) => joinedStrings(c, 'command')),
    field('args', 'the % args (each joined with spaces)', (c) => joinedStrings(c, 'args')),
    security('privileged', 'privileged', 'the privileged flag of the % that set it'),
    security('allow_privilege_escalation', 'allowPrivilegeEscalation', 'the allowPrivilegeEscalation flag of the % that set it'),
    security('read_only_fs', 'readOnlyRootFilesystem', 'the readOnlyRootFilesystem flag of the % that set it'),
    security('run_as_user', 'runAsUser', 'the runAsUser uid of the % that set it'),
    effective('eff_run_as_user', 'runAsUser', 'the uid each of the % starts with (its own runAsUser, else the pod\'s, else 0)'),
    security('run_as_group', 'runAsGroup', 'the runAsGroup gid of the % that set it'),
    effective('eff_run_as_group', 'runAsGroup', 'the gid each of the % starts with (its own runAsGroup, else the pod\'s, else 0)'),
    security('proc_mount', 'procMount', 'the procMount type of the % that set it'),
    field('add_capabilities', 'the capabilities added by the % (one element per capability)', addedCapabilities)
  ]
  if (kind !== 'ephemeralContainers') defs.push(field('host_port', 'the ports of the % (hostPort, else containerPort)', hostPorts))
  return defs
}

function firstContainer (r: JsonObject): unknown {
  const cs = prop(spec(r), 'containers')
  return Array.isArray(cs) ? cs[0] : undefined
}

const anyPrivileged = kaScalar('ka.req.container.privileged', 'Deprecated: "true" when any container of the pod is privileged, else "false"', (r) => {
  const cs = prop(spec(r), 'containers')
  if (!Array.isArray(cs)) return undefined
  return cs.some((c) => securityOf(c, 'privileged') === true)
}, { deprecated: 'use ka.req.pod.containers.privileged' })

/** Deprecated `ka.req.volume.hostpath[path]`: whether any hostPath volume is path (or starts with it, for `path*`). */
const volumeHostpath = defineField({
  name: 'ka.req.volume.hostpath',
  type: 'string',
  arg: 'required',
  argKind: 'key',
  desc: 'Deprecated: "true" when a hostPath volume mounts the given path (a trailing * matches by prefix), else "false"',
  deprecated: 'use ka.req.pod.volumes.hostpath'
}, function bindVolumeHostpath (arg) {
  const key = arg ?? ''
  const prefix = key.endsWith('*') ? key.slice(0, -1) : undefined
  return function extractVolumeHostpath (ev) {
    const root = kaRoot(ev)
    if (root === undefined) return undefined
    const vols = prop(spec(root), 'volumes')
    if (!Array.isArray(vols)) return 'false'
    for (const v of vols) {
      const p = prop(prop(v, 'hostPath'), 'path')
      if (typeof p === 'string' && (prefix === undefined ? p === key : p.startsWith(prefix))) return 'true'
    }
    return 'false'
  }
})

const volumes = (r: JsonObject): unknown => prop(spec(r), 'volumes')

export const KA_POD_FIELDS: readonly FieldDef<K8sAuditEvent>[] = [
  ...containerFields('containers'),
  kaScalar('ka.req.container.image', 'Deprecated: the image of the first container', (r) => prop(firstContainer(r), 'image'), { deprecated: 'use ka.req.pod.containers.image[0]' }),
  kaScalar('ka.req.container.image.repository', 'Deprecated: the repository of the first container\'s image', (r) => {
    const img = prop(firstContainer(r), 'image')
    return typeof img === 'string' ? imageRepository(img) : undefined
  }, { deprecated: 'use ka.req.pod.containers.image.repository[0]' }),
  kaScalar('ka.req.pod.host_ipc', 'When the request object refers to a pod, the value of the hostIPC flag', (r) => prop(spec(r), 'hostIPC')),
  kaScalar('ka.req.pod.host_network', 'When the request object refers to a pod, the value of the hostNetwork flag', (r) => prop(spec(r), 'hostNetwork')),
  kaScalar('ka.req.container.host_network', 'Deprecated alias of ka.req.pod.host_network', (r) => prop(spec(r), 'hostNetwork'), { deprecated: 'use ka.req.pod.host_network' }),
  kaScalar('ka.req.pod.host_pid', 'When the request object refers to a pod, the value of the hostPID flag', (r) => prop(spec(r), 'hostPID')),
  anyPrivileged,
  kaScalar('ka.req.pod.run_as_user', 'When the request object refers to a pod, the runAsUser uid specified in the pod security context', (r) => podSecurity(r, 'runAsUser')),
  kaScalar('ka.req.pod.run_as_group', 'When the request object refers to a pod, the runAsGroup gid specified in the pod security context', (r) => podSecurity(r, 'runAsGroup')),
  kaScalar('ka.req.pod.fs_group', 'When the request object refers to a pod, the fsGroup gid specified by the security context', (r) => podSecurity(r, 'fsGroup')),
  kaIndexedList('ka.req.pod.supplemental_groups', 'When the request object refers to a pod, the supplementalGroup gids specified by the security context', (r) => podSecurity(r, 'supplementalGroups'), (g) => toText(g), { index: false }),
  kaIndexedList('ka.req.pod.volumes.hostpath', 'When the request object refers to a pod, all hostPath paths specified for all volumes', volumes, (v) => toText(prop(prop(v, 'hostPath'), 'path'))),
  volumeHostpath,
  kaIndexedList('ka.req.pod.volumes.flexvolume_driver', 'When the request object refers to a pod, all flexvolume drivers specified for all volumes', volumes, (v) => toText(prop(prop(v, 'flexVolume'), 'driver'))),
  kaIndexedList('ka.req.pod.volumes.volume_type', 'When the request object refers to a pod, all volume types for all volumes (e.g. hostPath, emptyDir)', volumes, (v) => isObj(v) ? Object.keys(v).filter((k) => k !== 'name') : undefined),
  kaScalar('ka.req.service.type', 'When the request object refers to a service, the service type', (r) => prop(spec(r), 'type')),
  kaIndexedList('ka.req.service.ports', 'When the request object refers to a service, the service\'s ports (each as compact JSON)', (r) => prop(spec(r), 'ports'), (p) => JSON.stringify(p)),
  ...containerFields('initContainers'),
  ...containerFields('ephemeralContainers')
]
