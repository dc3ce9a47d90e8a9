// A loopback stand-in for kube-apiserver's core/v1 list and watch (pods, namespaces, configmaps),
// built from the Kubernetes API conventions (kubernetes.io/docs/reference/using-api/api-concepts,
// "Efficient detection of changes", "Watch bookmarks"; apimachinery's metav1.Status):
// - HTTPS with a certificate signed by a test CA that the client verifies (the cluster CA bundle of
//   a kubeconfig or service account); a bearer token is required: 401 Status without a known one,
//   403 Status (RBAC's "<resource> is forbidden: User ... cannot list resource ...") when forbidden.
// - list: `{kind: PodList, apiVersion: v1, metadata: {resourceVersion}, items}`; the ITEMS carry no
//   kind/apiVersion (the apiserver encodes list items without TypeMeta; only watch events and
//   single-object GETs carry them). resourceVersion is one cluster-wide counter (etcd's revision).
// - fieldSelector / labelSelector honoured on lists and watches; an unsupported field label is a
//   400 BadRequest "field label not supported: <f>", as the registry's field set answers.
// - watch from resourceVersion R replays the changes after R; without R (or R=0) it starts with
//   ADDED for every current object; R older than the compacted history gets a 200 response whose
//   only event is ERROR with a 410 Expired Status ("too old resource version: R (oldest)") — the
//   watch cache answers a too-old version in-band, not with an HTTP 410.
// - allowWatchBookmarks=true: BOOKMARK events whose object has only kind, apiVersion and
//   metadata.resourceVersion, on demand (bookmark()) and when the watch cache sends them
//   (k8s.io/apiserver pkg/storage/cacher cacheWatcher.nextBookmarkTime): roughly every minute, and
//   2 s before the watch's deadline; none when that moment has already passed (timeoutSeconds <= 2).
// - timeoutSeconds ends the watch response cleanly after that many seconds.
// - every namespace written carries the immutable `kubernetes.io/metadata.name: <name>` label the
//   apiserver sets on create and update (KEP-2161, GA in 1.22), whatever the writer sent.
// Lists can be made to fail (500 InternalError Status) or hang, for the client's retry paths.
import { createServer, type Server } from 'node:https'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { randomUUID } from 'node:crypto'
import { KubeConfig } from '@kubernetes/client-node'
import { sharedCaCert, sharedTestPki } from './certs.ts'

export type WatchedKind = 'pods' | 'namespaces'
export type Resource = 'pods' | 'namespaces' | 'configmaps'

export interface SeenRequest { path: string, query: URLSearchParams, auth: string | undefined }

interface Teardown { teardown(fn: () => void | Promise<void>): void }

/** the watch cache's bookmark heartbeat (cacher's bookmarkFrequency: one minute) */
const BOOKMARK_FREQUENCY_MS = 60_000

const KIND: Record<Resource, string> = { pods: 'Pod', namespaces: 'Namespace', configmaps: 'ConfigMap' }
const NAMESPACED: Record<Resource, boolean> = { pods: true, namespaces: false, configmaps: true }

// The field labels each registry accepts in a fieldSelector (pkg/registry/core/*/strategy.go
// ...ToSelectableFields plus the generic metadata.name / metadata.namespace).
const FIELDS: Record<Resource, Record<string, (o: any) => string>> = {
  pods: {
    'metadata.name': (o) => o.metadata?.name ?? '',
    'metadata.namespace': (o) => o.metadata?.namespace ?? '',
    'spec.nodeName': (o) => o.spec?.nodeName ?? '',
    'spec.restartPolicy': (o) => o.spec?.restartPolicy ?? '',
    'spec.schedulerName': (o) => o.spec?.schedulerName ?? '',
    'spec.serviceAccountName': (o) => o.spec?.serviceAccountName ?? '',
    'spec.hostNetwork': (o) => String(o.spec?.hostNetwork === true),
    'status.phase': (o) => o.status?.phase ?? '',
    'status.podIP': (o) => o.status?.podIP ?? '',
    'status.nominatedNodeName': (o) => o.status?.nominatedNodeName ?? ''
  },
  namespaces: {
    'metadata.name': (o) => o.metadata?.name ?? '',
    'status.phase': (o) => o.status?.phase ?? ''
  },
  configmaps: {
    'metadata.name': (o) => o.metadata?.name ?? '',
    'metadata.namespace': (o) => o.metadata?.namespace ?? ''
  }
}

/** A metav1.Status failure body as the apiserver writes it. */
export function statusObject (code: number, reason: string, message: string, details?: Record<string, unknown>): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details !== undefined ? { details } : {}), code }
}

/** A KubeConfig for a loopback server, as a user's kubeconfig would describe it (CA data for https). */
export function kubeConfigFor (server: string, token = 'secret', caCert = server.startsWith('https:') ? sharedCaCert() : undefined): KubeConfig {
  const kc = new KubeConfig()
  kc.loadFromOptions({
    clusters: [{ name: 'fake', server, ...(caCert !== undefined ? { caData: Buffer.from(caCert).toString('base64') } : {}), skipTLSVerify: false }],
    users: [{ name: 'lanner', token }],
    contexts: [{ name: 'fake', cluster: 'fake', user: 'lanner' }],
    currentContext: 'fake'
  })
  return kc
}

/**
 * The same connection as a kubeconfig FILE's text (what `kubectl config view --raw` prints), for
 * child processes that find the API through `$KUBECONFIG` or a configured kubeconfig path. An
 * https server gets the shared test CA as certificate-authority-data: TLS is verified.
 */
export function kubeconfigYaml (server: string, token = 'secret', caCert = server.startsWith('https:') ? sharedCaCert() : undefined): string {
  if (server.startsWith('https:') && caCert === undefined) throw new Error('kubeconfigYaml: no CA yet (start a fake apiserver first)')
  const ca = caCert !== undefined ? `, certificate-authority-data: "${Buffer.from(caCert).toString('base64')}"` : ''
  return `apiVersion: v1
kind: Config
clusters:
  - name: fake
    cluster: {server: "${server}"${ca}}
users:
  - name: lanner
    user: {token: "${token}"}
contexts:
  - name: fake
    context: {cluster: fake, user: lanner}
current-context: fake
`
}

export type ContainerRuntimeScheme = 'containerd' | 'cri-o' | 'docker'

export interface PodContainerSpec {
  name: string
  /** 64 hex; absent: the container has not been created yet (status without containerID) */
  containerId?: string
  image?: string
  /** default: running (terminated for a Succeeded/Failed pod or an init container) */
  state?: 'running' | 'waiting' | 'terminated'
  privileged?: boolean
  volumeMounts?: Array<{ name: string, mountPath: string, readOnly?: boolean }>
}

export interface PodOptions {
  name: string
  namespace: string
  /** the `app` container's id (64 hex) */
  containerId: string
  labels?: Record<string, string>
  image?: string
  nodeName?: string
  startedAt?: string
  /** the runtime's scheme in containerStatuses[].containerID (default containerd) */
  runtime?: ContainerRuntimeScheme
  phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed'
  /** a controller owner: a Deployment's pods are owned by its ReplicaSet `<deployment>-<pod-template-hash>` */
  owner?: { deployment: string } | { replicaSet: string } | { replicationController: string } | { daemonSet: string }
  initContainers?: PodContainerSpec[]
  ephemeralContainers?: PodContainerSpec[]
  /** extra app containers besides `app` */
  containers?: PodContainerSpec[]
  uid?: string
  /** pod volumes; `hostPath` makes a hostPath volume (type DirectoryOrCreate omitted), else an emptyDir */
  volumes?: Array<{ name: string, hostPath?: string }>
  /** the app container's mounts and securityContext */
  appMounts?: PodContainerSpec['volumeMounts']
  privileged?: boolean
  hostNetwork?: boolean
}

// Deterministic ids from names, so expectations can be written down.
function hashHex (s: string, n: number): string {
  let h = 0x811c9dc5
  let out = ''
  while (out.length < n) {
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0
    out += h.toString(16).padStart(8, '0')
    s += '.'
  }
  return out.slice(0, n)
}

/** A UUID-shaped uid derived from a name (the apiserver generates a random v4 uid). */
export function uidFor (name: string): string {
  const h = hashHex(name, 32)
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`
}

/** The pod-template-hash a Deployment's ReplicaSet and pods carry (10 chars of [bcdfghjklmnpqrstvwxz2456789]). */
export function podTemplateHash (deployment: string): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789'
  const h = hashHex(deployment, 20)
  let out = ''
  for (let i = 0; i < 10; i++) out += alphabet[parseInt(h.slice(i * 2, i * 2 + 2), 16) % alphabet.length]
  return out
}

/**
 * A pod as the API server returns it: spec, and status as the kubelet reports it (phase,
 * conditions, containerStatuses whose containerID is `<runtime>://<64hex>` once created, image
 * normalized by the runtime, imageID a digest). Default: one running container `app` (containerd).
 */
export function podObject (opts: PodOptions): Record<string, unknown> {
  const image = opts.image ?? `registry.local/${opts.name}:v1`
  const started = opts.startedAt ?? '2026-03-01T12:00:00Z'
  const scheme = opts.runtime ?? 'containerd'
  const phase = opts.phase ?? 'Running'
  const labels: Record<string, string> = { ...(opts.labels ?? {}) }
  const uid = opts.uid ?? uidFor(`${opts.namespace}/${opts.name}`)
  const metadata: Record<string, unknown> = {
    name: opts.name, namespace: opts.namespace, uid, resourceVersion: '1', creationTimestamp: started, labels
  }
  const owner = opts.owner
  if (owner !== undefined) {
    let kind: string, ownerName: string, apiVersion = 'apps/v1'
    if ('deployment' in owner) {
      const hash = podTemplateHash(owner.deployment)
      labels['pod-template-hash'] = hash
      kind = 'ReplicaSet'; ownerName = `${owner.deployment}-${hash}`
    } else if ('replicaSet' in owner) { kind = 'ReplicaSet'; ownerName = owner.replicaSet } else if ('daemonSet' in owner) {
      kind = 'DaemonSet'; ownerName = owner.daemonSet
    } else { kind = 'ReplicationController'; ownerName = owner.replicationController; apiVersion = 'v1' }
    metadata.generateName = `${ownerName}-`
    metadata.ownerReferences = [{ apiVersion, kind, name: ownerName, uid: uidFor(`${kind}/${opts.namespace}/${ownerName}`), controller: true, blockOwnerDeletion: true }]
  }
  if (Object.keys(labels).length === 0) delete metadata.labels
  const terminal = phase === 'Succeeded' || phase === 'Failed'
  const app: PodContainerSpec = { name: 'app', containerId: opts.containerId, image, state: phase === 'Pending' ? 'waiting' : terminal ? 'terminated' : 'running', privileged: opts.privileged, volumeMounts: opts.appMounts }
  const mains = [app, ...(opts.containers ?? [])]
  const inits = opts.initContainers ?? []
  const ephemerals = opts.ephemeralContainers ?? []
  const spec: Record<string, unknown> = {
    nodeName: opts.nodeName ?? 'node-1',
    restartPolicy: 'Always',
    schedulerName: 'default-scheduler',
    serviceAccountName: 'default',
    containers: mains.map((c) => containerSpec(c, opts.name))
  }
  if (opts.hostNetwork === true) spec.hostNetwork = true
  if (opts.volumes !== undefined) spec.volumes = opts.volumes.map((v) => v.hostPath !== undefined ? { name: v.name, hostPath: { path: v.hostPath, type: '' } } : { name: v.name, emptyDir: {} })
  if (inits.length > 0) spec.initContainers = inits.map((c) => containerSpec(c, opts.name))
  if (ephemerals.length > 0) spec.ephemeralContainers = ephemerals.map((c) => ({ ...containerSpec(c, opts.name), targetContainerName: 'app' }))
  const status: Record<string, unknown> = {
    phase,
    hostIP: '10.0.0.11',
    startTime: started,
    conditions: [{ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: started }]
  }
  if (phase !== 'Pending') {
    status.podIP = '10.244.1.7'
    status.podIPs = [{ ip: '10.244.1.7' }]
  }
  status.containerStatuses = mains.map((c) => containerStatus(c, opts.name, scheme, started, 'running'))
  if (inits.length > 0) status.initContainerStatuses = inits.map((c) => containerStatus(c, opts.name, scheme, started, 'terminated'))
  if (ephemerals.length > 0) status.ephemeralContainerStatuses = ephemerals.map((c) => containerStatus(c, opts.name, scheme, started, 'running'))
  return { apiVersion: 'v1', kind: 'Pod', metadata, spec, status }
}

function containerSpec (c: PodContainerSpec, pod: string): Record<string, unknown> {
  const out: Record<string, unknown> = { name: c.name, image: c.image ?? `registry.local/${pod}-${c.name}:v1`, imagePullPolicy: 'IfNotPresent', resources: {}, terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File' }
  if (c.privileged !== undefined) out.securityContext = { privileged: c.privileged }
  if (c.volumeMounts !== undefined) out.volumeMounts = c.volumeMounts
  return out
}

// kubelet's status for one container: before creation there is no containerID, only a waiting state.
function containerStatus (c: PodContainerSpec, pod: string, scheme: ContainerRuntimeScheme, started: string, dflt: 'running' | 'terminated'): Record<string, unknown> {
  const specImage = c.image ?? `registry.local/${pod}-${c.name}:v1`
  // runtimes report the normalized reference: `nginx:1.25` → `docker.io/library/nginx:1.25`
  const image = specImage.includes('/') ? specImage : `docker.io/library/${specImage}`
  const state = c.containerId === undefined ? 'waiting' : (c.state ?? dflt)
  const out: Record<string, unknown> = { name: c.name, image, imageID: '', lastState: {}, ready: state === 'running', restartCount: 0, started: state === 'running' }
  if (state === 'waiting') {
    out.state = { waiting: { reason: 'ContainerCreating' } }
    return out
  }
  out.imageID = `${image.replace(/:[^:/]*$/, '')}@sha256:${hashHex(specImage, 64)}`
  out.containerID = `${scheme}://${c.containerId as string}`
  out.state = state === 'running'
    ? { running: { startedAt: started } }
    : { terminated: { exitCode: 0, reason: 'Completed', startedAt: started, finishedAt: started, containerID: out.containerID } }
  return out
}

/** A namespace as the apiserver returns it: the automatic `kubernetes.io/metadata.name` label, phase Active. */
export function namespaceObject (name: string, labels: Record<string, string> = {}): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, uid: uidFor(`ns/${name}`), resourceVersion: '1', creationTimestamp: '2026-03-01T11:00:00Z', labels: { ...labels, 'kubernetes.io/metadata.name': name } },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' }
  }
}

// ---------------------------------------------------------------------------------------------
// The engine: one store, one revision counter, history for watch resumption.

interface Change { rv: number, resource: Resource, type: 'ADDED' | 'MODIFIED' | 'DELETED', object: any }

interface OpenWatch {
  res: ServerResponse
  resource: Resource
  namespace: string | undefined
  match: (o: any) => boolean
  bookmarks: boolean
  /** highest resourceVersion written to it */
  sentRv: number
}

export interface KubeRequest { resource: Resource, verb: 'list' | 'watch', namespace: string | undefined, query: URLSearchParams, auth: string | undefined, path: string }

export interface KubeApiOptions {
  /** accepted bearer tokens → the user they authenticate (default `secret` → the lanner service account) */
  tokens?: Record<string, string>
  /** a status to answer this request with instead of serving it (410 on a watch: the in-band ERROR) */
  intercept?: (req: KubeRequest) => number | 'hang' | undefined
  onRequest?: (req: KubeRequest) => void
  onWatchOpened?: (req: KubeRequest) => void
  onWatchClosed?: (req: KubeRequest) => void
  /** the client gave up on a request `intercept` answered 'hang' */
  onHungClosed?: (req: KubeRequest) => void
  /** the revision the store starts at (default 1) */
  startRv?: number
}

export interface KubeApi {
  url: string
  caCert: string
  /** current revision */
  rv(): number
  /** the objects of a resource as stored (TypeMeta included) */
  objects(resource: Resource): any[]
  /** create/update/delete as a controller would: new resourceVersion, history, watch events; returns the stored object */
  apply(resource: Resource, type: Change['type'], object: any, opts?: { unseen?: boolean }): any
  /** replace every object without events, as changes during a compacted window */
  replace(resource: Resource, objects: unknown[]): void
  /**
   * Forget the history up to `upTo` (a watch from an older version gets 410); without it, up to
   * a new revision (another write first, so every version handed out so far becomes too old).
   */
  compact(upTo?: number): void
  /** write a raw event line to open watches of `resource` that have not seen `object`'s resourceVersion yet */
  sendRaw(resource: Resource | undefined, type: string, object: any): void
  bookmark(resource: Resource): void
  endWatches(resource?: Resource): void
  openWatches(resource?: Resource): number
  forbid(resource: Resource, forbidden?: boolean): void
}

function parseSelector (s: string): string[] {
  const out: string[] = []
  let depth = 0, cur = ''
  for (const ch of s) {
    if (ch === '(') depth++
    if (ch === ')') depth--
    if (ch === ',' && depth === 0) { out.push(cur.trim()); cur = '' } else cur += ch
  }
  if (cur.trim() !== '') out.push(cur.trim())
  return out
}

function fieldMatcher (resource: Resource, sel: string | null): ((o: any) => boolean) | string {
  if (sel === null || sel === '') return () => true
  const tests: Array<(o: any) => boolean> = []
  for (const term of parseSelector(sel)) {
    const m = /^([^=!]+)(==|=|!=)(.*)$/.exec(term)
    if (m === null) return `invalid field selector: ${term}`
    const get = FIELDS[resource][(m[1] as string).trim()]
    if (get === undefined) return `field label not supported: ${(m[1] as string).trim()}`
    const want = m[3] as string
    tests.push(m[2] === '!=' ? (o) => get(o) !== want : (o) => get(o) === want)
  }
  return (o) => tests.every((f) => f(o))
}

function labelMatcher (sel: string | null): (o: any) => boolean {
  if (sel === null || sel === '') return () => true
  const tests: Array<(l: Record<string, string>) => boolean> = []
  for (const term of parseSelector(sel)) {
    let m: RegExpExecArray | null
    if ((m = /^(\S+)\s+(in|notin)\s+\((.*)\)$/.exec(term)) !== null) {
      const k = m[1] as string, vs = (m[3] as string).split(',').map((v) => v.trim()), neg = m[2] === 'notin'
      tests.push((l) => (l[k] !== undefined && vs.includes(l[k])) !== neg)
    } else if ((m = /^([^=!]+)(==|=|!=)(.*)$/.exec(term)) !== null) {
      const k = (m[1] as string).trim(), v = (m[3] as string).trim(), neg = m[2] === '!='
      tests.push((l) => (l[k] === v) !== neg)
    } else if (term.startsWith('!')) { const k = term.slice(1); tests.push((l) => l[k] === undefined) } else tests.push((l) => l[term] !== undefined)
  }
  return (o) => { const l = o.metadata?.labels ?? {}; return tests.every((f) => f(l)) }
}

function withoutTypeMeta (o: any): any {
  const { kind: _k, apiVersion: _a, ...rest } = o
  return rest
}

function withTypeMeta (resource: Resource, o: any): any {
  const { kind: _k, apiVersion: _a, ...rest } = o
  return { kind: KIND[resource], apiVersion: 'v1', ...rest }
}

function keyOf (o: any): string { return `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}` }

/** What the registry stores for a write: a namespace gets its automatic name label (KEP-2161). */
function asStored (resource: Resource, o: any): void {
  if (resource === 'namespaces' && typeof o.metadata?.name === 'string') o.metadata.labels = { ...(o.metadata.labels ?? {}), 'kubernetes.io/metadata.name': o.metadata.name }
}

/** Starts the HTTPS engine; closed in teardown. */
export async function startKubeApi (t: Teardown, opts: KubeApiOptions = {}): Promise<KubeApi> {
  const pki = await sharedTestPki()
  const tokens = opts.tokens ?? { secret: 'system:serviceaccount:lanner:lanner' }
  let revision = opts.startRv ?? 1
  let compacted = 0
  const store: Record<Resource, Map<string, any>> = { pods: new Map(), namespaces: new Map(), configmaps: new Map() }
  const history: Change[] = []
  const watches = new Set<OpenWatch>()
  const forbidden = new Set<Resource>()

  function send (w: OpenWatch, type: string, object: unknown, rv?: number): void {
    w.res.write(JSON.stringify({ type, object }) + '\n')
    if (rv !== undefined && rv > w.sentRv) w.sentRv = rv
  }

  function answer (res: ServerResponse, code: number, body: unknown): void {
    res.writeHead(code, { 'content-type': 'application/json', 'cache-control': 'no-cache, private', 'audit-id': randomUUID() })
    res.end(JSON.stringify(body))
  }

  function route (path: string): { resource: Resource, namespace: string | undefined } | undefined {
    let m = /^\/api\/v1\/(pods|namespaces|configmaps)$/.exec(path)
    if (m !== null) return { resource: m[1] as Resource, namespace: undefined }
    m = /^\/api\/v1\/namespaces\/([^/]+)\/(pods|configmaps)$/.exec(path)
    if (m !== null) return { resource: m[2] as Resource, namespace: decodeURIComponent(m[1] as string) }
    return undefined
  }

  function serve (req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'https://x')
    const auth = req.headers.authorization
    const r = route(url.pathname)
    const isWatch = url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1'
    const kreq: KubeRequest | undefined = r === undefined ? undefined : { ...r, verb: isWatch ? 'watch' : 'list', query: url.searchParams, auth, path: url.pathname }
    if (kreq !== undefined) opts.onRequest?.(kreq)
    const token = /^Bearer (.+)$/.exec(auth ?? '')?.[1]
    const user = token !== undefined ? tokens[token] : undefined
    if (user === undefined) { answer(res, 401, statusObject(401, 'Unauthorized', 'Unauthorized')); return }
    if (req.method !== 'GET' || kreq === undefined) { answer(res, 404, statusObject(404, 'NotFound', 'the server could not find the requested resource', {})); return }
    const { resource, namespace, verb } = kreq
    if (forbidden.has(resource)) { answer(res, 403, forbiddenStatus(kreq, user)); return }
    const fm = fieldMatcher(resource, url.searchParams.get('fieldSelector'))
    if (typeof fm === 'string') { answer(res, 400, statusObject(400, 'BadRequest', fm)); return }
    const lm = labelMatcher(url.searchParams.get('labelSelector'))
    const match = (o: any): boolean => (namespace === undefined || o.metadata?.namespace === namespace) && fm(o) && lm(o)
    const scripted = opts.intercept?.(kreq)
    if (scripted === 'hang') { req.on('close', function hungClosed () { opts.onHungClosed?.(kreq) }); return }
    if (scripted !== undefined && !(isWatch && scripted === 410)) { answer(res, scripted, scripted === 403 ? forbiddenStatus(kreq, user) : scriptedStatus(scripted)); return }
    if (!isWatch) {
      const items = [...store[resource].values()].filter(match).map(withoutTypeMeta)
      answer(res, 200, { kind: `${KIND[resource]}List`, apiVersion: 'v1', metadata: { resourceVersion: String(revision) }, items })
      return
    }
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache, private', 'audit-id': randomUUID(), 'transfer-encoding': 'chunked' })
    res.flushHeaders()
    const w: OpenWatch = { res, resource, namespace, match, bookmarks: url.searchParams.get('allowWatchBookmarks') === 'true', sentRv: 0 }
    watches.add(w)
    let timer: NodeJS.Timeout | undefined
    let bookmarkTimer: NodeJS.Timeout | undefined
    req.on('close', function watchClosed () {
      clearTimeout(timer)
      clearTimeout(bookmarkTimer)
      watches.delete(w)
      opts.onWatchClosed?.(kreq)
    })
    // a response ended here (timeoutSeconds, endWatches) writes nothing more
    res.on('close', function watchResponseClosed () { clearTimeout(timer); clearTimeout(bookmarkTimer) })
    opts.onWatchOpened?.(kreq)
    const rvParam = url.searchParams.get('resourceVersion')
    const from = rvParam === null || rvParam === '' ? 0 : Number(rvParam)
    if (scripted === 410 || (from !== 0 && from < compacted)) {
      const oldest = Math.max(compacted, revision)
      send(w, 'ERROR', statusObject(410, 'Expired', `too old resource version: ${rvParam ?? ''} (${oldest})`))
      res.end()
      return
    }
    if (from === 0) {
      for (const o of store[resource].values()) if (match(o)) send(w, 'ADDED', withTypeMeta(resource, o), Number(o.metadata.resourceVersion))
    } else {
      for (const c of history) if (c.rv > from && c.resource === resource && match(c.object)) send(w, c.type, withTypeMeta(resource, c.object), c.rv)
    }
    w.sentRv = Math.max(w.sentRv, revision)
    const timeoutSeconds = Number(url.searchParams.get('timeoutSeconds') ?? '')
    const deadline = Number.isFinite(timeoutSeconds) && timeoutSeconds > 0 ? Date.now() + timeoutSeconds * 1000 : undefined
    if (deadline !== undefined) timer = setTimeout(function watchTimedOut () { res.end() }, deadline - Date.now())
    if (w.bookmarks) {
      // the cacher's schedule: a heartbeat a minute from now, or 2 s before the deadline if sooner;
      // a moment already past is skipped
      const scheduleBookmark = (): void => {
        const now = Date.now()
        let at = now + BOOKMARK_FREQUENCY_MS
        if (deadline !== undefined && deadline - 2000 < at) at = deadline - 2000
        if (at < now) return
        bookmarkTimer = setTimeout(function cacherBookmark () {
          send(w, 'BOOKMARK', { kind: KIND[resource], apiVersion: 'v1', metadata: { resourceVersion: String(revision) } }, revision)
          if (deadline === undefined || at !== deadline - 2000) scheduleBookmark()
        }, at - now)
      }
      scheduleBookmark()
    }
  }

  const server: Server = createServer({ key: pki.serverKey, cert: pki.serverCert }, serve)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => { for (const w of watches) w.res.destroy(); server.closeAllConnections(); server.close(() => resolve()) }))
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`

  return {
    url,
    caCert: pki.caCert,
    rv: () => revision,
    objects: (resource) => [...store[resource].values()].map((o) => withTypeMeta(resource, o)),
    apply (resource, type, object, applyOpts = {}) {
      revision++
      const o = structuredClone(withoutTypeMeta(object))
      o.metadata = { ...o.metadata, resourceVersion: String(revision) }
      if (NAMESPACED[resource] === false) delete o.metadata.namespace
      asStored(resource, o)
      if (type === 'DELETED') store[resource].delete(keyOf(o))
      else store[resource].set(keyOf(o), o)
      if (applyOpts.unseen === true) {
        // a change whose event has been compacted away already: only a re-list shows it
        compacted = revision
        history.length = 0
        return withTypeMeta(resource, o)
      }
      history.push({ rv: revision, resource, type, object: o })
      for (const w of watches) if (w.resource === resource && w.match(o)) send(w, type, withTypeMeta(resource, o), revision)
      return withTypeMeta(resource, o)
    },
    replace (resource, objects) {
      revision++
      store[resource].clear()
      for (const obj of objects) {
        const o = structuredClone(withoutTypeMeta(obj as any))
        o.metadata = { ...o.metadata, resourceVersion: String(revision) }
        asStored(resource, o)
        store[resource].set(keyOf(o), o)
      }
      compacted = revision
      history.length = 0
    },
    compact (upTo) {
      if (upTo === undefined) { revision++; upTo = revision }
      compacted = Math.max(compacted, upTo)
      const keep = history.filter((c) => c.rv > compacted)
      history.length = 0
      history.push(...keep)
    },
    sendRaw (resource, type, object) {
      const rv = Number(object?.metadata?.resourceVersion ?? NaN)
      for (const w of watches) {
        if (resource !== undefined && w.resource !== resource) continue
        if (Number.isFinite(rv) && rv <= w.sentRv && type !== 'ERROR') continue
        send(w, type, object, Number.isFinite(rv) ? rv : undefined)
      }
    },
    bookmark (resource) {
      for (const w of watches) if (w.resource === resource && w.bookmarks) send(w, 'BOOKMARK', { kind: KIND[resource], apiVersion: 'v1', metadata: { resourceVersion: String(revision) } }, revision)
    },
    endWatches (resource) { for (const w of watches) if (resource === undefined || w.resource === resource) w.res.end() },
    openWatches: (resource) => [...watches].filter((w) => resource === undefined || w.resource === resource).length,
    forbid (resource, on = true) { if (on) forbidden.add(resource); else forbidden.delete(resource) }
  }
}

/**
 * RBAC's refusal as the apiserver words it (endpoints/handlers/responsewriters forbiddenMessage,
 * apierrors.NewForbidden): a list or watch whose fieldSelector requires metadata.name=<n> is
 * authorized as naming <n> (endpoints/request/requestinfo.go), so the message and details name it.
 */
function forbiddenStatus (r: KubeRequest, user: string): Record<string, unknown> {
  const name = /(?:^|,)\s*metadata\.name\s*==?\s*([^,\s]+)/.exec(r.query.get('fieldSelector') ?? '')?.[1]
  const scope = r.namespace !== undefined ? `in the namespace "${r.namespace}"` : 'at the cluster scope'
  const what = name !== undefined ? `${r.resource} "${name}"` : r.resource
  return statusObject(403, 'Forbidden', `${what} is forbidden: User "${user}" cannot ${r.verb} resource "${r.resource}" in API group "" ${scope}`, { ...(name !== undefined ? { name } : {}), kind: r.resource })
}

function scriptedStatus (code: number): Record<string, unknown> {
  switch (code) {
    case 401: return statusObject(401, 'Unauthorized', 'Unauthorized')
    case 404: return statusObject(404, 'NotFound', 'the server could not find the requested resource', {})
    case 429: return statusObject(429, 'TooManyRequests', 'Too many requests, please try again later.', { retryAfterSeconds: 1 })
    case 503: return statusObject(503, 'ServiceUnavailable', 'the server is currently unable to handle the request')
    default: return statusObject(code, 'InternalError', 'Internal error occurred: etcdserver: request timed out', { causes: [{ message: 'etcdserver: request timed out' }] })
  }
}

// ---------------------------------------------------------------------------------------------
// The pods + namespaces server of the syscall source's metadata watch.

export interface FakeApiServer {
  kubeConfig: KubeConfig
  /** `https://127.0.0.1:<port>` */
  url: string
  /** the bearer token it accepts (`secret`) */
  token: string
  caCert: string
  /** a kubeconfig file's text for this server */
  kubeconfigYaml(token?: string): string
  /** every request, in arrival order */
  seen: SeenRequest[]
  /**
   * The stored pods / namespaces. Assigning replaces them without watch events, as changes made
   * while the client's version was compacted away: a watch resumed from before gets 410.
   */
  lists: Record<WatchedKind, unknown[]>
  openWatches(): number
  /** resolves once `cond` holds, re-checked at each request and each hung request the client closes */
  untilSeen(cond: () => boolean): Promise<void>
  /** resolves once no watch stream is open any more */
  allWatchesClosed(): Promise<void>
  /** the next `n` lists answer 500 */
  failLists(n: number): void
  /** the next `n` lists (Infinity: all) are accepted and never answered */
  hangLists(n: number): void
  /** how many never-answered lists the client has given up on (closed) so far */
  hungListsClosed(): number
  /** a change (ADDED/MODIFIED/DELETED) stored with a new resourceVersion and sent to matching watches */
  push(kind: WatchedKind, type: string, object: unknown): void
  /**
   * History compacted and the open watches of `kind` ended: the client's resumed watch is answered
   * with the in-band 410 Expired ERROR, and it has to re-list.
   */
  expire(kind: WatchedKind): void
  /** a BOOKMARK at the current revision to the watches of `kind` that asked for bookmarks */
  bookmark(kind: WatchedKind): void
  /** history up to `resourceVersion` forgotten (default: all of it, after one more write) */
  compact(resourceVersion?: string): void
  /** the open watches of `kind` (default: all) end cleanly, as at their timeoutSeconds */
  endWatches(kind?: WatchedKind): void
  /** RBAC: list/watch of `kind` answered 403 */
  forbid(kind: WatchedKind, forbidden?: boolean): void
  /** the current revision */
  resourceVersion(): string
  /** namespace deletion as the apiserver shows it: Terminating (MODIFIED), its pods DELETED, then the namespace DELETED */
  deleteNamespace(name: string): void
  /** resolves once both a pod and a namespace watch are open */
  bothWatching: Promise<void>
}

export async function startFakeApiServer (t: Teardown, initial: Partial<Record<WatchedKind, unknown[]>> = {}, opts: { tokens?: Record<string, string> } = {}): Promise<FakeApiServer> {
  const seen: SeenRequest[] = []
  const seenHooks: Array<() => void> = []
  let closedWaiters: Array<() => void> = []
  let bothResolve: () => void = () => {}
  const bothWatching = new Promise<void>((resolve) => { bothResolve = resolve })
  let failNextList = 0
  let hangNextList = 0
  let hungClosed = 0
  const api: KubeApi = await startKubeApi(t, {
    tokens: opts.tokens,
    onRequest (r) {
      seen.push({ path: r.path, query: r.query, auth: r.auth })
      for (const f of seenHooks.splice(0)) f()
    },
    intercept (r) {
      if (r.verb !== 'list') return undefined
      if (hangNextList > 0) { hangNextList--; return 'hang' }
      if (failNextList > 0) { failNextList--; return 500 }
      return undefined
    },
    onHungClosed () { hungClosed++; for (const f of seenHooks.splice(0)) f() },
    onWatchOpened () {
      if (api.openWatches('pods') > 0 && api.openWatches('namespaces') > 0) bothResolve()
    },
    onWatchClosed () {
      if (api.openWatches() === 0) { const w = closedWaiters; closedWaiters = []; for (const f of w) f() }
    }
  })
  for (const p of initial.pods ?? []) api.apply('pods', 'ADDED', p)
  for (const n of initial.namespaces ?? []) api.apply('namespaces', 'ADDED', n)
  // the cluster's revision moved on with other resources' writes since (etcd's revision is global)
  while (api.rv() < 10) api.compact()

  const lists = {} as Record<WatchedKind, unknown[]>
  for (const kind of ['pods', 'namespaces'] as const) {
    Object.defineProperty(lists, kind, { enumerable: true, get: () => api.objects(kind), set: (v: unknown[]) => { api.replace(kind, v) } })
  }
  const token = Object.keys(opts.tokens ?? { secret: '' })[0] as string

  return {
    kubeConfig: kubeConfigFor(api.url, token, api.caCert),
    url: api.url,
    token,
    caCert: api.caCert,
    kubeconfigYaml: (tok = token) => kubeconfigYaml(api.url, tok, api.caCert),
    seen,
    lists,
    openWatches: () => api.openWatches(),
    async untilSeen (cond) {
      while (!cond()) await new Promise<void>((resolve) => { seenHooks.push(resolve) })
    },
    allWatchesClosed: () => new Promise<void>((resolve) => { if (api.openWatches() === 0) resolve(); else closedWaiters.push(resolve) }),
    failLists (n) { failNextList = n },
    hangLists (n) { hangNextList = n },
    hungListsClosed: () => hungClosed,
    push (kind, type, object) {
      if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') api.apply(kind, type, object)
      else api.sendRaw(kind, type, object)
    },
    expire (kind) { api.compact(); api.endWatches(kind) },
    bookmark (kind) { api.bookmark(kind) },
    compact (rv) { api.compact(rv === undefined ? undefined : Number(rv)) },
    endWatches (kind) { api.endWatches(kind) },
    forbid (kind, on = true) { api.forbid(kind, on) },
    resourceVersion: () => String(api.rv()),
    deleteNamespace (name) {
      const ns = api.objects('namespaces').find((n) => n.metadata?.name === name)
      if (ns === undefined) return
      api.apply('namespaces', 'MODIFIED', { ...ns, metadata: { ...ns.metadata, deletionTimestamp: new Date().toISOString() }, status: { phase: 'Terminating' } })
      for (const p of api.objects('pods')) if (p.metadata?.namespace === name) api.apply('pods', 'DELETED', p)
      api.apply('namespaces', 'DELETED', { ...ns, spec: { finalizers: [] }, status: { phase: 'Terminating' } })
    },
    bothWatching
  }
}
