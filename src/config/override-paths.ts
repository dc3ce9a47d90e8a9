// `-o` values that name files resolve against the working directory, like every other path typed
// on the command line (-c, -r); paths written in a config file resolve against that file's
// directory (resolve.ts). Applied to each override before it is merged, so that resolve.ts then
// sees an absolute path and leaves it alone. Keep this list in step with the `p(...)` calls in
// resolve.ts and the kubeconfig in app/rules/configmap-rules.ts.
import path from 'node:path'
import type { Override } from './overrides.ts'

type Step = string | number

// '*' matches any key or index; a pattern matches a leaf value's full key path (open_params,
// which may also be a URL, is handled apart below)
const PATH_KEYS: readonly string[][] = [
  ['rules_file'], ['rules_file', '*'], ['rules_files'], ['rules_files', '*'],
  ['config_files'], ['config_files', '*'], ['config_files', '*', 'path'],
  ['plugins', '*', 'init_config', 'sslCertificate'],
  ['webserver', 'ssl_certificate'],
  ['file_output', 'filename'],
  ['http_output', 'ca_cert'], ['http_output', 'ca_bundle'], ['http_output', 'ca_path'], ['http_output', 'client_cert'], ['http_output', 'client_key'],
  ['metrics', 'output_file'],
  ['lanner', 'webhook', 'tls', 'cert'], ['lanner', 'webhook', 'tls', 'key'], ['lanner', 'webhook', 'tls', 'ca'],
  ['lanner', 'webhook', 'bearer_token_file'], ['lanner', 'webhook', 'basic_auth', 'password_file'],
  ['lanner', 'k8s', 'kubeconfig']
]

// the k8saudit open_params: a webhook URL (left alone), or a file to replay, bare or file://
const OPEN_PARAMS: readonly string[] = ['plugins', '*', 'open_params']
const FILE_URL = /^file:\/\//i
const ANY_URL = /^[a-z][a-z0-9+.-]*:\/\//i

function matchesPattern (pat: readonly string[], keyPath: readonly Step[]): boolean {
  return pat.length === keyPath.length && pat.every((p, i) => p === '*' || p === keyPath[i])
}

function matches (keyPath: readonly Step[]): boolean {
  return PATH_KEYS.some((pat) => matchesPattern(pat, keyPath))
}

/** open_params as typed: a relative file (bare or file://) made absolute, a URL untouched */
function openParamsPath (value: string, cwd: string): string {
  const text = value.trim()
  if (FILE_URL.test(text)) return 'file://' + path.resolve(cwd, text.slice('file://'.length))
  if (ANY_URL.test(text) || text === '') return value
  return path.resolve(cwd, text)
}

function absolutize (value: unknown, keyPath: Step[], cwd: string): unknown {
  if (typeof value === 'string' && matchesPattern(OPEN_PARAMS, keyPath)) return openParamsPath(value, cwd)
  if (typeof value === 'string') return value !== '' && matches(keyPath) ? path.resolve(cwd, value) : value
  if (Array.isArray(value)) return value.map((v, i) => absolutize(v, [...keyPath, i], cwd))
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, absolutize(v, [...keyPath, k], cwd)]))
  }
  return value
}

/** The override with its relative file paths made absolute against `cwd`. */
export function resolveOverridePaths (o: Override, cwd: string): Override {
  // an index or append in the key is a list position: any index matches '*'
  const keyPath: Step[] = o.path.map((s) => ('key' in s ? s.key : 'index' in s ? s.index : -1))
  return { ...o, value: absolutize(o.value, keyPath, cwd) }
}
