// Runs `lanner` as a real child process: node + tsx on src/main.ts, as developers and CI run it, or
// (opts.built, see test/helpers/built-cli.ts) node on a built app's bin/lanner.js, as the image does.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import path from 'node:path'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const MAIN = path.join(ROOT, 'src', 'main.ts')

export function spawnLanner (args: string[], opts: { cwd?: string, env?: NodeJS.ProcessEnv, built?: string } = {}): ChildProcessWithoutNullStreams {
  if (opts.built !== undefined) {
    // the image's environment: no loader in NODE_OPTIONS (the test runner's), production mode
    const { NODE_OPTIONS: _loaders, ...env } = process.env
    return spawn(process.execPath, [opts.built, ...args], { cwd: opts.cwd ?? ROOT, env: { ...env, NODE_ENV: 'production', ...opts.env }, stdio: 'pipe' })
  }
  return spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], { cwd: opts.cwd ?? ROOT, env: { ...process.env, ...opts.env }, stdio: 'pipe' })
}

export interface CliResult { code: number | null, signal: NodeJS.Signals | null, stdout: string, stderr: string }

/** Run to completion, optionally feeding stdin. */
export function runLanner (args: string[], opts: { cwd?: string, stdin?: string | Buffer, env?: NodeJS.ProcessEnv, built?: string } = {}): Promise<CliResult> {
  const child = spawnLanner(args, opts)
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (b: Buffer) => { stdout += b.toString() })
  child.stderr.on('data', (b: Buffer) => { stderr += b.toString() })
  child.stdin.end(opts.stdin ?? '')
  return new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) => { resolve({ code, signal, stdout, stderr }) })
  })
}
