export * from './types.ts'
export type { CachedEvent } from './cached-event.ts'
