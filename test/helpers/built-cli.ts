// The product as the image runs it: `npm run build` (tsc -p tsconfig.build.json) into a temporary
// app directory laid out like the image's /app (package.json, dist/, bin/, rules/, node_modules),
// then `node <app>/bin/lanner.js` with NODE_ENV=production. bin/lanner.js takes dist/main.js when
// it exists, so no tsx is involved (eval workers included: dist/app/eval-worker.js). Built once
// per test process, removed at exit.
import { execFile } from 'node:child_process'
import { cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { ROOT } from '../integration/cli-child.ts'

const run = promisify(execFile)
let built: Promise<string> | undefined

/** Path of the built app's bin/lanner.js; builds on first call. */
export async function builtLanner (): Promise<string> {
  built ??= build()
  return await built
}

async function build (): Promise<string> {
  const app = mkdtempSync(join(tmpdir(), 'lanner-app-'))
  process.once('exit', function removeBuiltApp () { rmSync(app, { recursive: true, force: true }) })
  // the image's `npm run build`, with the output directory moved out of the checkout (other
  // engineers' dist/ is left alone); a type error fails the build as it fails the image
  // a clean environment: the test runner's loaders and npm's variables are not the build's business
  const env = { PATH: process.env.PATH, HOME: process.env.HOME }
  // through sh, unsetting NODE_OPTIONS there: tap's process tracking puts its loader into every
  // child's NODE_OPTIONS, and TypeScript 7's ESM bin cannot load under it (ERR_REQUIRE_CYCLE_MODULE)
  await run('sh', ['-c', 'unset NODE_OPTIONS; exec "$0" "$@"', process.execPath, join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json', '--outDir', join(app, 'dist')], { cwd: ROOT, env, maxBuffer: 16 << 20 })
  cpSync(join(ROOT, 'package.json'), join(app, 'package.json'))
  cpSync(join(ROOT, 'bin'), join(app, 'bin'), { recursive: true })
  cpSync(join(ROOT, 'rules'), join(app, 'rules'), { recursive: true })
  symlinkSync(join(ROOT, 'node_modules'), join(app, 'node_modules'), 'dir')
  return join(app, 'bin', 'lanner.js')
}
