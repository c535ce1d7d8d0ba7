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

  // -- php bootstrap and hooks -----------------------------------------------
  PHP_BAD_ENDPOINT: { code: 'TRACEKIT_E_PHP_BAD_ENDPOINT', exitCode: 2, summary: 'An --endpoint for the PHP bootstrap is not a unix socket URL or a loopback http://IP:PORT.' },
  PHP_BAD_SERVICE: { code: 'TRACEKIT_E_PHP_BAD_SERVICE', exitCode: 2, summary: 'A --service name is empty or has characters a php-fpm pool file cannot carry.' },
  PHP_INIT_WOULD_OVERWRITE: { code: 'TRACEKIT_E_PHP_INIT_WOULD_OVERWRITE', exitCode: 2, summary: 'php init would overwrite a file that tracekit did not write.' },
  PHP_RUNTIME_MISSING: { code: 'TRACEKIT_E_PHP_RUNTIME_MISSING', exitCode: 2, summary: 'The PHP runtime or its templates are missing from the tracekit package.' },

  // -- collector, agent settings, doctor -------------------------------------
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
