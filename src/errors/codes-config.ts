// Codes for configuration and command-line problems.
import type { CodeInfo } from './code-info.ts'

export const CONFIG_CODES = {
  ERR_CONFIG_READ: { severity: 'error', summary: 'config file cannot be read' },
  ERR_CONFIG_YAML: { severity: 'error', summary: 'config file is not valid YAML' },
  ERR_CONFIG_INVALID: { severity: 'error', summary: 'config value has the wrong shape' },
  ERR_CONFIG_OVERRIDE: { severity: 'error', summary: '-o key=value override is malformed' },
  ERR_CONFIG_SOURCES: { severity: 'error', summary: 'one instance runs exactly one source' },
  ERR_CLI_USAGE: { severity: 'error', summary: 'command-line usage error' },
  ERR_CONFIG_INSECURE: { severity: 'error', summary: 'webhook authentication setting that protects nothing (refused at start-up)' },
  WARN_CONFIG_INSECURE: { severity: 'warning', summary: 'webhook reachable without authentication' }
} as const satisfies Record<string, CodeInfo>
