// Live reload triggers shared by both modes: rules file/directory changes (ConfigMap-aware watch)
// and SIGHUP, which also reopens output files.
import { watchRules, type RulesWatcher } from '../../config/index.ts'
import type { App } from '../build.ts'

export interface ReloadTriggers { close(): void }

export function startReloadTriggers (app: App, opts: { signals?: boolean } = {}): ReloadTriggers {
  const log = app.logger.child({ module: 'reload' })
  let watcher: RulesWatcher | undefined
  if (app.config.watchConfigFiles) {
    watcher = watchRules([...app.rules.paths], function rulesChanged () { void app.rules.reload('rules files changed') }, {
      onError: function watchFailed (err) { log.warn({ err: (err as Error).message }, 'rules watch problem') }
    })
  }
  function onSighup (): void {
    log.info({}, 'SIGHUP: reloading rules and reopening outputs')
    app.dispatcher.reopen()
    void app.rules.reload('SIGHUP')
  }
  if (opts.signals !== false) process.on('SIGHUP', onSighup)
  return {
    close () {
      watcher?.close()
      process.off('SIGHUP', onSighup)
    }
  }
}
