// End to end: kube-apiserver with --audit-webhook-truncate-enabled (the webhook double's
// truncating backend) in front of a spawned `lanner serve` with the built-in rules. A privileged
// pod whose event is over 100 KiB arrives without its objects: no pod alert can fire, so Lanner
// says so once (internal alert, log line) and counts it on /metrics; a small privileged pod in the
// same batch still alerts, and a large Deployment no rule looks into is counted as not needed.
import t from 'tap'
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { createWebhookBackend } from '../helpers/apiserver-client.ts'
import { adminPort, request, startServe, until, webhookListening } from '../helpers/serve-child.ts'
import { DEFAULTS } from '../../src/config/defaults.ts'

let seq = 0
function created (resource: string, apiGroup: string, name: string, requestObject: Record<string, unknown>): Record<string, unknown> {
  seq++
  const ts = `2026-03-04T05:07:${String(seq).padStart(2, '0')}.654321Z`
  const groupPath = apiGroup === '' ? '/api/v1' : `/apis/${apiGroup}/v1`
  return {
    level: 'RequestResponse',
    auditID: `7a0c0000-0000-4000-8000-${String(seq).padStart(12, '0')}`,
    stage: 'ResponseComplete',
    requestURI: `${groupPath}/namespaces/default/${resource}?fieldManager=kubectl-client-side-apply&fieldValidation=Strict`,
    verb: 'create',
    user: { username: 'alice@example.com', groups: ['developers', 'system:authenticated'] },
    sourceIPs: ['10.0.12.7'],
    userAgent: 'kubectl/v1.33.1 (linux/amd64) kubernetes/8adc0f0',
    objectRef: { resource, namespace: 'default', name, ...(apiGroup === '' ? {} : { apiGroup }), apiVersion: 'v1' },
    responseStatus: { metadata: {}, code: 201 },
    requestObject,
    responseObject: { ...requestObject, metadata: { ...(requestObject.metadata as object), uid: `u-${seq}`, resourceVersion: String(1000 + seq) } },
    requestReceivedTimestamp: ts,
    stageTimestamp: ts,
    annotations: { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': 'RBAC: allowed by ClusterRoleBinding "developers-edit"' }
  }
}

/** kubectl apply stores the whole manifest in this annotation: how real objects grow past 100 KiB */
const bulk = (kib: number): Record<string, string> => ({ 'kubectl.kubernetes.io/last-applied-configuration': 'x'.repeat(kib * 1024) })
function privilegedPod (name: string, annotations: Record<string, string> = {}): Record<string, unknown> {
  return {
    kind: 'Pod',
    apiVersion: 'v1',
    metadata: { name, namespace: 'default', annotations },
    spec: { containers: [{ name: 'c', image: 'evil/miner:1', securityContext: { privileged: true } }] }
  }
}

interface Alert { rule: string, priority: string, source: string, output: string, output_fields: Record<string, unknown> }
function readAlerts (file: string): Alert[] {
  let text = ''
  try { text = readFileSync(file, 'utf8') } catch { return [] }
  return text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Alert)
}

t.test('truncated events: one internal alert, one log line, counted on /metrics; whole events alert as usual', async (t) => {
  const dir = t.testdir({})
  const alertsFile = path.join(dir, 'alerts.jsonl')
  const config = path.join(dir, 'falco.yaml')
  writeFileSync(config, `
json_output: true
stdout_output: {enabled: false}
file_output: {enabled: true, keep_alive: true, filename: ${alertsFile}}
webserver: {enabled: true, listen_address: 127.0.0.1, listen_port: 0}
plugins:
  - name: k8saudit
    open_params: "http://127.0.0.1:0/k8s-audit"
`)
  const serve = startServe(t, ['serve', '-c', config])
  const { port } = await webhookListening(serve)
  const admin = `http://127.0.0.1:${await adminPort(serve)}`
  const backend = createWebhookBackend({
    kubeconfig: { server: `http://127.0.0.1:${port}/k8s-audit` },
    mode: 'batch',
    batchMaxWaitMs: 20,
    truncate: { enabled: true }
  })
  t.teardown(async () => { await backend.shutdown(); backend.close() })

  const deployment = {
    kind: 'Deployment',
    apiVersion: 'apps/v1',
    metadata: { name: 'big-app', namespace: 'default', annotations: bulk(150) },
    spec: { replicas: 1, selector: { matchLabels: { app: 'big' } }, template: { metadata: { labels: { app: 'big' } }, spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] } } }
  }
  t.equal(await backend.processEvents(
    created('pods', '', 'miner-big', privilegedPod('miner-big', bulk(150))),
    created('pods', '', 'miner-small', privilegedPod('miner-small')),
    created('deployments', 'apps', 'big-app', deployment)
  ), true)
  // the list goes out after batchMaxWaitMs; wait for its answer
  await until(() => backend.outcomes.length > 0 && backend.outcomes.every((o) => o.attempts.length > 0), 'the list answered')
  await backend.idle()
  const sent = backend.outcomes.map((o) => o.body).join('')
  t.equal((sent.match(/"audit.k8s.io\/truncated":"true"/g) ?? []).length, 2, 'the backend truncated the two large events')
  t.same(backend.outcomes.flatMap((o) => o.attempts.map((a) => a.status)), backend.outcomes.map(() => 200), 'every list 200 on its first attempt')

  const alerts = await until(() => { const a = readAlerts(alertsFile); return a.length >= 2 ? a : undefined }, 'two alerts')
  const metrics = await request(`${admin}${DEFAULTS.metricsPath}`)
  t.match(metrics.body, /^lanner_audit_truncated_events_total\{needed_by_rules="true"\} 1$/m, 'the pod: a rule wanted its spec')
  t.match(metrics.body, /^lanner_audit_truncated_events_total\{needed_by_rules="false"\} 1$/m, 'the Deployment: no rule looks inside')
  serve.child.kill('SIGTERM')
  t.equal((await serve.exited).code, 0)

  const final = readAlerts(alertsFile)
  t.same(final.map((a) => a.rule).sort(), ['K8s Privileged Pod Created', 'Lanner internal: truncated audit events'], 'nothing else, nothing twice')
  t.equal(alerts.length, final.length)
  const pod = final.find((a) => a.rule === 'K8s Privileged Pod Created')
  t.equal(pod?.output_fields['ka.resp.name'], 'miner-small', 'the whole event still alerts')
  const internal = final.find((a) => a.rule === 'Lanner internal: truncated audit events')
  t.match(internal, {
    source: 'internal',
    priority: 'Warning',
    output_fields: { n_events: 1, n_truncated: 2, last_verb: 'create', last_resource: 'pods', last_namespace: 'default', last_name: 'miner-big', last_user: 'alice@example.com' }
  })
  t.match(internal?.output, /could not see what the requests created or changed\. Last: create pods miner-big in default by alice@example\.com\./)
  const warned = serve.logs.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('audit events arrived truncated'))
  t.equal(warned.length, 1, 'one log line for the window')
  t.match(warned[0], { truncated: 2, neededByRules: 1 })
})
