// End to end as a cluster runs it: `lanner serve` (spawned, built-in rules) fed by the
// kube-apiserver webhook double (test/helpers/apiserver-client.ts) over loopback, plain HTTP in
// batch mode and mTLS + bearer token in blocking mode, with real-form bodies: the routine events of
// ../shared/reference/audit-samples and the attacks the built-in rules exist for. Every batch must
// be 2xx on its first attempt; each attack gives its rule, the routine traffic nothing of Warning
// or worse, and refused exec gives the probing rule, never "session opened".
import t from 'tap'
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { createWebhookBackend, loadAuditSamples, type WebhookBackend, type WebhookKubeconfig } from '../helpers/apiserver-client.ts'
import { createTestPki } from '../helpers/certs.ts'
import { startServe, until, webhookListening, type ServeChild } from '../helpers/serve-child.ts'

// The apiserver's retries are real, but quick: a failed first attempt is then reported with its
// answer at once instead of the test running into its timeout during 10 s x 1.5 backoffs
const FAST_BACKOFF_MS = 20

// several `lanner serve` children fed every real audit sample in each backend mode: about 70 s on a
// loaded machine, so more than the runner's 120 s default (a bound, never a wait)
t.setTimeout(300_000)
const KUBECTL = 'kubectl/v1.33.1 (linux/amd64) kubernetes/8adc0f0'
let seq = 0

function base (stage: string, verb: string, uri: string, objectRef: Record<string, unknown>, code: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  seq++
  const ts = `2026-03-04T05:06:${String(seq % 60).padStart(2, '0')}.123456Z`
  return {
    level: 'RequestResponse',
    auditID: `e2e00000-0000-4000-8000-${String(seq).padStart(12, '0')}`,
    stage,
    requestURI: uri,
    verb,
    user: { username: 'alice@example.com', groups: ['developers', 'system:authenticated'] },
    sourceIPs: ['10.0.12.7'],
    userAgent: KUBECTL,
    objectRef,
    responseStatus: { metadata: {}, code },
    requestReceivedTimestamp: ts,
    stageTimestamp: ts,
    annotations: { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': 'RBAC: allowed by ClusterRoleBinding "developers-edit"' },
    ...extra
  }
}

/** The attacks, as the apiserver audits them (1.30+: WebSocket exec is a get). Keyed by the rule each must raise. */
function attacks (tag: string): Array<{ rule: string, event: Record<string, unknown> }> {
  const pod = `web-${tag}`
  const execUri = `/api/v1/namespaces/default/pods/${pod}/exec?command=sh&command=-c&command=id%20%26%26%20cat%20%2Fetc%2Fshadow&container=app&stdin=true&stdout=true&tty=true`
  const execRef = { resource: 'pods', namespace: 'default', name: pod, apiVersion: 'v1', subresource: 'exec' }
  return [
    {
      rule: 'K8s Privileged Pod Created',
      event: base('ResponseComplete', 'create', '/api/v1/namespaces/default/pods?fieldManager=kubectl-create', { resource: 'pods', namespace: 'default', name: `sidecar-${tag}`, apiVersion: 'v1' }, 201, {
        requestObject: {
          kind: 'Pod',
          apiVersion: 'v1',
          metadata: { name: `sidecar-${tag}`, namespace: 'default' },
          spec: {
            initContainers: [{ name: 'log-shipper', image: 'busybox:1.36', restartPolicy: 'Always', securityContext: { privileged: true } }],
            containers: [{ name: 'app', image: 'nginx:1.27' }]
          }
        }
      })
    },
    {
      rule: 'K8s Ephemeral Container Added',
      event: base('ResponseComplete', 'patch', `/api/v1/namespaces/default/pods/${pod}/ephemeralcontainers`, { resource: 'pods', namespace: 'default', name: pod, apiVersion: 'v1', subresource: 'ephemeralcontainers' }, 200, {
        requestObject: { spec: { ephemeralContainers: [{ name: 'debugger-x7k2p', image: 'busybox:1.36', targetContainerName: 'app', stdin: true, tty: true }] } }
      })
    },
    { rule: 'K8s Exec or Attach Into Pod', event: base('ResponseStarted', 'get', execUri, execRef, 101, { level: 'Metadata' }) }, // WebSocket
    { rule: 'K8s Exec or Attach Into Pod', event: base('ResponseStarted', 'create', execUri, execRef, 101, { level: 'Metadata', userAgent: 'kubectl/v1.29.4 (linux/amd64) kubernetes/55019c8' }) }, // SPDY
    {
      rule: 'K8s Binding To cluster-admin',
      event: base('ResponseComplete', 'create', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', { resource: 'clusterrolebindings', name: `admin-${tag}`, apiGroup: 'rbac.authorization.k8s.io', apiVersion: 'v1' }, 201, {
        requestObject: {
          kind: 'ClusterRoleBinding',
          apiVersion: 'rbac.authorization.k8s.io/v1',
          metadata: { name: `admin-${tag}` },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
          subjects: [{ kind: 'ServiceAccount', name: 'default', namespace: 'default' }]
        }
      })
    },
    {
      rule: 'K8s Anonymous Request Allowed',
      event: base('ResponseComplete', 'list', '/api/v1/namespaces/kube-system/pods?limit=500', { resource: 'pods', namespace: 'kube-system', apiVersion: 'v1' }, 200, {
        level: 'Metadata',
        user: { username: 'system:anonymous', groups: ['system:unauthenticated'] },
        userAgent: 'curl/8.5.0',
        annotations: { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': 'RBAC: allowed by ClusterRoleBinding "oops" of ClusterRole "cluster-admin" to User "system:anonymous"' }
      })
    },
    {
      rule: 'K8s Exec, Attach or Port-Forward Refused', // denied: 403, decision forbid
      event: base('ResponseStarted', 'get', execUri, execRef, 403, {
        level: 'Metadata',
        user: { username: 'bob@example.com', groups: ['system:authenticated'] },
        responseStatus: { metadata: {}, status: 'Failure', message: `pods "${pod}" is forbidden: User "bob@example.com" cannot get resource "pods/exec" in API group "" in the namespace "default"`, reason: 'Forbidden', details: { name: pod, kind: 'pods' }, code: 403 },
        annotations: { 'authorization.k8s.io/decision': 'forbid', 'authorization.k8s.io/reason': '' }
      })
    },
    {
      rule: 'K8s Exec, Attach or Port-Forward Refused', // unauthenticated: 401, empty user, no authorization
      event: base('ResponseStarted', 'get', execUri, execRef, 401, {
        level: 'Metadata',
        user: {},
        userAgent: 'kubectl/v1.33.1 (linux/amd64) kubernetes/8adc0f0',
        responseStatus: { metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 },
        annotations: undefined
      })
    }
  ]
}

const PRIORITY_RANK: Record<string, number> = { Emergency: 0, Alert: 1, Critical: 2, Error: 3, Warning: 4, Notice: 5, Informational: 6, Debug: 7 }

interface Alert { rule: string, priority: string, output: string, output_fields: Record<string, unknown> }

function readAlerts (file: string): Alert[] {
  try {
    return readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Alert)
  } catch { return [] }
}

/** Sends `events` through the backend as the apiserver would in its mode, then checks every batch's first attempt. */
async function deliver (t: Tap, backend: WebhookBackend, mode: string, events: Array<Record<string, unknown>>): Promise<void> {
  if (mode === 'batch') {
    t.equal(await backend.processEvents(...events), true, 'the buffer took every event')
    await backend.idle()
  } else {
    // blocking: the audit filter hands each event over inside its API request
    for (const ev of events) t.equal(await backend.processEvents(ev), true)
  }
  t.ok(backend.outcomes.length > 0)
  const late = backend.outcomes.filter((o) => !(o.attempts.length === 1 && o.attempts[0]?.exchanges.length === 1 && o.attempts[0].status === 200))
  t.same(late.map((o) => o.attempts.map((a) => a.exchanges.map((x) => `${x.status ?? x.error}: ${x.body ?? ''}`))), [], 'every batch 200 on its first attempt')
  t.equal(backend.outcomes.reduce((n, o) => n + o.events, 0), events.length, 'all events sent')
  t.same(backend.errors, { bufferFull: 0, tooLarge: 0, batchGivenUp: 0 })
  if (mode !== 'batch') t.ok(backend.outcomes.every((o) => o.events === 1), 'blocking: one event per list')
}

interface Tap { equal: typeof t.equal, ok: typeof t.ok, same: typeof t.same }

async function checkAlerts (t: Tap, serve: ServeChild, file: string, expected: Array<{ rule: string }>): Promise<Alert[]> {
  await until(() => readAlerts(file).length >= expected.length, `${expected.length} alerts`)
  serve.child.kill('SIGTERM')
  t.equal((await serve.exited).code, 0, 'SIGTERM: drained, exit 0')
  const alerts = readAlerts(file)
  const serious = alerts.filter((a) => (PRIORITY_RANK[a.priority] ?? 9) <= PRIORITY_RANK.Warning!)
  const want = (rules: string[]): string[] => [...rules].sort()
  t.same(want(alerts.filter((a) => expected.some((e) => e.rule === a.rule)).map((a) => a.rule)), want(expected.map((e) => e.rule)), 'each attack raised its rule, once')
  t.same(serious.filter((a) => !expected.some((e) => e.rule === a.rule)).map((a) => `${a.priority} ${a.rule}: ${a.output}`), [], 'nothing else of Warning or worse: the routine samples stay quiet')
  t.equal(alerts.length, expected.length, 'and nothing else at all')
  const opened = alerts.filter((a) => a.rule === 'K8s Exec or Attach Into Pod')
  t.same(opened.map((a) => a.output_fields['ka.response.code']).sort(), [101, 101], '"session opened" only for the two allowed streams (WebSocket get, SPDY create)')
  t.same(opened.map((a) => a.output_fields['ka.verb']).sort(), ['create', 'get'])
  const refused = alerts.filter((a) => a.rule === 'K8s Exec, Attach or Port-Forward Refused')
  t.same(refused.map((a) => a.output_fields['ka.response.code']).sort(), [401, 403], 'denied and unauthenticated exec are the probing rule')
  return alerts
}

function config (dir: string, webhook: string): string {
  const file = path.join(dir, 'falco.yaml')
  writeFileSync(file, `
json_output: true
stdout_output: {enabled: false}
file_output: {enabled: true, keep_alive: true, filename: ${path.join(dir, 'alerts.jsonl')}}
webserver: {enabled: false}
${webhook}
`)
  return file
}

interface Transport { name: string, start(t: Teardown): Promise<{ serve: ServeChild, dir: string, kubeconfig: WebhookKubeconfig }> }
interface Teardown { teardown(fn: () => unknown): void, testdir(files?: Record<string, string>): string }

const HTTP: Transport = {
  name: 'HTTP',
  async start (t) {
    const dir = t.testdir({})
    const serve = startServe(t, ['serve', '-c', config(dir, `plugins:
  - name: k8saudit
    open_params: "http://127.0.0.1:0/k8s-audit"`)])
    const { port } = await webhookListening(serve)
    return { serve, dir, kubeconfig: { server: `http://127.0.0.1:${port}/k8s-audit` } }
  }
}

const MTLS: Transport = {
  name: 'mTLS + bearer token',
  async start (t) {
    const pki = await createTestPki()
    t.teardown(() => pki.remove())
    const dir = t.testdir({ token: 'webhook-s3cret\n' })
    const serve = startServe(t, ['serve', '-c', config(dir, `lanner:
  webhook:
    listen: "127.0.0.1:0"
    tls: {cert: ${pki.files.serverCert}, key: ${pki.files.serverKey}, ca: ${path.join(pki.dir, 'rogue-ca.crt')}, client_auth: require}
    bearer_token_file: ${path.join(dir, 'token')}`)])
    const listening = await webhookListening(serve)
    if (listening.tls !== true) throw new Error('the webhook does not serve TLS')
    return {
      serve,
      dir,
      kubeconfig: {
        server: `https://127.0.0.1:${listening.port}/k8s-audit`,
        certificateAuthority: pki.caCert,
        // the client CA must not be the one that signed the server certificate (Lanner refuses that)
        clientCertificate: pki.rogueCert,
        clientKey: pki.rogueKey,
        token: 'webhook-s3cret'
      }
    }
  }
}

function slug (s: string): string { return s.replace(/\W+/g, '-').toLowerCase() }

for (const transport of [HTTP, MTLS]) {
  t.test(`${transport.name}, batch mode: samples and attacks in EventLists, all 200 first time`, async (t) => {
    const { serve, dir, kubeconfig } = await transport.start(t)
    const backend = createWebhookBackend({ kubeconfig, mode: 'batch', batchMaxSize: 5, batchMaxWaitMs: 50, initialBackoffMs: FAST_BACKOFF_MS })
    t.teardown(async () => { await backend.shutdown(); backend.close() })
    const expected = attacks(`batch-${slug(transport.name)}`)
    const samples = loadAuditSamples().map((s) => s.event)
    t.equal(samples.length, 13)
    await deliver(t, backend, 'batch', [...samples, ...expected.map((e) => e.event)])
    t.ok(backend.outcomes.length >= 4, `several lists (${backend.outcomes.length})`)
    t.notMatch(backend.outcomes.map((o) => o.body).join(''), /"kind":"Event"/, 'real form: no item kind')
    // lists sent at once each take a connection, as the apiserver's concurrent sends do; reuse is checked in blocking mode
    t.ok(backend.connections <= backend.outcomes.length)
    await checkAlerts(t, serve, path.join(dir, 'alerts.jsonl'), expected)
  })

  t.test(`${transport.name}, blocking mode: one synchronous 1-event list per request, all 200 first time`, async (t) => {
    const { serve, dir, kubeconfig } = await transport.start(t)
    const backend = createWebhookBackend({ kubeconfig, mode: 'blocking', initialBackoffMs: FAST_BACKOFF_MS })
    t.teardown(async () => { await backend.shutdown(); backend.close() })
    const expected = attacks(`blocking-${slug(transport.name)}`)
    const events = [...loadAuditSamples().map((s) => s.event), ...expected.map((e) => e.event)]
    await deliver(t, backend, 'blocking', events)
    t.equal(backend.outcomes.length, events.length)
    t.equal(backend.connections, 1, 'one keep-alive connection for every request')
    await checkAlerts(t, serve, path.join(dir, 'alerts.jsonl'), expected)
  })
}

t.test('Basic auth from lanner.webhook.basic_auth over TLS: the kubeconfig username/password is admitted, a wrong one is not', async (t) => {
  const pki = await createTestPki()
  t.teardown(() => pki.remove())
  const dir = t.testdir({ password: 'ch0se-n\n' })
  // a password over plain HTTP is refused at start-up (webhook-auth.ts), as it should be
  const serve = startServe(t, ['serve', '-c', config(dir, `lanner:
  webhook:
    listen: "127.0.0.1:0"
    tls: {cert: ${pki.files.serverCert}, key: ${pki.files.serverKey}}
    basic_auth: {username: kube-apiserver, password_file: ${path.join(dir, 'password')}}`)])
  const { port } = await webhookListening(serve)
  const server = `https://127.0.0.1:${port}/k8s-audit`
  const good = createWebhookBackend({ kubeconfig: { server, certificateAuthority: pki.caCert, username: 'kube-apiserver', password: 'ch0se-n' }, mode: 'blocking-strict', initialBackoffMs: FAST_BACKOFF_MS })
  const bad = createWebhookBackend({ kubeconfig: { server, certificateAuthority: pki.caCert, username: 'kube-apiserver', password: 'guess' }, mode: 'blocking-strict', initialBackoffMs: 1 })
  t.teardown(() => { good.close(); bad.close() })
  const [attack] = attacks('basic')
  t.equal(await good.processEvents(attack!.event), true)
  t.same(good.outcomes[0]?.attempts.map((a) => a.status), [200], '200 on the first attempt')
  t.equal(await bad.processEvents(attacks('basic-bad')[0]!.event), false)
  t.same(bad.outcomes[0]?.attempts.map((a) => a.status), [401, 401, 401, 401, 401])
  await until(() => readAlerts(path.join(dir, 'alerts.jsonl')).length >= 1, 'the alert')
  serve.child.kill('SIGTERM')
  t.equal((await serve.exited).code, 0)
  // both batches hold the same kind of attack: one alert means the refused one was never evaluated
  t.same(readAlerts(path.join(dir, 'alerts.jsonl')).map((a) => a.rule), ['K8s Privileged Pod Created'], 'only the authenticated batch was evaluated')
})
