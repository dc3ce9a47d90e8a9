// Decoder throughput without the kernel: a synthetic helper stream (openat/close/execve/connect mix,
// as hand-built by the test fixtures) fed in 64 KiB chunks, the size the pipe delivers.
// Run: node --import tsx bench/syscall-decode.bench.ts [seconds, default 2]
import { StreamDecoder } from '../src/syscall/decode.ts'
import { hello, record, sockaddrIn, tuple } from '../test/fixtures/syscall/records.ts'

const SECONDS = Number(process.argv[2] ?? 2)
const CG = 'ab'.repeat(32)

const mix = [
  record({ kind: 'openat', res: 3, nums: [-100, 0o2000000, 0], blobs: ['/usr/lib/x86_64-linux-gnu/libc.so.6'] }),
  record({ kind: 'close', res: 0, nums: [3] }),
  record({ kind: 'openat', res: 4, nums: [-100, 0, 0], blobs: ['/etc/hostname'], cgroup: CG }),
  record({ kind: 'close', res: 0, nums: [4], cgroup: CG }),
  record({ kind: 'connect', res: -115, nums: [5], blobs: [tuple({ family: 2, sport: 40000, dport: 443, saddr: [10, 0, 0, 1], daddr: [10, 0, 0, 2] }), sockaddrIn([10, 0, 0, 2], 443)] }),
  record({ kind: 'execve', res: 0, blobs: ['/usr/bin/curl', 'curl\0-s\0https://example.com', 'app\0srv\0'], cgroup: CG })
]
const unit = Buffer.concat(mix)
const copies = Math.ceil((64 << 10) / unit.length)
const chunk = Buffer.concat(Array.from({ length: copies }, () => unit))
const perChunk = copies * mix.length

const d = new StreamDecoder()
d.push(hello(1, 1_700_000_000_000_000_000n))
let records = 0
let bytes = 0
const start = process.hrtime.bigint()
const end = start + BigInt(Math.round(SECONDS * 1e9))
while (process.hrtime.bigint() < end) {
  for (let i = 0; i < 16; i++) {
    const out = d.push(chunk)
    records += out.records.length
    bytes += chunk.length
  }
}
const secs = Number(process.hrtime.bigint() - start) / 1e9
console.log('\n| decoder (synthetic stream) | value |')
console.log('|---|---|')
console.log(`| records/s | ${Math.round(records / secs).toLocaleString('en-US')} |`)
console.log(`| MiB/s | ${(bytes / secs / (1 << 20)).toFixed(1)} |`)
console.log(`| mean record size | ${Math.round(unit.length / mix.length)} bytes |`)
console.log(`| records per 64 KiB chunk | ${perChunk} |`)
console.log(`| decode errors | ${d.errorCount} |`)
