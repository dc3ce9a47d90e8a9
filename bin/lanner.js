#!/usr/bin/env node
// Installed entry point: prefer the compiled build, fall back to running the TypeScript sources.
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { register } from 'node:module'

const dist = fileURLToPath(new URL('../dist/main.js', import.meta.url))
if (existsSync(dist)) {
  await import(dist)
} else {
  register('tsx/esm', import.meta.url)
  await import('../src/main.ts')
}
