/**
 * The one registry of tracekit's errors. Each has a stable code, documented in
 * docs/errors.md, and the exit status the CLI ends with when it is raised.
 * Messages are written at the throw site and say what was expected and what
 * was found.
 */
export interface ErrorSpec {
  readonly code: `TRACEKIT_E_${string}`;
  readonly exitCode: number;
  readonly summary: string;
}

export const ERRORS = {
  // -- general ---------------------------------------------------------------
  USAGE: { code: 'TRACEKIT_E_USAGE', exitCode: 2, summary: 'A flag or argument is missing or malformed.' },
  INPUT_NOT_FOUND: { code: 'TRACEKIT_E_INPUT_NOT_FOUND', exitCode: 2, summary: 'A file or directory named on the command line does not exist.' },
  INPUT_UNREADABLE: { code: 'TRACEKIT_E_INPUT_UNREADABLE', exitCode: 2, summary: 'A file or directory named on the command line cannot be read.' },
  OUTPUT_UNWRITABLE: { code: 'TRACEKIT_E_OUTPUT_UNWRITABLE', exitCode: 2, summary: 'An output file or directory cannot be written.' },
  FINDINGS: { code: 'TRACEKIT_E_FINDINGS', exitCode: 1, summary: 'A check found problems at or above the level the user asked to fail on.' },

  // -- audit -----------------------------------------------------------------
  AUDIT_NOT_A_DIRECTORY: { code: 'TRACEKIT_E_AUDIT_NOT_A_DIRECTORY', exitCode: 2, summary: 'The audit root exists but is not a directory.' },
  AUDIT_BAD_EXTENSION: { code: 'TRACEKIT_E_AUDIT_BAD_EXTENSION', exitCode: 2, summary: 'An --ext value is not a list of file extensions.' },

  // -- sidecar ---------------------------------------------------------------
  SIDECAR_BAD_CONFIG: { code: 'TRACEKIT_E_SIDECAR_BAD_CONFIG', exitCode: 2, summary: 'The sidecar --config file is not valid YAML/JSON or has a wrong key or value.' },
  SIDECAR_REMOTE_LISTEN: { code: 'TRACEKIT_E_SIDECAR_REMOTE_LISTEN', exitCode: 2, summary: '--listen names a non-loopback address and --allow-remote was not given.' },
  SIDECAR_TOKEN_UNREADABLE: { code: 'TRACEKIT_E_SIDECAR_TOKEN_UNREADABLE', exitCode: 2, summary: 'The upstream token file cannot be read or does not hold one line.' },
  SIDECAR_LISTEN_FAILED: { code: 'TRACEKIT_E_SIDECAR_LISTEN_FAILED', exitCode: 2, summary: 'The sidecar cannot listen on its TCP address or unix socket (in use, no permission, unknown group).' },
  SIDECAR_SPOOL_UNWRITABLE: { code: 'TRACEKIT_E_SIDECAR_SPOOL_UNWRITABLE', exitCode: 2, summary: 'The spool directory cannot be created or written.' },

  // -- php bootstrap and hooks -----------------------------------------------
  PHP_BAD_ENDPOINT: { code: 'TRACEKIT_E_PHP_BAD_ENDPOINT', exitCode: 2, summary: 'An --endpoint for the PHP bootstrap is not a unix socket URL or a loopback http://IP:PORT.' },
  PHP_BAD_SERVICE: { code: 'TRACEKIT_E_PHP_BAD_SERVICE', exitCode: 2, summary: 'A --service name is empty or has characters a php-fpm pool file cannot carry.' },
  PHP_INIT_WOULD_OVERWRITE: { code: 'TRACEKIT_E_PHP_INIT_WOULD_OVERWRITE', exitCode: 2, summary: 'php init would overwrite a file that tracekit did not write.' },
  PHP_RUNTIME_MISSING: { code: 'TRACEKIT_E_PHP_RUNTIME_MISSING', exitCode: 2, summary: 'The PHP runtime or its templates are missing from the tracekit package.' },
  HOOKS_WOULD_OVERWRITE: { code: 'TRACEKIT_E_HOOKS_WOULD_OVERWRITE', exitCode: 2, summary: 'php hooks would overwrite a file that tracekit did not write.' },
  REWRITE_PARSE_ERROR: { code: 'TRACEKIT_E_REWRITE_PARSE_ERROR', exitCode: 2, summary: 'php rewrite refused one or more files that do not parse; they were left untouched.' },

  // -- collector, agent settings, doctor -------------------------------------
  COLLECTOR_BAD_LISTEN: { code: 'TRACEKIT_E_COLLECTOR_BAD_LISTEN', exitCode: 2, summary: '--listen is not a private IP address (public, every interface, a host name or malformed).' },
  COLLECTOR_BAD_CIDR: { code: 'TRACEKIT_E_COLLECTOR_BAD_CIDR', exitCode: 2, summary: 'An --allow entry is not a valid CIDR (malformed, host bits set, or /0).' },
  COLLECTOR_BAD_TEMPO_URL: { code: 'TRACEKIT_E_COLLECTOR_BAD_TEMPO_URL', exitCode: 2, summary: '--tempo is not an http(s)://HOST:PORT URL.' },
  AGENT_BAD_ENDPOINT: { code: 'TRACEKIT_E_AGENT_BAD_ENDPOINT', exitCode: 2, summary: '--endpoint is not an http(s) URL, or its port belongs to the other OTLP protocol.' },
  AGENT_BAD_TOKEN: { code: 'TRACEKIT_E_AGENT_BAD_TOKEN', exitCode: 2, summary: 'The --token-file is empty or holds characters a header cannot carry.' },
  AGENT_SETTINGS_INVALID: { code: 'TRACEKIT_E_AGENT_SETTINGS_INVALID', exitCode: 1, summary: 'agent settings --check found problems in a managed-settings.json at or above --fail-level.' },
  DOCTOR_NOTHING_TO_CHECK: { code: 'TRACEKIT_E_DOCTOR_NOTHING_TO_CHECK', exitCode: 2, summary: 'doctor was given no file and found none at the default locations.' },
  DOCTOR_UNPARSEABLE: { code: 'TRACEKIT_E_DOCTOR_UNPARSEABLE', exitCode: 2, summary: 'A file given to doctor or agent settings --check is not valid YAML/JSON/ini.' },

  // -- stage and wire --------------------------------------------------------
  STAGE_BAD_APP: { code: 'TRACEKIT_E_STAGE_BAD_APP', exitCode: 2, summary: '--app is not a directory holding PHP files and an sql/ directory with .sql files to seed MariaDB.' },
  STAGE_EXTENSION_NEEDS_PHP82: { code: 'TRACEKIT_E_STAGE_EXTENSION_NEEDS_PHP82', exitCode: 2, summary: '--with-extension was combined with a PHP version below 8.2 (the opentelemetry extension hooks internal functions from 8.2).' },
  STAGE_TOOL_MISSING: { code: 'TRACEKIT_E_STAGE_TOOL_MISSING', exitCode: 2, summary: 'stage --local needs a Debian binary (nginx, php-fpm, mariadbd, prometheus) that is not installed.' },
  STAGE_START_FAILED: { code: 'TRACEKIT_E_STAGE_START_FAILED', exitCode: 2, summary: 'stage --local could not start one of its daemons; everything it had started was stopped again.' },
  WIRE_BAD_APP: { code: 'TRACEKIT_E_WIRE_BAD_APP', exitCode: 2, summary: 'wire fastapi --app is not MODULE:APP (a dotted Python module path, a colon, an attribute name).' },
  WIRE_BAD_ENDPOINT: { code: 'TRACEKIT_E_WIRE_BAD_ENDPOINT', exitCode: 2, summary: 'wire --endpoint is not an http(s)://HOST:PORT URL of an OTLP/HTTP receiver (collector or sidecar).' },
  WIRE_BAD_UNIT: { code: 'TRACEKIT_E_WIRE_BAD_UNIT', exitCode: 2, summary: 'wire --systemd is not a systemd service unit name.' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorName = keyof typeof ERRORS;

export class TracekitError extends Error {
  readonly code: string;
  readonly exitCode: number;

  constructor(name: ErrorName, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TracekitError';
    this.code = ERRORS[name].code;
    this.exitCode = ERRORS[name].exitCode;
  }
}

export function isTracekitError(value: unknown): value is TracekitError {
  return value instanceof TracekitError;
}
