// Runs tap with the given arguments, passing its output through, and when a test file fails ends
// with a short account of each failure: CI keeps only the tail of a run's output, where a failure
// in file 93 of 230 would otherwise be thousands of lines out of sight. Exits with tap's status.
// On a terminal tap keeps its own reporter and nothing is added.
import { spawn } from 'node:child_process'

const args = ['tap', ...process.argv.slice(2)]
if (process.stdout.isTTY) {
  const child = spawn('npx', args, { stdio: 'inherit' })
  child.on('exit', function passOn (code, signal) { process.exit(code ?? (signal === null ? 1 : 128)) })
} else {
  runSummarised()
}

function runSummarised () {
  const child = spawn('npx', args, { stdio: ['inherit', 'pipe', 'pipe'] })
  /** lines since the last top-level result: a failed file's own output, stderr included */
  let chunk = []
  const failures = []
  let pending = ''

  function onText (text, sink) {
    sink.write(text)
    pending += text
    const lines = pending.split('\n')
    pending = lines.pop() ?? ''
    for (const line of lines) onLine(line)
  }

  function onLine (line) {
    chunk.push(line)
    if (chunk.length > 4000) chunk = chunk.slice(-2000)
    if (/^(not )?ok \d+ - /.test(line)) {
      if (line.startsWith('not ok')) failures.push({ title: line, lines: chunk })
      chunk = []
    }
  }

  child.stdout.on('data', function out (b) { onText(b.toString('utf8'), process.stdout) })
  child.stderr.on('data', function err (b) { onText(b.toString('utf8'), process.stderr) })
  child.on('exit', function done (code, signal) {
    if (pending !== '') onLine(pending)
    if (failures.length > 0) process.stdout.write(summary(failures))
    process.exit(code ?? (signal === null ? 1 : 128))
  })
}

/** each failed file: its failed assertions (nested `not ok` and the lines after them) and the
 * last lines of its output (an error thrown outside a test shows only there) */
function summary (failures) {
  const out = ['', `# ${failures.length} test file(s) failed:`]
  for (const f of failures) {
    out.push('#', `# ${f.title}`)
    const nested = []
    f.lines.forEach(function pick (line, i) {
      if (/^\s+not ok /.test(line)) nested.push(...f.lines.slice(i, i + 12))
    })
    const shown = nested.length > 0 ? nested.slice(0, 120) : f.lines.slice(-60)
    for (const line of shown) out.push(`#   ${line}`)
  }
  out.push('')
  return out.join('\n')
}
