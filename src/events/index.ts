export * from './types.ts'
export type { CachedEvent } from './cached-event.ts'
export type { Logger } from './logger.ts'
