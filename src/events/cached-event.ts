/**
 * An event that carries per-event memo slots for expensive field extractors (fields/registry.ts
 * `cached` owns the slots; each cached extractor gets one at bind time). Here, not in fields/, so
 * a source's event class (syscall/event.ts) can implement it without importing the field tables.
 */
export interface CachedEvent { cache: unknown[] }
