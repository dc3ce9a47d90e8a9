// Which config changes apply live and which need a restart (config-reload.ts diffConfig), on
// configs loaded from real files the way serve loads them.
import t from 'tap'
import path from 'node:path'
import { writeFileSync } from 'node:fs'
import { diffConfig, configWatchPaths } from '../../src/app/reload/config-reload.ts'
import { loadConfig } from '../../src/config/index.ts'

t.test('rules settings, JSON layout, metrics and log level are live; listen ports and outputs are not', async (t) => {
  const dir = t.testdir({ 'falco.yaml': 'priority: debug\n', 'config.d': { 'a.yaml': 'rule_matching: first\n' } })
  const file = path.join(dir, 'falco.yaml')
  const load = (text: string): ReturnType<typeof loadConfig> => { writeFileSync(file, text); return loadConfig({ file }) }
  const base = load('config_files: [config.d]\npriority: debug\n')
  t.same(configWatchPaths(base), [file, path.join(dir, 'config.d')])
  t.match(diffConfig(base, load('config_files: [config.d]\npriority: warning\nrules: [{disable: {tag: k8s}}]\n')), { rules: true, format: false, restart: [] })
  t.match(diffConfig(base, load('config_files: [config.d]\npriority: debug\nstatic_fields: {a: b}\nappend_output: [{extra_output: x}]\n')), { rules: true, restart: [] })
  t.match(diffConfig(base, load('config_files: [config.d]\npriority: debug\njson_include_tags_property: false\ntime_format_iso_8601: true\n')), { rules: false, format: true, restart: [] })
  t.match(diffConfig(base, load('config_files: [config.d]\npriority: debug\nmetrics: {enabled: true}\nlog_level: debug\n')), { metrics: true, log: true, restart: [] })
  const r = diffConfig(base, load('config_files: [config.d]\npriority: debug\njson_output: true\nwebserver: {listen_port: 9999}\nfile_output: {enabled: true, filename: /tmp/x}\nplugins: [{name: k8saudit, library_path: x, open_params: "http://:9999/k8s-audit"}]\n'))
  t.same(r.restart, ['json_output', 'stdout_output / file_output / program_output / http_output / buffered_outputs / outputs_queue / output_timeout / lanner.outputs', 'plugins (k8saudit open_params, init_config) / lanner.webhook', 'webserver'])
  t.equal(r.format, false, 'json_output alone is not a layout change that can be applied')
  t.match(diffConfig(base, load('config_files: []\npriority: debug\n')), { files: true, restart: [] }, 'the config_files list re-arms the watch')
})
