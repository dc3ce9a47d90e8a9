// Test helper (not a test file), run as its own process by container-users-hostile.test.ts: looks
// up uid/gid 1000 of one container through one of its pids with the real createContainerUsers
// over the real /proc, and prints what it found as one JSON line. Its own process so that a read
// that blocks (a FIFO) or never ends (/dev/zero) is a child the test kills, not a hung test.
// argv: <container full id> <pid>
import { writeSync } from 'node:fs'
import { createContainerUsers, type UnreadableEtcFile } from '../../../src/syscall/state/container-users.ts'

const [id, pid] = process.argv.slice(2)
const refused: UnreadableEtcFile[] = []
const users = createContainerUsers({ onUnreadable (info) { refused.push(info) } })
const db = users.of(id ?? '', Number(pid))
const user = db.user(1000)
const group = db.group(1000)
// asked again: a refused file is a cached answer, reported once
const again = users.of(id ?? '', Number(pid)).user(1000)
writeSync(1, JSON.stringify({ user: user?.name ?? null, group: group?.name ?? null, again: again?.name ?? null, refused }) + '\n')
