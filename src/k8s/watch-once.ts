// One watch request: started from a resourceVersion, it ends as 'events' (it delivered some),
// 'quiet' (none: the apiserver ends watches after timeoutSeconds) or 'expired' (410 Gone: the
// version is too old, re-list), or fails. It can be aborted at any time.
import type { KubeConfig, Watch } from '@kubernetes/client-node'
import { AppError } from '../errors/index.ts'

export type WatchOutcome = 'events' | 'quiet' | 'expired'

export interface WatchRequest {
  path: string
  query: Record<string, string | number | boolean>
  /** what error messages call the collection */
  what: string
  /** every event but ERROR (ADDED, MODIFIED, DELETED, BOOKMARK), in order */
  onEvent(type: string, obj: any): void
}

export interface RunningWatch {
  readonly outcome: Promise<WatchOutcome>
  abort(): void
}

/** A client-node Watch whose idle timeout is idleTimeoutMs. */
export async function newWatch (kubeConfig: KubeConfig, idleTimeoutMs: number): Promise<Watch> {
  const { Watch } = await import('@kubernetes/client-node')
  const watcher = new Watch(kubeConfig)
  // Watch's idle timeout is a private field (30 s): raised past the server-side timeout so that
  // a quiet but healthy watch is not dropped; if it ever disappears, quiet watches just resume.
  ;(watcher as unknown as { requestTimeoutMs: number }).requestTimeoutMs = idleTimeoutMs
  return watcher
}

export function watchOnce (watcher: Watch, req: WatchRequest): RunningWatch {
  let controller: AbortController | undefined
  let stop = false
  function abort (): void { stop = true; controller?.abort() }

  const outcome = new Promise<WatchOutcome>(function run (resolve, reject) {
    let sawEvent = false
    let expired = false
    let failure: AppError | undefined

    function onEvent (type: string, obj: any): void {
      if (stop) return
      if (type === 'ERROR') {
        if (obj?.code === 410) expired = true
        else failure = new AppError('ERR_K8S_WATCH', `${req.what}: watch error ${String(obj?.code ?? '')} ${String(obj?.message ?? '')}`.trim())
        // the server may keep the stream open after an ERROR: do not wait for it
        abort()
        return
      }
      sawEvent = true
      req.onEvent(type, obj)
    }

    function onDone (err: any): void {
      if (expired || err?.statusCode === 410) resolve('expired')
      else if (failure !== undefined) reject(failure)
      // an idle timeout (silent partition, stuck proxy) just resumes from the last version
      else if (err !== null && err !== undefined && !stop && err.name !== 'TimeoutError') reject(err)
      else resolve(sawEvent ? 'events' : 'quiet')
    }

    watcher.watch(req.path, req.query, onEvent, onDone).then(function started (c) {
      controller = c
      if (stop) c.abort()
    }, reject)
  })
  return { outcome, abort }
}
