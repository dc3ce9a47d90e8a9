// Scalar coercion as Falco reads its config: yaml-cpp / nlohmann turn a scalar into an integer,
// a double or a boolean when its text reads as one, whatever its YAML quoting or where the text
// came from (${VAR} expansion). Only text that reads fully as a number or boolean is converted.

/** yaml-cpp's boolean spellings */
const TRUE_WORDS = new Set(['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON'])
const FALSE_WORDS = new Set(['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF'])
export const FALCO_BOOL = 'true/false, yes/no, on/off'

export function coerceBool (v: unknown): unknown {
  if (typeof v !== 'string') return v
  const t = v.trim()
  if (TRUE_WORDS.has(t)) return true
  if (FALSE_WORDS.has(t)) return false
  return v
}

const NUMBER_RE = /^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$/
const HEX_RE = /^0x[0-9a-fA-F]+$/

export function coerceNumber (v: unknown): unknown {
  if (typeof v !== 'string') return v
  const t = v.trim()
  if (NUMBER_RE.test(t)) return Number(t)
  if (HEX_RE.test(t)) return Number.parseInt(t, 16)
  return v
}
