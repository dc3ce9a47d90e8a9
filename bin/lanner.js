#!/usr/bin/env node
// Installed entry point: prefer the compiled build (the container image has one), else run the
// TypeScript sources through tsx's loader, registered before the first .ts import.
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const dist = fileURLToPath(new URL('../dist/main.js', import.meta.url))
if (existsSync(dist)) {
  await import(dist)
} else {
  const { register } = await import('tsx/esm/api')
  register()
  await import('../src/main.ts')
}
