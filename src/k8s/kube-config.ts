// Where Lanner finds the Kubernetes API: an explicit kubeconfig file, else the pod's service
// account, else a developer's kubeconfig ($KUBECONFIG or ~/.kube/config), else none at all.
// @kubernetes/client-node is imported here on demand: commands that never talk to a cluster
// (validate, list fields, audit mode without ConfigMaps) do not pay for loading it.
import { existsSync } from 'node:fs'
import { homedir } from 'node:os'
import { delimiter, join } from 'node:path'
import type { KubeConfig } from '@kubernetes/client-node'

export type KubeConfigSource = 'file' | 'in-cluster' | 'kubeconfig'

export interface ResolveKubeConfigOptions {
  /** an explicit kubeconfig file (`lanner.k8s.kubeconfig`); unreadable → throws */
  file?: string
  /** defaults to process.env (KUBERNETES_SERVICE_HOST, KUBECONFIG) */
  env?: NodeJS.ProcessEnv
  /** defaults to os.homedir() */
  home?: string
  /** prefix of the service account directory, for tests */
  serviceAccountRoot?: string
}

export interface ResolvedKubeConfig { kubeConfig: KubeConfig, source: KubeConfigSource }

/** The first connection that applies, or undefined when there is no cluster to talk to. */
export async function resolveKubeConfig (opts: ResolveKubeConfigOptions = {}): Promise<ResolvedKubeConfig | undefined> {
  const env = opts.env ?? process.env
  const source = pickSource(opts.file, env, opts.home ?? homedir())
  if (source === undefined) return undefined
  const { KubeConfig } = await import('@kubernetes/client-node')
  const kubeConfig = new KubeConfig()
  if (source.kind === 'file') kubeConfig.loadFromFile(source.path)
  else if (source.kind === 'in-cluster') kubeConfig.loadFromCluster(opts.serviceAccountRoot)
  else {
    kubeConfig.loadFromFile(source.paths[0] as string)
    for (const p of source.paths.slice(1)) {
      const more = new KubeConfig()
      more.loadFromFile(p)
      kubeConfig.mergeConfig(more)
    }
  }
  return { kubeConfig, source: source.kind }
}

type Source = { kind: 'file', path: string } | { kind: 'in-cluster' } | { kind: 'kubeconfig', paths: string[] }

/** Decided from the environment and the files present, without loading client-node. */
export function pickSource (file: string | undefined, env: NodeJS.ProcessEnv, home: string): Source | undefined {
  if (file !== undefined) return { kind: 'file', path: file }
  if (env.KUBERNETES_SERVICE_HOST !== undefined && env.KUBERNETES_SERVICE_HOST !== '') return { kind: 'in-cluster' }
  const listed = (env.KUBECONFIG ?? '').split(delimiter).filter((p) => p !== '' && existsSync(p))
  if (listed.length > 0) return { kind: 'kubeconfig', paths: listed }
  // client-node's own default would be http://localhost:8080: a guess, not a configured cluster
  if ((env.KUBECONFIG ?? '') !== '') return undefined
  const dflt = join(home, '.kube', 'config')
  return existsSync(dflt) ? { kind: 'kubeconfig', paths: [dflt] } : undefined
}
