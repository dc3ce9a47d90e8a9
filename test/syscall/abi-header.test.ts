// src/syscall/abi.ts against the C header itself, parsed at test time (test/fixtures/syscall/c-abi.ts):
// no compiler needed, so the check runs everywhere; decode-abi.test.ts asks the compiled helper.
import t from 'tap'
import { ABI_VERSION, CONF, CONF_REJECTED, DIR_ENTER, DIR_EXIT, EXE, HDR, HELLO, KIND_IDS, STATS, TASK, TUPLE } from '../../src/syscall/abi.ts'
import { C_ABI_VERSION, C_CONF, C_DIR, C_EXE, C_HDR, C_HELLO, C_KIND_IDS, C_STATS, C_TASK, C_TUPLE, parseDefines, parseStructs } from '../fixtures/syscall/c-abi.ts'

t.test('every TypeScript offset, size and id equals the C header\'s', async (t) => {
  t.equal(ABI_VERSION, C_ABI_VERSION, 'LN_ABI_VERSION')
  t.same({ ...HDR }, C_HDR, 'struct ln_hdr')
  t.same({ ...TUPLE }, C_TUPLE, 'struct ln_tuple')
  t.same({ ...EXE }, C_EXE, 'struct ln_exe_info')
  t.same({ ...TASK }, C_TASK, 'struct ln_task_info')
  t.same({ ...HELLO }, C_HELLO, 'struct ln_ctl_hello + LN_CTL_HELLO')
  t.same({ ...STATS }, C_STATS, 'struct ln_ctl_stats + LN_CTL_STATS')
  t.same({ ...CONF }, C_CONF, 'struct ln_ctl_conf + LN_CTL_CONF')
  t.same({ ...KIND_IDS }, C_KIND_IDS, 'enum ln_kind')
  t.same({ enter: DIR_ENTER, exit: DIR_EXIT }, C_DIR)
  t.equal(CONF_REJECTED, 0xffffffff)
})

t.test('the layout rules: natural alignment, padding, arrays, sizeof rounded to the largest member', async (t) => {
  const s = parseStructs('struct x { __u8 a; __u32 b; __u16 c[3]; __u64 d; char e; /* c */ };')
  t.same(s.x, { size: 32, offsets: { a: 0, b: 4, c: 8, d: 16, e: 24 } })
  t.same(parseDefines('#define A 0xff00\n#define B 7 /* x */\n#define C 0xffffffffu\n'), { A: 0xff00, B: 7, C: 0xffffffff })
  t.throws(() => parseStructs('struct y { struct z inner; };'), /cannot lay out/, 'nested structs are refused, not guessed')
})
