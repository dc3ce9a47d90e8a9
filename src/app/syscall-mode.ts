// Syscall mode: the eBPF probe feeds record batches; each record is enriched (process, fd, user,
// container, and pod from the node's Kubernetes metadata watch) and evaluated with the current
// syscall rules. The probe records only the event types the rules can match plus what the
// process/fd tables need, and follows rules reloads. Probe drops become metrics and a
// rate-limited internal alert.
import { DEFAULTS } from '../config/index.ts'
import { startProbe, type ProbeHandle } from '../syscall/loader.ts'
import { checkKernel } from './kernel-requirement.ts'
import { probeKindsFor, sameProbeKinds, type ProbeKinds } from '../syscall/probe-kinds.ts'
import { createEnricher } from '../syscall/enrich.ts'
import { createK8sWatch } from '../k8s/watch.ts'
import type { SyscallRecord } from '../syscall/record.ts'
import type { RunningMode } from './audit-mode.ts'
import { startAdmin } from './admin.ts'
import { k8sOptionsOf } from './configmap-rules.ts'
import type { App } from './build.ts'
import { createDropAlerter } from './internal-alerts.ts'

const SOURCE = 'syscall'

export async function startSyscallMode (app: App): Promise<RunningMode> {
  const log = app.logger.child({ module: 'syscall' })
  const { metrics } = app
  // health first: the first pod list below may wait for a slow or unreachable apiserver (up to
  // its list timeout), and a liveness probe failing meanwhile would restart the pod in a loop
  // from SIGTERM on, /readyz answers 503 (as in audit mode) while the probe and outputs wind down
  let stopping = false
  // ready only once records flow: the probe attached AND the decoder has delivered some (a helper
  // that attached but sends nothing, or one being restarted, is not a working source)
  let producing = false
  // ...and still flowing: the probe always records open/close/connect/clone/execve, and kubelet's
  // HTTP probes of this pod connect anew each time, so a live node never goes quiet for long; a
  // silent attached helper (programs detached, ring buffer not drained) is a broken source
  const staleAfterMs = app.config.syscallStaleAfterMs
  let lastRecordAt = 0
  let staleLogged = false
  function sourceFresh (): boolean {
    if (!producing) return false
    if (staleAfterMs === 0) return true
    const quietMs = performance.now() - lastRecordAt
    if (quietMs < staleAfterMs) return true
    if (!staleLogged) {
      staleLogged = true
      log.warn({ code: 'ERR_SYSCALL_PROBE_FAILED', quietSeconds: Math.round(quietMs / 1000), staleAfterSeconds: staleAfterMs / 1000 },
        'syscall source attached but silent: not ready until records arrive (lanner.syscall_stale_after_s)')
    }
    return false
  }
  const admin = await startAdmin(app, { stopping: () => stopping, sourceReady: sourceFresh })
  // pods of this node and all namespaces, for container.* / k8s.* fields, through the same
  // connection as the rules ConfigMaps (lanner.k8s.kubeconfig, else the service account or the
  // user's kubeconfig); without a cluster the index stays empty and those fields read as absent
  let kubeconfig: string | undefined
  try { kubeconfig = k8sOptionsOf(app).kubeconfig } catch { /* a bad lanner.k8s section is the ConfigMap rules' error to report */ }
  const k8s = createK8sWatch({
    resolve: { file: kubeconfig },
    onError: function k8sWatchError (err) { log.warn({ code: err.code, err: err.message }, 'kubernetes metadata watch problem (retrying)') }
  })
  let k8sFailed = false
  try {
    await k8s.start()
  } catch (err) {
    k8sFailed = true
    log.error({ code: 'ERR_K8S_WATCH', err: (err as Error).message, kubeconfig }, 'cannot use the kubeconfig: k8s.* fields stay absent')
  }
  if (k8s.enabled) log.info({ node: process.env.NODE_NAME, connection: k8s.source }, 'kubernetes metadata watch started')
  // (after a kubeconfig error, "no kubeconfig" would be wrong: the error above said what is)
  else if (!k8sFailed) log.info({}, 'no Kubernetes API (no service account, no kubeconfig): k8s.* fields stay absent')
  const enricher = createEnricher({ k8s: k8s.index })
  const drops = createDropAlerter(DEFAULTS.dropAlertIntervalMs, app.emit)
  let evalErrors = 0
  let decodeErrorsSeen = 0
  let stateErrorsSeen = 0

  function onRecords (batch: SyscallRecord[]): void {
    if (batch.length > 0) lastRecordAt = performance.now()
    if (!producing && batch.length > 0) {
      producing = true
      log.info({ records: batch.length }, 'syscall source producing events: ready')
    }
    if (staleLogged && batch.length > 0) {
      staleLogged = false
      log.info({ records: batch.length }, 'syscall source producing events again: ready')
    }
    const started = process.hrtime.bigint()
    metrics.eventsReceived(SOURCE, batch.length)
    const rs = app.rules.current()
    if (rs === undefined) { metrics.eventsDropped(SOURCE, 'no_rules', batch.length); return }
    let done = 0
    for (const rec of batch) {
      try {
        rs.evaluate(SOURCE, enricher.enrich(rec), app.emit)
        done++
      } catch (err) {
        // the engine does not throw per event; this guards the enrichment state machine
        metrics.eventsDropped(SOURCE, 'enrich_error', 1)
        if (evalErrors++ % 1000 === 0) log.error({ err: (err as Error).message, type: rec.type, errors: evalErrors }, 'event could not be evaluated')
      }
    }
    // a record whose state transition failed was still evaluated, but the process/fd tables may
    // now be wrong for that process: never silent
    if (enricher.stateErrors !== stateErrorsSeen) {
      log.error({ code: 'ERR_SYSCALL_PROBE_FAILED', errors: enricher.stateErrors - stateErrorsSeen, total: enricher.stateErrors }, 'records could not update the process/fd tables')
      stateErrorsSeen = enricher.stateErrors
    }
    metrics.eventsEvaluated(SOURCE, done)
    metrics.batchEvaluated(SOURCE, Number(process.hrtime.bigint() - started) / 1e9)
  }

  function kindsNow (): ProbeKinds {
    return probeKindsFor(app.rules.current(), SOURCE)
  }
  function logKinds (k: ProbeKinds, msg: string, extra: Record<string, unknown> = {}): void {
    log.info({
      ...extra,
      kinds: k.kinds,
      enterKinds: k.enterKinds,
      anyType: k.anyType,
      ...(k.unproduced.length > 0 ? { typesNotProduced: k.unproduced } : {})
    }, k.anyType ? `${msg} (a rule matches any event type: default set)` : msg)
  }

  let probe: ProbeHandle | undefined
  let stopped = false
  // a reload whose rules need other event types changes the probe in place (nothing is lost:
  // the enricher's tables live here, not in the helper)
  async function followRules (): Promise<void> {
    const running = probe
    if (running === undefined || stopped) return
    const want = kindsNow()
    if (sameProbeKinds(want, { kinds: running.kinds, enterKinds: running.enterKinds })) return
    try {
      const how = await running.setKinds(want.kinds, want.enterKinds)
      logKinds(want, 'probe event types changed for the new rules', { applied: how })
    } catch (err) {
      log.error({ code: (err as { code?: string }).code, err: (err as Error).message }, 'probe event types could not be changed: the previous set stays')
    }
  }
  app.rules.onInstall(followRules)

  const initial = kindsNow()
  try {
    checkKernel()
    probe = await startProbe({
      kinds: initial.kinds,
      enterKinds: initial.enterKinds,
      onRecords,
      onStats: function probeStats (s) {
        // records the decoder could not use are lost too (each chunk's also logged via onError)
        if (s.decodeErrors > decodeErrorsSeen) metrics.eventsDropped(SOURCE, 'decode_error', s.decodeErrors - decodeErrorsSeen)
        decodeErrorsSeen = s.decodeErrors
        if (s.dropsDelta > 0) {
          metrics.syscallDrops(s.dropsDelta)
          metrics.eventsDropped(SOURCE, 'ring_buffer_full', s.dropsDelta)
        }
        drops.report(s.time, s.dropsDelta, s.dropsPerCpu)
      },
      onRestart: function probeRestarting () { metrics.probeRestarts(); producing = false },
      onError: function probeError (err) {
        log.error({ code: err.code, err: err.message }, 'probe problem')
      },
      logger: log
    })
  } catch (err) {
    stopped = true
    k8s.stop()
    await admin?.close()
    throw err
  }
  log.info({ pid: probe.pid, rules: app.rules.paths }, 'syscall probe running')
  logKinds(initial, 'probe event types')
  // rules reloaded while the probe was starting
  void followRules()
  const running = probe
  return {
    adminPort: admin?.port,
    async stop () {
      stopping = true
      stopped = true
      await running.stop()
      k8s.stop()
      await admin?.close()
    }
  }
}
