export * from './types.ts'
export type { CachedEvent } from './cached-event.ts'
export type { Logger } from './logger.ts'
export type { K8sMetadata, Owner, PodContainerMeta, PodMeta, StatusRuntime } from './pod-metadata.ts'
