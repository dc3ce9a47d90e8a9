// Codes for the rules language: loading (Falco's LOAD_* names, so `validate --json` reads like
// Falco's), and condition/output compilation (RULE_<stage>_<what>).
import type { CodeInfo } from './code-info.ts'

// Retired, never to be reused: LOAD_WARNING_EXTENSION (Falco's warning for rules-file extensions
// registered by plugins; Lanner has no such extensions, so nothing ever emitted it).

export const RULE_CODES = {
  // load errors (Falco names)
  LOAD_ERR_FILE_READ: { severity: 'error', summary: 'rules file cannot be read' },
  LOAD_ERR_YAML_PARSE: { severity: 'error', summary: 'rules file is not valid YAML' },
  LOAD_ERR_YAML_VALIDATE: { severity: 'error', summary: 'rules item has the wrong shape' },
  LOAD_ERR_COMPILE_CONDITION: { severity: 'error', summary: 'condition does not compile' },
  LOAD_ERR_COMPILE_OUTPUT: { severity: 'error', summary: 'output format does not compile' },
  LOAD_ERR_VALIDATE: { severity: 'error', summary: 'rules item is inconsistent' },
  LOAD_ERR_EXTENSION: { severity: 'error', summary: 'required engine or plugin version not met' },
  // load warnings (Falco names)
  LOAD_UNKNOWN_SOURCE: { severity: 'warning', summary: 'rule for an unknown source is skipped' },
  LOAD_UNSAFE_NA_CHECK: { severity: 'warning', summary: 'comparison against <NA> is unsafe' },
  LOAD_NO_EVTTYPE: { severity: 'warning', summary: 'rule matches too many event types' },
  LOAD_UNKNOWN_FILTER: { severity: 'warning', summary: 'rule with an unknown field is skipped' },
  LOAD_UNUSED_MACRO: { severity: 'warning', summary: 'macro not referred to by any rule/macro' },
  LOAD_UNUSED_LIST: { severity: 'warning', summary: 'list not referred to by any rule/macro' },
  LOAD_UNKNOWN_ITEM: { severity: 'warning', summary: 'unknown top level item' },
  LOAD_DEPRECATED_ITEM: { severity: 'warning', summary: 'deprecated item or key' },
  LOAD_APPEND_NO_VALUES: { severity: 'warning', summary: 'exception append without values' },
  LOAD_EXCEPTION_NAME_NOT_UNIQUE: { severity: 'warning', summary: 'exception name used twice in a rule' },
  LOAD_INVALID_MACRO_NAME: { severity: 'warning', summary: 'macro name is not an identifier' },
  LOAD_INVALID_LIST_NAME: { severity: 'warning', summary: 'list name is not a bare string' },
  LOAD_COMPILE_CONDITION: { severity: 'warning', summary: 'condition warning (e.g. regex without special characters)' },
  LOAD_UNKNOWN_KEY: { severity: 'warning', summary: 'unknown key is ignored' },
  LOAD_DEPRECATED_FIELD: { severity: 'warning', summary: 'deprecated field' },
  // load warnings (Lanner's own)
  LOAD_FIELD_NO_DATA: { severity: 'warning', summary: 'rule uses a field Lanner never fills (checks on it are false; the rule may never match)' },
  // expression errors (wrapped in LOAD_ERR_COMPILE_* with the original as cause)
  RULE_LEX_UNTERMINATED_STRING: { severity: 'error', summary: 'quoted string is not closed' },
  RULE_LEX_BAD_ESCAPE: { severity: 'error', summary: 'unsupported escape sequence in a quoted string' },
  RULE_PARSE_EMPTY: { severity: 'error', summary: 'condition is empty' },
  RULE_PARSE_UNEXPECTED_TOKEN: { severity: 'error', summary: 'unexpected token' },
  RULE_PARSE_EXPECTED_BLANK: { severity: 'error', summary: 'a blank or ( is required here' },
  RULE_LIMIT_MAX_DEPTH: { severity: 'error', summary: 'condition nests too deeply' },
  RULE_LIMIT_MAX_SIZE: { severity: 'error', summary: 'condition too large once macros are substituted' },
  RULE_COMPILE_UNKNOWN_FIELD: { severity: 'error', summary: 'unknown field' },
  RULE_COMPILE_BAD_FIELD_ARG: { severity: 'error', summary: 'field argument missing, not allowed or malformed' },
  RULE_COMPILE_BAD_OPERATOR_TYPE: { severity: 'error', summary: 'operator not supported for the field type' },
  RULE_COMPILE_BAD_VALUE: { severity: 'error', summary: 'value cannot be parsed as the field type' },
  RULE_COMPILE_BAD_REGEX: { severity: 'error', summary: 'invalid regular expression' },
  RULE_COMPILE_UNDEFINED_MACRO: { severity: 'error', summary: 'undefined macro' },
  RULE_COMPILE_UNKNOWN_EVTTYPE: { severity: 'error', summary: 'unknown event type' },
  RULE_COMPILE_BAD_TRANSFORMER: { severity: 'error', summary: 'transformer not applicable' },
  RULE_FORMAT_BAD_TOKEN: { severity: 'error', summary: 'invalid output formatting token' }
} as const satisfies Record<string, CodeInfo>
