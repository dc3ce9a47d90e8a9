// Public surface of util/: pure helpers every module may use (ASCII case, bytes, clipping quoted
// input, condition-string escapes, globs, IP addresses, pmatch, RE2 regexes, YAML duplicate keys, event times).
// util/ imports nothing from src/.
export { asciiLower, asciiUpper, includesAsciiCI } from './ascii.ts'
export { bytesContain, bytesEndWith, bytesEqual, bytesStartWith, decodeHex, utf8 } from './bytes.ts'
export { clip, MAX_QUOTED } from './clip.ts'
export { quoteString, scanQuoted, type QuoteScan } from './escapes.ts'
export { compileGlob, hasGlobMeta, POSIX_CLASSES, type GlobMatcher } from './glob.ts'
export {
  canonicalIp, formatIp, formatIPv4At, formatIPv6At, netContains, parseCidr, parseIp, parseIPv4, parseIPv6, type IpNet
} from './ip.ts'
export { compilePmatch, splitPath } from './pmatch.ts'
export { compileRe2, hasRegexMeta, type RegexResult } from './regex.ts'
export { trackDuplicateKeys, type DuplicateKeyTracker } from './yaml-duplicate-keys.ts'
export { formatTimeIso8601, formatTimeOfDay, formatTimeRfc3339 } from './time-format.ts'
