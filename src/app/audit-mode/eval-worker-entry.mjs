// Plain-JS entry of an evaluation worker: when Lanner runs from TypeScript sources, install the
// tsx loader in this thread first (Node 20 workers do not inherit the parent's loader hooks).
import { workerData } from 'node:worker_threads'

if (workerData.tsx === true) {
  const { register } = await import('tsx/esm/api')
  register()
}
await import(workerData.entry)
