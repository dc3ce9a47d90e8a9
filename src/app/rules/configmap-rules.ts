// Rules from named ConfigMaps through the Kubernetes API (`lanner.k8s.rules_configmaps`), layered
// after the rules files. Each change reloads with the usual guarantee: invalid rules are rejected
// and the running ones kept. The watch itself (list+watch, 410 re-list, backoff) is src/k8s's.
import path from 'node:path'
import {
  configMapRulesInputs, parseK8sOptions, resolveKubeConfig, watchConfigMap, type ConfigMapWatcher, type K8sOptions, type ResolvedKubeConfig
} from '../../k8s/index.ts'
import { ConfigError } from '../../errors/index.ts'
import type { App } from '../build.ts'

/** How long the first load waits for the ConfigMaps before starting with the files alone. */
const FIRST_LIST_WAIT_MS = 10_000

export interface ConfigMapRules { close(): void }

/**
 * Validates `lanner.k8s` (throws ConfigError naming the key). A relative `kubeconfig` resolves
 * against the config file's directory, like every other path in the file (config.ts passes the
 * section through unresolved).
 */
export function k8sOptionsOf (app: Pick<App, 'config'>): K8sOptions {
  const opts = parseK8sOptions(app.config.k8s)
  if (opts.kubeconfig !== undefined) {
    const base = app.config.file === undefined ? process.cwd() : path.dirname(app.config.file)
    opts.kubeconfig = path.resolve(base, opts.kubeconfig)
  }
  return opts
}

/** The API connection, or a ConfigError naming where the unusable kubeconfig came from. */
async function kubeConfigOf (app: App, opts: K8sOptions): Promise<ResolvedKubeConfig | undefined> {
  try {
    return await resolveKubeConfig({ file: opts.kubeconfig })
  } catch (err) {
    const what = opts.kubeconfig !== undefined ? `kubeconfig ${opts.kubeconfig}` : 'the kubeconfig ($KUBECONFIG, ~/.kube/config or the service account)'
    throw new ConfigError('ERR_CONFIG_READ', `cannot use ${what}: ${(err as Error).message}`, {
      cause: err,
      location: opts.kubeconfig !== undefined ? { file: app.config.file, itemType: 'config', itemName: 'lanner.k8s.kubeconfig' } : undefined
    })
  }
}

/**
 * Starts one watch per ConfigMap and resolves once each has been listed (or the wait ran out):
 * the caller's first load then includes their rules. Later changes trigger reloads.
 */
export async function startConfigMapRules (app: App, opts: K8sOptions): Promise<ConfigMapRules> {
  if (opts.rulesConfigMaps.length === 0) return { close () {} }
  const log = app.logger.child({ module: 'configmap-rules' })
  const found = await kubeConfigOf(app, opts)
  if (found === undefined) {
    log.warn({ configmaps: opts.rulesConfigMaps.length }, 'rules_configmaps set but no Kubernetes API to read them from (no service account, no kubeconfig): starting with the rules files')
    return { close () {} }
  }
  const { kubeConfig } = found
  let started = false
  const watchers: ConfigMapWatcher[] = opts.rulesConfigMaps.map(function watchOne (ref) {
    const key = `configmap:${ref.namespace}/${ref.name}`
    let loaded = false
    app.rules.setExtraInputs(key, [])
    return watchConfigMap({
      ...ref,
      kubeConfig,
      onError: function configMapWatchError (err) { log.warn({ configmap: key, code: err.code, err: err.message }, 'configmap watch problem (retrying)') },
      onDeleted: function configMapDeleted () {
        if (loaded) log.warn({ configmap: key }, 'configmap absent: its last rules stay loaded')
        else log.warn({ configmap: key }, 'configmap not found: its rules load when it is created')
      }
    }, function configMapData (data) {
      loaded = true
      app.rules.setExtraInputs(key, configMapRulesInputs(ref, data))
      if (started) void app.rules.reload(`${key} changed`)
    })
  })
  let timer: NodeJS.Timeout | undefined
  const waited = await Promise.race([
    Promise.all(watchers.map(async (w) => { await w.ready })).then(() => true),
    new Promise<false>((resolve) => { timer = setTimeout(resolve, FIRST_LIST_WAIT_MS, false) })
  ])
  clearTimeout(timer)
  if (!waited) log.warn({ waitedMs: FIRST_LIST_WAIT_MS }, 'configmaps not listed yet: starting with the rules files; they load when the API answers')
  started = true
  return { close () { for (const w of watchers) w.close() } }
}
