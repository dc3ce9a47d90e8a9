// Kubernetes pod metadata as the syscall source reads it (k8s.* and container.* fields): the
// contract between k8s/, which keeps an index of it from the API server, and syscall/, which asks
// it per container. Declared here so that neither source module imports the other. Types only.

export interface PodMeta {
  name: string
  uid: string
  namespace: string
  labels: Readonly<Record<string, string>>
  ip: string | undefined
  hostNetwork: boolean
  hostPid: boolean
  hostIpc: boolean
  /** controlling owners, from ownerReferences (a Deployment is seen through its ReplicaSet) */
  owners: { replicaSet?: Owner, replicationController?: Owner, deployment?: Owner }
}

export interface Owner { name: string, uid: string | undefined }

/** Runtimes a kubelet names in containerStatuses[].containerID (`<runtime>://<id>`). */
export type StatusRuntime = 'containerd' | 'cri-o' | 'docker'

export interface PodContainerMeta {
  pod: PodMeta
  /** container name in the pod spec */
  name: string
  /** image as written in the spec (`nginx:1.25`, `registry/x@sha256:…`) */
  image: string
  imageId: string | undefined
  runtime: StatusRuntime | undefined
  privileged: boolean
  /** ns since the epoch, from the container status */
  startTs: bigint | undefined
  /** hostPath source → mount path, for container.mount.* */
  mounts: ReadonlyArray<{ source: string, dest: string, readOnly: boolean }>
}

/** What the enricher asks; both answers may be absent (no cluster, pod not seen yet). */
export interface K8sMetadata {
  /** by 64-hex container id */
  container(fullId: string): PodContainerMeta | undefined
  namespaceLabels(namespace: string): Readonly<Record<string, string>> | undefined
  namespaceUid?(namespace: string): string | undefined
}
