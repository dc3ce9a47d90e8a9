// Syscall mode: the eBPF probe feeds record batches; each record is enriched (process, fd, user,
// container, and pod from the node's Kubernetes metadata watch) and evaluated with the current
// syscall rules through the event pump. The probe records only the event types the rules can
// match plus what the process/fd tables need, and follows rules reloads. Probe drops become
// metrics and a rate-limited internal alert. The units, in start-up order:
//
//   admin server (/readyz ← syscall-readiness.ts) → pod-metadata-watch.ts → enricher
//     → probe: onRecords (syscall-records.ts: readiness, event-pump.ts), onStats (drops),
//              kinds from the rules (probe-kinds-follower.ts, again on every rules install)
import { DEFAULTS } from '../../config/index.ts'
import { createEnricher, startProbe, type ProbeHandle } from '../../syscall/index.ts'
import type { RunningMode } from '../audit-mode/audit-mode.ts'
import { startAdmin } from '../start/admin.ts'
import type { App } from '../build.ts'
import { createDropAlerter } from '../metrics/internal-alerts.ts'
import { checkKernel } from '../start/kernel-requirement.ts'
import { startPodMetadataWatch } from './pod-metadata-watch.ts'
import { ProbeKindsFollower } from './probe-kinds-follower.ts'
import { SyscallReadiness } from './syscall-readiness.ts'
import { createProbeStatsHandler, createSyscallRecordHandler } from './syscall-records.ts'

export async function startSyscallMode (app: App): Promise<RunningMode> {
  const log = app.logger.child({ module: 'syscall' })
  const { metrics } = app
  const readiness = new SyscallReadiness({ staleAfterMs: app.config.syscallStaleAfterMs, log })
  // from SIGTERM on, /readyz answers 503 (as in audit mode) while the probe and outputs wind down
  let stopping = false
  // health first: the first pod list below may wait for a slow or unreachable apiserver (up to
  // its list timeout), and a liveness probe failing meanwhile would restart the pod in a loop
  const admin = await startAdmin(app, {
    stopping: function syscallStopping () { return stopping },
    sourceReady: function syscallSourceReady () { return readiness.ready() }
  })
  const k8s = await startPodMetadataWatch(app, log)
  const enricher = createEnricher({
    k8s: k8s.index,
    onUnreadableUsers: function usersFileRefused (info) {
      log.warn({ code: 'ERR_SYSCALL_USERS_FILE_REFUSED', ...info }, `${info.file} not read (${info.reason}): its users are <NA>`)
    }
  })
  const follower = new ProbeKindsFollower(app.rules, log)
  app.rules.onInstall(function followRules () { return follower.follow() })

  const initial = follower.kindsNow()
  let probe: ProbeHandle
  try {
    checkKernel()
    probe = await startProbe({
      kinds: initial.kinds,
      enterKinds: initial.enterKinds,
      onRecords: createSyscallRecordHandler({ rules: app.rules, emit: app.emit, metrics, enricher, readiness, log }),
      onStats: createProbeStatsHandler({ metrics, readiness, drops: createDropAlerter(DEFAULTS.dropAlertIntervalMs, app.emit) }),
      onRestart: function probeRestarting () { metrics.probeRestarts(); readiness.restarting() },
      onError: function probeError (err) { log.error({ code: err.code, err: err.message }, 'probe problem') },
      logger: log
    })
  } catch (err) {
    follower.stop()
    k8s.stop()
    await admin?.close()
    throw err
  }
  log.info({ pid: probe.pid, rules: app.rules.paths }, 'syscall probe running')
  follower.logKinds(initial, 'probe event types')
  follower.attach(probe)
  // rules reloaded while the probe was starting
  void follower.follow()
  const running = probe
  return {
    adminPort: admin?.port,
    async stop () {
      stopping = true
      follower.stop()
      await running.stop()
      k8s.stop()
      await admin?.close()
    }
  }
}
