#!/bin/sh
# The one test command (README, .ci/run): type-check everything, then run every tap test.
set -e
cd "$(dirname "$0")/.."
npx tsc -p tsconfig.json --noEmit
npx tap "test/**/*.test.ts" "$@"
