// Public surface of k8s/, the Kubernetes API access: where the kubeconfig comes from
// (kube-config.ts), the node's pod and namespace index the syscall source reads (watch.ts →
// metadata.ts), and the ConfigMap rules watch (configmap-watch.ts). Only k8s/ imports
// @kubernetes/client-node.
export { resolveKubeConfig, type KubeConfigSource, type ResolveKubeConfigOptions, type ResolvedKubeConfig } from './kube-config.ts'
export { createK8sWatch, type K8sWatch, type K8sWatchOptions } from './watch.ts'
export { K8sIndex, containerOfStatusId, type NamespaceObject, type PodObject } from './metadata.ts'
export {
  configMapRulesInputs, parseK8sOptions, watchConfigMap, type ConfigMapRef, type ConfigMapWatcher, type K8sOptions, type RulesText,
  type WatchConfigMapOptions
} from './configmap-watch.ts'
