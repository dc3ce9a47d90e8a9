// The one alert serialisation every output shares, chosen by json_output and the json_include_*
// settings. Thin over the rules engine's pure Falco formatters.
import type { Config } from '../config/index.ts'
import { formatAlertJson, formatAlertText } from '../rules/index.ts'
import type { AlertFormatter } from '../outputs/index.ts'

export function buildAlertFormatter (cfg: Pick<Config, 'json' | 'timeFormatIso8601'>): AlertFormatter {
  const iso = cfg.timeFormatIso8601
  if (!cfg.json.enabled) {
    const textOpts = { timeFormatIso8601: iso }
    return function formatText (alert) { return formatAlertText(alert, textOpts) }
  }
  const jsonOpts = {
    timeFormatIso8601: iso,
    includeOutput: cfg.json.includeOutput,
    includeTags: cfg.json.includeTags,
    includeMessage: cfg.json.includeMessage,
    includeOutputFields: cfg.json.includeOutputFields
  }
  return function formatJson (alert) { return formatAlertJson(alert, jsonOpts) }
}
