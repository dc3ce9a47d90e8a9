// The kustomize manifests, rendered with kubectl and validated against the Kubernetes schemas
// (kubernetes-models). Ports, paths, flags and config keys are checked against what the server
// accepts: the ConfigMap's config is loaded with the server's own loadConfig, numbers come from
// src/config/defaults.ts and src/setup/constants.ts.
import t from 'tap'
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, readdirSync, existsSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { tmpdir } from 'node:os'
import { basename, join, posix } from 'node:path'
import { parse } from 'yaml'
import { loadConfig } from '../../src/config/index.ts'
import { DEFAULTS, DEFAULT_RULES_FILES } from '../../src/config/defaults.ts'
import type { Config } from '../../src/config/types.ts'
import { SETUP } from '../../src/setup/constants.ts'
import { SECRET_KEYS, createTlsBundle } from '../../src/setup/tls-bundle.ts'
import { parseK8sOptions } from '../../src/k8s/configmap-watch.ts'
import { MANIFESTS, REPO, all, find, findKubectl, render, schemaProblem, selects, serveArgs, userOverlay, type K8sObject } from './render.ts'

const kubectl = findKubectl()
// a skip even in CI: kubectl is not a Debian package, so scripts/install-deps.sh cannot promise it
const noKubectl = kubectl === undefined ? 'kubectl (with built-in kustomize) not found: set KUBECTL or install kubectl to render the manifests' : undefined
if (noKubectl !== undefined || kubectl === undefined) {
  t.plan(0, noKubectl)
  process.exit(0)
}

const audit = render(kubectl, join(MANIFESTS, 'overlays/audit'))
const insecure = render(kubectl, join(MANIFESTS, 'overlays/audit-insecure-http'))
const syscall = render(kubectl, join(MANIFESTS, 'overlays/syscall'))
const version = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version

/** The workload's config, loaded by the server's own loader from the rendered ConfigMap. */
function workloadConfig (objs: K8sObject[], podSpec: any, source?: 'k8s_audit' | 'syscall'): { config: Config, args: ReturnType<typeof serveArgs> } {
  const container = podSpec.containers[0]
  const args = serveArgs(container.args)
  if (args.config === undefined) throw new Error('the container does not pass -c')
  const { cm, key } = configMapFileAt(objs, podSpec, container, args.config)
  const dir = mkdtempSync(join(tmpdir(), 'lanner-manifest-config-'))
  const file = join(dir, key)
  writeFileSync(file, cm.data[key])
  const config = loadConfig({ file, overrides: args.overrides, ...(source === undefined ? {} : { source }) })
  // unknown keys are only warnings at run time: here a misspelt key must fail the test
  if (config.warnings.length > 0) throw new Error(`${args.config}: ${config.warnings.join('; ')}`)
  return { config, args }
}

/** Which ConfigMap key a file path inside the container comes from (whole-ConfigMap or items). */
function configMapFileAt (objs: K8sObject[], podSpec: any, container: any, path: string): { cm: K8sObject, key: string, volume: any } {
  for (const m of container.volumeMounts ?? []) {
    const dir = m.mountPath.endsWith('/') ? m.mountPath : m.mountPath + '/'
    if (!path.startsWith(dir)) continue
    const volume = podSpec.volumes.find((v: any) => v.name === m.name)
    if (volume?.configMap === undefined) continue
    const rel = path.slice(dir.length)
    const item = (volume.configMap.items ?? []).find((i: any) => i.path === rel)
    const key = volume.configMap.items === undefined ? rel : item?.key
    const cm = find(objs, 'ConfigMap', volume.configMap.name)
    if (key === undefined || cm.data?.[key] === undefined) throw new Error(`${path}: no key ${String(key)} in ConfigMap ${volume.configMap.name}`)
    return { cm, key, volume }
  }
  throw new Error(`${path} is not inside a ConfigMap volume mount`)
}

/** The mount a path lives under, and its volume. */
function mountOf (podSpec: any, container: any, path: string): { mount: any, volume: any } | undefined {
  for (const m of container.volumeMounts ?? []) {
    if (path === m.mountPath || path.startsWith(m.mountPath.replace(/\/?$/, '/'))) {
      return { mount: m, volume: podSpec.volumes.find((v: any) => v.name === m.name) }
    }
  }
  return undefined
}

function port (container: any, name: string): number {
  const p = container.ports.find((x: any) => x.name === name)
  if (p === undefined) throw new Error(`container has no port named ${name}`)
  return p.containerPort
}

t.test('every overlay renders, and every object is valid against the Kubernetes schemas', async (t) => {
  const base = render(kubectl, join(MANIFESTS, 'base'))
  for (const [name, objs, ns] of [['base', base, undefined], ['audit', audit, SETUP.namespace], ['audit-insecure-http', insecure, SETUP.namespace], ['syscall', syscall, SETUP.syscallNamespace]] as const) {
    t.ok(objs.length >= 3, `${name}: rendered ${objs.length} objects`)
    for (const o of objs) t.equal(schemaProblem(o), undefined, `${name}: ${o.kind} ${o.metadata.name}`)
    if (ns !== undefined) for (const o of objs) if (o.kind !== 'Namespace' && o.kind !== 'ClusterRole' && o.kind !== 'ClusterRoleBinding') t.equal(o.metadata.namespace, ns, `${name}: ${o.kind} ${o.metadata.name} is in the ${ns} namespace`)
    const ids = objs.map((o) => `${o.kind}/${o.metadata.name}`)
    t.same(ids.filter((id, i) => ids.indexOf(id) !== i), [], `${name}: no duplicate objects`)
  }
  t.equal(find(audit, 'Namespace').metadata.name, SETUP.namespace)
  t.equal(find(syscall, 'Namespace').metadata.name, SETUP.syscallNamespace)
  t.equal(find(syscall, 'Namespace').metadata.labels?.['pod-security.kubernetes.io/enforce'], 'privileged', 'Pod Security admits the DaemonSet')
  t.equal(find(audit, 'Namespace').metadata.labels?.['pod-security.kubernetes.io/enforce'], 'restricted', 'the audit-only install is not labelled privileged')
})

t.test('both overlays can be installed and removed independently: nothing shared, the Namespace included', async (t) => {
  const names = (objs: K8sObject[]): Set<string> => new Set(objs.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`))
  const a = names(audit)
  t.same([...names(syscall)].filter((n) => a.has(n)), [], 'kubectl delete -k of one deletes nothing of the other')
})

t.test('every object, and every pod template, carries the app.kubernetes.io labels', async (t) => {
  for (const [name, objs, component] of [['audit', audit, 'audit'], ['audit-insecure-http', insecure, 'audit'], ['syscall', syscall, 'syscall']] as const) {
    const want = { 'app.kubernetes.io/name': 'lanner', 'app.kubernetes.io/part-of': 'lanner', 'app.kubernetes.io/managed-by': 'kustomize', 'app.kubernetes.io/version': version, 'app.kubernetes.io/component': component, 'app.kubernetes.io/instance': `lanner-${component}` }
    for (const o of objs) {
      t.match(o.metadata.labels, want, `${name}: ${o.kind} ${o.metadata.name}`)
      if (o.spec?.template !== undefined) t.match(o.spec.template.metadata.labels, want, `${name}: ${o.kind} ${o.metadata.name} pod template`)
      // selectors are immutable: a version in them would block every upgrade
      const sel = o.spec?.selector?.matchLabels ?? (o.kind === 'Service' ? o.spec.selector : undefined)
      if (sel !== undefined) t.notOk('app.kubernetes.io/version' in sel, `${name}: ${o.kind} ${o.metadata.name}: no version in the selector`)
    }
  }
})

t.test('audit Deployment: replicas, probes on the admin port, hardening, resources', async (t) => {
  const dep = find(audit, 'Deployment')
  const pod = dep.spec.template.spec
  const c = pod.containers[0]
  const { config, args } = workloadConfig(audit, pod)
  t.equal(dep.spec.replicas, 2)
  t.equal(config.source, 'k8s_audit')
  t.equal(args.source, undefined, 'audit is the default source')

  t.equal(port(c, 'webhook'), config.webhook.port, 'container port = the port the server listens on')
  t.equal(config.webhook.port, DEFAULTS.webhookPort)
  t.equal(config.webhook.path, DEFAULTS.webhookPath)
  t.equal(port(c, 'admin'), config.admin.port)
  t.equal(c.livenessProbe.httpGet.path, config.admin.healthzPath)
  t.equal(c.livenessProbe.httpGet.port, 'admin')
  t.equal(c.readinessProbe.httpGet.path, config.admin.readyzPath)
  t.equal(c.readinessProbe.httpGet.port, 'admin')
  t.equal(config.admin.enabled, true)
  t.equal(config.admin.metricsEnabled, true)

  t.equal(pod.securityContext.runAsNonRoot, true)
  t.ok(pod.securityContext.runAsUser > 0, 'a non-root uid')
  t.equal(pod.securityContext.seccompProfile.type, 'RuntimeDefault')
  t.equal(c.securityContext.allowPrivilegeEscalation, false)
  t.equal(c.securityContext.readOnlyRootFilesystem, true)
  t.same(c.securityContext.capabilities.drop, ['ALL'])
  t.notOk(c.securityContext.capabilities.add, 'no capabilities added')
  t.notOk(pod.hostNetwork || pod.hostPID, 'no host namespaces')
  t.ok(c.resources.requests.cpu && c.resources.requests.memory && c.resources.limits.memory, 'requests and a memory limit')
  t.equal(c.image, `lanner:${version}`, 'image tag follows package.json')
})

t.test('audit: the memory limit, the in-flight byte budget and the config README agree', async (t) => {
  const pod = find(audit, 'Deployment').spec.template.spec
  const { config } = workloadConfig(audit, pod)
  const limit = /^(\d+)(Mi|Gi)$/.exec(pod.containers[0].resources.limits.memory)
  const limitBytes = Number(limit?.[1]) * (limit?.[2] === 'Gi' ? 1024 ** 3 : 1024 ** 2)
  const budget = config.webhook.maxInflightBytes
  t.equal(budget, DEFAULTS.maxInflightBytes, 'the Deployment runs the default budget')
  // the sizing rule the README derives from bench/webhook-memory.bench.ts (peak ≈ 310 MiB + 1.4 × budget)
  t.ok(limitBytes >= 1.5 * budget + 400 * 1024 ** 2, `limit ${pod.containers[0].resources.limits.memory} ≥ 1.5 × ${budget / 1024 ** 2} MiB + 400 MiB`)
  const readme = readFileSync(join(REPO, 'src/config/README.md'), 'utf8')
  t.match(readme, new RegExp(`with the ${budget / 1024 ** 2} MiB\\s+default`), 'the README measures the default budget')
  t.match(readme, new RegExp(`\\*\\*${limitBytes / 1024 ** 3} GiB memory limit\\*\\*`), 'and names the shipped limit')
})

t.test('audit: rules files and directories are ConfigMap volumes, mounted whole (never subPath)', async (t) => {
  const pod = find(audit, 'Deployment').spec.template.spec
  const c = pod.containers[0]
  const { config } = workloadConfig(audit, pod)
  t.equal(config.rulesPaths.length, 2)
  const [defaults, custom] = config.rulesPaths as [string, string]
  const d = configMapFileAt(audit, pod, c, defaults)
  t.equal(d.key, basename(DEFAULT_RULES_FILES.k8s_audit), 'the default k8s_audit rules file')
  t.equal(d.cm.data[d.key], readFileSync(DEFAULT_RULES_FILES.k8s_audit, 'utf8'), 'the ConfigMap carries the repository rules')
  const cm = mountOf(pod, c, custom)
  t.equal(cm?.mount.mountPath, custom, 'the custom rules directory is a mount point')
  t.equal(cm?.volume.configMap.optional, true)
  t.equal(cm?.volume.configMap.items, undefined, 'every key of the custom ConfigMap is loaded')
  find(audit, 'ConfigMap', cm?.volume.configMap.name)
  for (const m of c.volumeMounts) t.notOk(m.subPath, `${m.name}: no subPath (kubelet updates would never arrive)`)
  t.equal(config.watchConfigFiles, true)
})

t.test('audit Services: only the webhook through NodePort 30007; health and metrics on a ClusterIP', async (t) => {
  const svc = find(audit, 'Service', 'lanner-audit')
  const pod = find(audit, 'Deployment').spec.template
  const c = pod.spec.containers[0]
  const { config } = workloadConfig(audit, pod.spec)
  t.equal(svc.spec.type, 'NodePort')
  t.ok(selects(svc.spec.selector, pod.metadata.labels), 'selects the pods')
  t.equal(svc.spec.ports.length, 1, 'one port on the nodes')
  const webhook = svc.spec.ports[0]
  t.equal(webhook.nodePort, SETUP.webhookNodePort)
  t.equal(port(c, webhook.targetPort), config.webhook.port)
  const admin = find(audit, 'Service', 'lanner-admin-audit')
  t.equal(admin.spec.type, 'ClusterIP')
  t.ok(selects(admin.spec.selector, pod.metadata.labels))
  t.same(admin.spec.ports.map((p: any) => port(c, p.targetPort)), [config.admin.port])
  for (const s of all(audit, 'Service')) for (const p of s.spec.ports) if (p.nodePort !== undefined) t.equal(port(c, p.targetPort), config.webhook.port, 'no other port reaches the nodes')
  t.equal(SETUP.defaultServer, `https://127.0.0.1:${SETUP.webhookNodePort}${config.webhook.path}`, 'the recipes point at this Service, over TLS')
})

t.test('audit: PodDisruptionBudget and NetworkPolicy cover the pods; only the served ports are open', async (t) => {
  const tpl = find(audit, 'Deployment').spec.template
  const c = tpl.spec.containers[0]
  const pdb = find(audit, 'PodDisruptionBudget')
  t.ok(selects(pdb.spec.selector.matchLabels, tpl.metadata.labels))
  t.ok(pdb.spec.minAvailable >= 1 && pdb.spec.minAvailable < find(audit, 'Deployment').spec.replicas, 'drains keep one replica and can still proceed')
  const np = find(audit, 'NetworkPolicy')
  t.ok(selects(np.spec.podSelector.matchLabels, tpl.metadata.labels))
  t.same(np.spec.policyTypes, ['Ingress'])
  const open = np.spec.ingress.flatMap((r: any) => r.ports.map((p: any) => p.port)).sort()
  t.same(open, c.ports.map((p: any) => p.containerPort).sort(), 'exactly the container ports')
  const { config } = workloadConfig(audit, tpl.spec)
  const adminRule = np.spec.ingress.find((r: any) => r.ports.some((p: any) => p.port === config.admin.port))
  t.ok(adminRule.from?.length > 0, 'health and metrics only from named sources, not from anywhere')
  t.notOk(adminRule.ports.some((p: any) => p.port === config.webhook.port), 'the webhook rule is separate')
})

t.test('syscall: a NetworkPolicy admits health and metrics only from named sources', async (t) => {
  const tpl = find(syscall, 'DaemonSet').spec.template
  const c = tpl.spec.containers[0]
  const np = all(syscall, 'NetworkPolicy').find((p: any) => selects(p.spec.podSelector.matchLabels, tpl.metadata.labels))
  t.ok(np, 'a NetworkPolicy selects the syscall pods (their /metrics names every rule that fired)')
  t.same(np?.spec.policyTypes, ['Ingress'], 'ingress only: outputs and the API stay reachable')
  const open = (np?.spec.ingress ?? []).flatMap((r: any) => r.ports.map((p: any) => p.port)).sort()
  t.same(open, c.ports.map((p: any) => p.containerPort).sort(), 'exactly the container ports')
  const { config } = workloadConfig(syscall, tpl.spec, 'syscall')
  const adminRule = (np?.spec.ingress ?? []).find((r: any) => r.ports.some((p: any) => p.port === config.admin.port))
  t.ok(adminRule?.from?.length > 0, 'not from anywhere')
})

t.test('audit: TLS with client certificates by default, from the Secret lanner setup tls writes', async (t) => {
  const pod = find(audit, 'Deployment').spec.template.spec
  const c = pod.containers[0]
  const vol = pod.volumes.find((v: any) => v.secret !== undefined)
  t.equal(vol.secret.secretName, SETUP.tlsSecretName)
  t.equal(vol.secret.optional, false, 'no Secret, no pod: never a silent fallback to an open webhook')
  const { config } = workloadConfig(audit, pod)
  const tls = config.webhook.tls
  t.ok(tls, 'the server sees TLS configured')
  t.equal(tls?.clientAuth, 'require', 'client certificates required')
  for (const [file, key] of [[tls?.cert, SECRET_KEYS.cert], [tls?.key, SECRET_KEYS.key], [tls?.ca, SECRET_KEYS.clientCa]] as const) {
    t.equal(mountOf(pod, c, file ?? '')?.volume.name, vol.name, `${file} comes from the Secret`)
    t.equal(posix.basename(file ?? ''), key, `under the key lanner setup tls writes (${key})`)
  }
  t.equal(all(audit, 'Secret').length, 0, 'no credentials in the repository')

  // the overlay named for it: plain HTTP, no Secret
  const ipod = find(insecure, 'Deployment').spec.template.spec
  t.same(ipod.volumes.filter((v: any) => v.secret !== undefined), [], 'no TLS Secret')
  t.notOk(ipod.containers[0].volumeMounts.some((m: any) => m.name === vol.name))
  const ic = workloadConfig(insecure, ipod).config
  t.equal(ic.webhook.tls, undefined, 'plain HTTP')
  t.same(names(insecure), names(audit), 'otherwise the same objects')
})

function names (objs: K8sObject[]): string[] {
  return objs.map((o) => `${o.kind}/${o.metadata.name}`).sort()
}

t.test('audit RBAC: only the custom-rules ConfigMap, read only, bound to the pod identity', async (t) => {
  const pod = find(audit, 'Deployment').spec.template.spec
  const sa = pod.serviceAccountName
  find(audit, 'ServiceAccount', sa)
  t.same(all(audit, 'ClusterRole'), [], 'no cluster-wide permissions')
  const role = find(audit, 'Role')
  const customCm = pod.volumes.find((v: any) => v.name === 'custom-rules').configMap.name
  t.same(role.rules, [{ apiGroups: [''], resources: ['configmaps'], resourceNames: [customCm], verbs: ['get', 'list', 'watch'] }])
  const rb = find(audit, 'RoleBinding')
  t.equal(rb.roleRef.name, role.metadata.name)
  t.same(rb.subjects, [{ kind: 'ServiceAccount', name: sa, namespace: SETUP.namespace }])
  const { config } = workloadConfig(audit, pod)
  t.same(parseK8sOptions(config.k8s), { rulesConfigMaps: [] }, 'the lanner.k8s section is valid; the API watch is opt-in')
  const example = /name: (lanner-custom-rules-audit)/.exec(find(audit, 'ConfigMap', 'lanner-config-audit').data['lanner.yaml'])
  t.equal(example?.[1], customCm, 'the commented example names the real ConfigMap')
})

/** every .ts/.c/.h/.sh file under dir, concatenated */
function sourceTexts (dir: string): string {
  let out = ''
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    if (e.isDirectory()) out += sourceTexts(p)
    else if (/\.(ts|c|h|sh)$/.test(e.name)) out += readFileSync(p, 'utf8')
  }
  return out
}

t.test('syscall DaemonSet: capabilities instead of privileged, host PID, mounts, node name, every node', async (t) => {
  const ds = find(syscall, 'DaemonSet')
  const pod = ds.spec.template.spec
  const c = pod.containers[0]
  const { config, args } = workloadConfig(syscall, pod, 'syscall')
  t.equal(args.source, 'syscall')
  t.equal(config.source, 'syscall')
  const d = configMapFileAt(syscall, pod, c, config.rulesPaths[0] as string)
  t.equal(d.key, basename(DEFAULT_RULES_FILES.syscall), 'the default syscall rules')
  t.equal(port(c, 'admin'), config.admin.port)
  t.equal(c.livenessProbe.httpGet.path, config.admin.healthzPath)
  t.equal(c.readinessProbe.httpGet.path, config.admin.readyzPath)

  t.equal(pod.hostPID, true)
  t.notOk(pod.hostNetwork)
  t.not(c.securityContext.privileged, true, 'not privileged')
  t.equal(c.securityContext.allowPrivilegeEscalation, false)
  t.equal(c.securityContext.readOnlyRootFilesystem, true)
  t.same(c.securityContext.capabilities.drop, ['ALL'])
  for (const cap of ['BPF', 'PERFMON', 'SYS_RESOURCE']) t.ok(c.securityContext.capabilities.add.includes(cap), `CAP_${cap}`)
  t.notOk(c.securityContext.capabilities.add.includes('SYS_ADMIN'), 'no CAP_SYS_ADMIN')
  const hostPaths = pod.volumes.filter((v: any) => v.hostPath !== undefined).map((v: any) => v.hostPath.path).sort()
  t.same(hostPaths, ['/sys/kernel/btf'], 'only the node BTF: /proc is the host\'s through hostPID')
  // least privilege: each host path is mounted where the code (TS, helper, build script) reads it
  const code = sourceTexts(join(REPO, 'src')) + readFileSync(join(REPO, 'scripts/build-probe.sh'), 'utf8')
  for (const v of pod.volumes.filter((v: any) => v.hostPath !== undefined)) {
    const m = c.volumeMounts.find((x: any) => x.name === v.name)
    t.equal(m?.readOnly, true, `${v.hostPath.path} read-only`)
    t.ok(code.includes(m?.mountPath), `${v.hostPath.path} is mounted at ${m?.mountPath}, a path the code reads`)
  }
  const nodeName = c.env.find((e: any) => e.name === 'NODE_NAME')
  t.equal(nodeName.valueFrom.fieldRef.fieldPath, 'spec.nodeName')
  t.ok(pod.tolerations.some((x: any) => x.operator === 'Exists' && x.key === undefined), 'tolerates every taint')
  t.equal(c.image, `lanner:${version}`)
  t.same(c.securityContext.appArmorProfile, { type: 'Unconfined' }, 'AppArmor through securityContext (Kubernetes >= 1.30)')
  t.same(Object.keys(ds.spec.template.metadata.annotations ?? {}).filter((k) => k.includes('apparmor')), [], 'not the deprecated annotation')
})

t.test('syscall RBAC: read pods and namespaces, nothing else', async (t) => {
  const pod = find(syscall, 'DaemonSet').spec.template.spec
  const cr = find(syscall, 'ClusterRole')
  t.same(cr.rules, [{ apiGroups: [''], resources: ['pods', 'namespaces'], verbs: ['get', 'list', 'watch'] }])
  const crb = find(syscall, 'ClusterRoleBinding')
  t.equal(crb.roleRef.name, cr.metadata.name)
  t.same(crb.subjects, [{ kind: 'ServiceAccount', name: pod.serviceAccountName, namespace: SETUP.syscallNamespace }])
  const role = find(syscall, 'Role')
  t.same(role.rules[0].resourceNames, [pod.volumes.find((v: any) => v.name === 'custom-rules').configMap.name])
})

t.test('every ConfigMap a pod needs exists with the keys it mounts', async (t) => {
  for (const [name, objs, kind] of [['audit', audit, 'Deployment'], ['syscall', syscall, 'DaemonSet']] as const) {
    const pod = find(objs, kind).spec.template.spec
    for (const v of pod.volumes.filter((x: any) => x.configMap !== undefined)) {
      const cm = objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name === v.configMap.name)
      t.ok(cm !== undefined, `${name}: ConfigMap ${v.configMap.name} is part of the overlay`)
      for (const item of v.configMap.items ?? []) t.ok(cm?.data?.[item.key] !== undefined, `${name}: ${v.configMap.name} has key ${item.key}`)
    }
  }
})

t.test('custom rules: a user overlay adds rules files without touching the defaults', async (t) => {
  const rules = '- rule: Mine\n  desc: d\n  condition: ka.verb = create\n  output: o\n  priority: WARNING\n  source: k8s_audit\n'
  const dir = userOverlay((m) => [
    `resources: [${m}/overlays/audit]`,
    'configMapGenerator:',
    '  - name: lanner-custom-rules-audit',
    '    namespace: lanner',
    '    behavior: merge',
    '    files: [my_rules.yaml]',
    ''
  ].join('\n'), { 'my_rules.yaml': rules })
  const objs = render(kubectl, dir)
  const custom = find(objs, 'ConfigMap', 'lanner-custom-rules-audit')
  t.equal(custom.data['my_rules.yaml'], rules)
  t.same(find(objs, 'ConfigMap', 'lanner-default-rules-audit').data, find(audit, 'ConfigMap', 'lanner-default-rules-audit').data, 'defaults unchanged')
  t.equal(find(objs, 'Deployment').spec.template.spec.volumes.find((v: any) => v.name === 'custom-rules').configMap.name, custom.metadata.name, 'no name hash: still the mounted ConfigMap')
  t.same(find(audit, 'ConfigMap', 'lanner-custom-rules-audit').data, undefined, 'shipped without data, so an upgrade never removes user keys')
})

t.test('the default rules in manifests/base/rules are the repository rules files', async (t) => {
  const copies = readdirSync(join(MANIFESTS, 'base/rules')).sort()
  const kustomization = parse(readFileSync(join(MANIFESTS, 'base/kustomization.yaml'), 'utf8'))
  const generated = kustomization.configMapGenerator.find((g: any) => g.name === 'lanner-default-rules').files.map((f: string) => posix.basename(f)).sort()
  t.same(generated, copies, 'every copy is in the generator')
  for (const f of copies) {
    const original = join(REPO, 'rules', f)
    t.ok(existsSync(original), `rules/${f} exists`)
    t.equal(readFileSync(join(MANIFESTS, 'base/rules', f), 'utf8'), existsSync(original) ? readFileSync(original, 'utf8') : '',
      `manifests/base/rules/${f} matches rules/${f} (fix: cp rules/${f} manifests/base/rules/)`)
  }
  for (const file of Object.values(DEFAULT_RULES_FILES)) {
    if (existsSync(file)) t.ok(copies.includes(basename(file)), `${basename(file)} ships in the manifests (fix: cp rules/${basename(file)} manifests/base/rules/ and list it in base/kustomization.yaml)`)
  }
})

/** The Secret `lanner setup tls` writes, made once for the dry runs below: name → data. */
function generatedSecrets (): Record<string, Record<string, string>> {
  const dir = mkdtempSync(join(tmpdir(), 'lanner-manifest-tls-'))
  createTlsBundle({ dir, server: SETUP.defaultServer })
  const secret = parse(readFileSync(join(dir, 'lanner-webhook-tls-secret.yaml'), 'utf8'))
  const data: Record<string, string> = {}
  for (const [k, v] of Object.entries(secret.data as Record<string, string>)) data[k] = Buffer.from(v, 'base64').toString('utf8')
  return { [secret.metadata.name]: data }
}

/** Writes the pod's ConfigMap (and given Secret) volumes under `root` as the kubelet would mount them. */
function materialize (objs: K8sObject[], podSpec: any, container: any, root: string, secrets: Record<string, Record<string, string>> = {}): void {
  for (const m of container.volumeMounts) {
    const v = podSpec.volumes.find((x: any) => x.name === m.name)
    if (v?.secret !== undefined && secrets[v.secret.secretName] !== undefined) {
      const dir = join(root, m.mountPath)
      mkdirSync(dir, { recursive: true })
      for (const [k, text] of Object.entries(secrets[v.secret.secretName] as Record<string, string>)) writeFileSync(join(dir, k), text)
      continue
    }
    if (v?.configMap === undefined) continue
    const cm = objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name === v.configMap.name)
    const data: Record<string, string> = cm?.data ?? {}
    const dir = join(root, m.mountPath)
    mkdirSync(dir, { recursive: true })
    const files: Array<[string, string]> = v.configMap.items === undefined
      ? Object.keys(data).map((k) => [k, k])
      : v.configMap.items.map((i: any) => [i.key, i.path])
    for (const [key, path] of files) writeFileSync(join(dir, path), data[key] as string)
  }
}

/** `lanner serve --dry-run` with the container's own arguments, over its mounted files. */
function dryRun (objs: K8sObject[], podSpec: any, source?: 'syscall'): { code: number, out: string } {
  const c = podSpec.containers[0]
  const root = mkdtempSync(join(tmpdir(), 'lanner-pod-'))
  materialize(objs, podSpec, c, root, generatedSecrets())
  const args: string[] = [...c.args]
  const ci = args.indexOf('-c')
  args[ci + 1] = join(root, args[ci + 1] as string)
  const config = loadConfig({ file: args[ci + 1], ...(source === undefined ? {} : { source }) })
  // the config names in-container paths: run against the same files under the temporary root
  args.push('--dry-run', '-o', `rules_files=[${config.rulesPaths.map((p) => join(root, p)).join(', ')}]`)
  const tls = config.webhook.tls
  if (tls !== undefined) {
    args.push('-o', `lanner.webhook.tls.cert=${join(root, tls.cert)}`, '-o', `lanner.webhook.tls.key=${join(root, tls.key)}`)
    if (tls.ca !== undefined) args.push('-o', `lanner.webhook.tls.ca=${join(root, tls.ca)}`)
  }
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(REPO, 'src/main.ts'), ...args], { encoding: 'utf8', cwd: REPO })
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` }
}

t.test('the real `lanner serve` accepts each workload\'s arguments, config and default rules (--dry-run)', async (t) => {
  const a = dryRun(audit, find(audit, 'Deployment').spec.template.spec)
  t.equal(a.code, 0, a.out)
  t.match(a.out, /source: k8s_audit/)
  t.match(a.out, new RegExp(`webhook: https://0\\.0\\.0\\.0:${DEFAULTS.webhookPort}${DEFAULTS.webhookPath}`))
  t.match(a.out, /webhook authentication: client certificate \(require/, 'with the Secret lanner setup tls writes, mTLS is on and passes the start-up checks')
  t.notMatch(a.out, /INSECURE/)

  const i = dryRun(insecure, find(insecure, 'Deployment').spec.template.spec)
  t.equal(i.code, 0, i.out)
  t.match(i.out, /webhook: http:\/\//)
  t.match(i.out, /WARN_CONFIG_INSECURE/, 'the insecure overlay says so at start')
  const rulesA = Number(/rules loaded: (\d+)/.exec(a.out)?.[1])
  t.ok(rulesA > 0, 'default audit rules loaded')

  const s = dryRun(syscall, find(syscall, 'DaemonSet').spec.template.spec, 'syscall')
  t.equal(s.code, 0, s.out)
  t.match(s.out, /source: syscall/)
  t.ok(Number(/rules loaded: (\d+)/.exec(s.out)?.[1]) > 0, 'default syscall rules loaded')

  // a user's custom rules file, merged into the custom-rules ConfigMap, is loaded after the defaults
  const rules = '- rule: Lanner Manifest Test Rule\n  desc: d\n  condition: ka.verb = create\n  output: "created (user=%ka.user.name)"\n  priority: WARNING\n  source: k8s_audit\n'
  const objs = render(kubectl, userOverlay((m) => `resources: [${m}/overlays/audit]\nconfigMapGenerator:\n  - name: lanner-custom-rules-audit\n    namespace: lanner\n    behavior: merge\n    files: [my_rules.yaml]\n`, { 'my_rules.yaml': rules }))
  const u = dryRun(objs, find(objs, 'Deployment').spec.template.spec)
  t.equal(u.code, 0, u.out)
  t.equal(Number(/rules loaded: (\d+)/.exec(u.out)?.[1]), rulesA + 1, 'one more rule from rules.d')
})
