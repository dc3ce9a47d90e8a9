// comm and the cgroup leaf are memoised by their bytes: whatever shares a slot, each record still
// gets the text of its own bytes (and the container id of its own leaf).
import t from 'tap'
import { ByteInterner } from '../../src/syscall/decode-intern.ts'
import { StreamDecoder } from '../../src/syscall/decode.ts'
import { hello, record } from '../fixtures/syscall/records.ts'

t.test('a one-slot interner: every lookup collides, every answer is still its own bytes', async t => {
  let made = 0
  const one = new ByteInterner(1, function make (b, s, e) { made++; return b.toString('utf8', s, e) })
  const a = Buffer.from('xxcat\0\0\0yy')
  const b = Buffer.from('xxcab\0\0\0yy')
  t.equal(one.get(a, 2, 8), 'cat', 'trailing NULs left out, the surrounding bytes ignored')
  t.equal(one.get(a, 2, 8), 'cat')
  t.equal(made, 1, 'the same bytes again: a hit')
  t.equal(one.get(b, 2, 8), 'cab', 'same length, one byte apart')
  t.equal(one.get(a, 2, 5), 'cat')
  t.equal(one.get(Buffer.from('ab'), 0, 2), 'ab', 'shorter than a word')
  t.equal(one.get(Buffer.from('\0\0'), 0, 2), '', 'only NULs')
  t.equal(one.get(Buffer.from('é\0'), 0, 3), 'é', 'UTF-8')
})

t.test('thousands of distinct comms and cgroup leaves through one decoder', async t => {
  const d = new StreamDecoder()
  d.push(hello(1, 0n))
  const specs = Array.from({ length: 5000 }, function spec (_, i) {
    const id = (i * 7919).toString(16).padStart(64, '0')
    return { comm: `w${i % 3000}`.padEnd(i % 15, 'x'), cgroup: i % 4 === 0 ? 'user.slice' : `cri-containerd-${id}.scope`, id: i % 4 === 0 ? '' : id }
  })
  // twice over: the second pass reads the memo filled (and overwritten) by the first
  let wrong = 0
  for (let pass = 0; pass < 2; pass++) {
    const out = d.push(Buffer.concat(specs.map(function rec (s) { return record({ kind: 'close', nums: [1], comm: s.comm, cgroup: s.cgroup }) })))
    t.equal(out.records.length, specs.length)
    out.records.forEach(function check (r, i) {
      const s = specs[i]!
      if (r.comm !== s.comm || r.cgroup !== s.cgroup || r.containerId !== s.id) wrong++
    })
  }
  t.equal(wrong, 0, 'every record has its own comm, leaf and container id')
})
