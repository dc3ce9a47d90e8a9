// Public surface of the syscall source, whole: the probe's supervisor (loader.ts, which spawns the
// helper that loads bpf/), the records it decodes (record.ts), the enricher that keeps process,
// fd, user and container state (enrich.ts, state/), the kinds the rules need recorded
// (probe-kinds.ts), and the source's field table (fields/) with the SourceDefinition the app
// registers with the engine.
export { startProbe, type KindsChange, type ProbeHandle, type ProbeOptions } from './loader.ts'
export type { DecodeError, ProbeStats, SyscallRecord } from './record.ts'
export { createEnricher, type Enricher, type EnricherOptions, type EnricherSizes } from './enrich.ts'
export type { SyscallEvent } from './event.ts'
export { probeKindsFor, sameProbeKinds, type ProbeKinds, type RuleEventTypes } from './probe-kinds.ts'
export { notSupplied, splitDottedArg, SYSCALL_EVENT_TYPES, syscallFields, syscallSource } from './fields/index.ts'
export { onDnsProblem, type DnsProblem } from './fields/dns-names.ts'
