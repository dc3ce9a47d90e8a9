#!/usr/bin/env node
// Process entry: run the CLI and turn its result into an exit code. Nothing else lives here.
import { runCli } from './cli/index.ts'

process.exitCode = await runCli(process.argv.slice(2))
