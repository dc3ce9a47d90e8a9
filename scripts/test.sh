#!/bin/sh
# The one test command (README, .ci/run): type-check everything, then run every tap test.
set -e
cd "$(dirname "$0")/.."
# tap compiles its plugin set into node_modules; package.json drops its ts-node plugin (tsx runs
# the TypeScript instead), and a fresh `npm ci` must rebuild once or every test fails to start.
if [ ! -f node_modules/.lanner-tap-built ]; then
  npx tap build >/dev/null
  touch node_modules/.lanner-tap-built
fi
npx tsc -p tsconfig.json --noEmit
# through run-tap.mjs: a failure is summarised at the end of the output, where CI shows it
node scripts/run-tap.mjs "test/**/*.test.ts" "$@"
