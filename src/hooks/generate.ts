import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AuditReport } from '../../analyzers/php/report.js';
import { TracekitError } from '../errors.js';
import { VERSION } from '../version.js';
import { FAMILY_CLASSES, TRACED_FUNCTIONS, TRACED_METHODS } from './catalog.js';

export type HooksMode = 'ext' | 'wrap' | 'auto';
export const HOOKS_MODES: readonly HooksMode[] = ['auto', 'ext', 'wrap'];
export const DEFAULT_HOOKS_FILE = 'tracekit-hooks.php';

/** What the audit says the tree uses, reduced to what gets instrumented. */
export interface HooksPlan {
  /** Procedural functions with a traced wrapper (and, in ext mode, a hook). */
  functions: string[];
  /** Wrapper classes to define: 'mysqli' (Mysqli + Mysqli_Stmt), 'pdo' (Pdo + PdoStatement). */
  classes: Array<'mysqli' | 'pdo'>;
  /** Extension hooks on methods, [class, method]. */
  methods: Array<[string, string]>;
}

export interface HooksRequest {
  mode: HooksMode;
  rawSql: boolean;
  /** The command line that wrote the file, for the header. */
  command: string;
}

/** The hooks/ directory shipped in the package (src/hooks/ or dist/src/hooks/ below the root). */
export function hooksDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const up of ['../..', '../../..']) {
    const candidate = path.resolve(here, up, 'hooks');
    if (existsSync(path.join(candidate, 'src', 'Db.php'))) return candidate;
  }
  throw new TracekitError('PHP_RUNTIME_MISSING', `expected the mysqli/PDO hook sources in hooks/ beside ${here}, found nothing: the tracekit package is incomplete`);
}

function readSource(name: string): string {
  const file = path.join(hooksDir(), 'src', name);
  try {
    return readFileSync(file, 'utf8');
  } catch (cause) {
    throw new TracekitError('PHP_RUNTIME_MISSING', `expected hooks/src/${name} in the tracekit package at ${file}, found it unreadable`, { cause });
  }
}

/** Decides what to instrument from an audit report. */
export function planHooks(report: Pick<AuditReport, 'mysqli' | 'pdo' | 'methodCalls'>): HooksPlan {
  const used = new Set(Object.keys(report.mysqli.byFunction).map((f) => f.toLowerCase()));
  const functions = TRACED_FUNCTIONS.filter((f) => used.has(f));
  const newByClass = new Set(Object.keys(report.mysqli.newByClass).map((c) => c.toLowerCase()));
  const classes: Array<'mysqli' | 'pdo'> = [];
  // mysqli_prepare() hands out traced statements (Mysqli_Stmt), so it brings the mysqli classes along.
  if (newByClass.has('mysqli') || newByClass.has('mysqli_stmt') || report.mysqli.subclasses.length > 0 || functions.includes('mysqli_prepare')) classes.push('mysqli');
  if (report.pdo.newInstances > 0 || report.pdo.subclasses.length > 0) classes.push('pdo');

  const methods = new Map<string, [string, string]>();
  const add = (cls: string, method: string): void => {
    const canonical = TRACED_METHODS[cls]?.find((m) => m.toLowerCase() === method.toLowerCase());
    if (canonical) methods.set(`${cls}::${canonical}`, [cls, canonical]);
  };
  const byMethod = report.methodCalls.byMethod;
  for (const family of ['mysqli', 'pdo'] as const) {
    const names = [...Object.keys(byMethod[family]), ...Object.keys(byMethod.unknown)];
    for (const name of names) for (const cls of FAMILY_CLASSES[family]) add(cls, name);
  }
  if (classes.includes('mysqli')) add('mysqli', '__construct');
  if (classes.includes('pdo')) add('PDO', '__construct');
  // A prepared statement is only worth its prepare span if its executions are seen too.
  if (methods.has('mysqli::prepare') || functions.includes('mysqli_prepare')) add('mysqli_stmt', 'execute');
  if (methods.has('PDO::prepare')) add('PDOStatement', 'execute');
  const order = (k: string): number => Object.keys(TRACED_METHODS).indexOf(k.split('::')[0]!) * 100 + TRACED_METHODS[k.split('::')[0]!]!.indexOf(k.split('::')[1]!);
  const sortedMethods = [...methods.entries()].sort((a, b) => order(a[0]) - order(b[0])).map(([, v]) => v);
  return { functions, classes, methods: sortedMethods };
}

const OPENING = /^<\?php\r?\nnamespace ([A-Za-z\\]+);\r?\n(?:\r?\nuse [^;]+;\r?\n)?/;

/** A source file's body, declared only when its first class is not yet defined (a second hooks file loads harmlessly). */
function guardedClasses(file: string): string {
  const source = readSource(file);
  const match = OPENING.exec(source);
  if (!match) throw new TracekitError('PHP_RUNTIME_MISSING', `expected hooks/src/${file} to start with "<?php" and a namespace line, found something else`);
  const body = source.slice(match[0].length).replace(/^\n+/, '').replace(/\n+$/, '');
  const first = /^(?:final )?class (\w+)/m.exec(body);
  if (!first) throw new TracekitError('PHP_RUNTIME_MISSING', `expected hooks/src/${file} to declare a class, found none`);
  const fqcn = `${match[1]}\\${first[1]}`.replace(/\\/g, '\\\\');
  const indented = body
    .split('\n')
    .map((line) => (line === '' ? '' : `        ${line}`))
    .join('\n');
  return `    if (!\\class_exists('${fqcn}', false)) {\n${indented}\n    }\n`;
}

/**
 * mysqli_prepare() returns a traced Mysqli_Stmt (so that `$stmt->execute()`
 * is traced too) when the mysqli classes are in the file; on failure the
 * native call runs, for PHP's own errno, warnings and exceptions.
 */
function preparingWrapper(): string {
  return `    if (!\\function_exists('Tracekit\\\\Wrap\\\\mysqli_prepare')) {
        function mysqli_prepare(...$args)
        {
            $span = Db::begin('mysqli_prepare', null, $args);
            if ($span === null) {
                return \\mysqli_prepare(...$args);
            }
            $stmt = \\count($args) === 2 ? Mysqli_Stmt::attempt($args[0], $args[1]) : null;
            if ($stmt === null) {
                try {
                    $stmt = \\mysqli_prepare(...$args);
                } catch (\\Throwable $e) {
                    Db::failed($span, $e);
                    throw $e;
                }
            }
            Db::done($span, 'mysqli_prepare', null, $args, $stmt);
            return $stmt;
        }
    }
`;
}

function wrapperFunction(name: string): string {
  return `    if (!\\function_exists('Tracekit\\\\Wrap\\\\${name}')) {
        function ${name}(...$args)
        {
            $span = Db::begin('${name}', null, $args);
            if ($span === null) {
                return \\${name}(...$args);
            }
            try {
                $result = \\${name}(...$args);
            } catch (\\Throwable $e) {
                Db::failed($span, $e);
                throw $e;
            }
            if (\\is_int($span) && $result !== false) {
                // A query that went well ends here, one PHP call fewer (Db::done() would do the same).
                \\Tracekit\\Runtime\\Tracer::endCall($span);
            } else {
                Db::done($span, '${name}', null, $args, $result);
            }
            return $result;
        }
    }
`;
}

function phpLiteral(value: string | null): string {
  return value === null ? 'null' : `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** The hooks file for a plan: deterministic, PHP 7.2+ syntax. */
export function renderHooks(plan: HooksPlan, request: HooksRequest): string {
  const ext = request.mode !== 'wrap';
  const out: string[] = [];
  out.push('<?php\n');
  out.push(`// generated by tracekit ${VERSION} with \`${request.command}\` — do not edit by hand; change the flags and run it again\n`);
  out.push('//\n');
  out.push(`// mysqli/PDO spans for the functions, methods and classes the audited tree uses (mode: ${request.mode}).\n`);
  out.push(`// Procedural wrappers: ${plan.functions.length === 0 ? 'none' : plan.functions.join(', ')}.\n`);
  out.push(`// Traced classes: ${plan.classes.length === 0 ? 'none' : plan.classes.map((c) => (c === 'mysqli' ? 'mysqli, mysqli_stmt' : 'PDO, PDOStatement')).join(', ')}.\n`);
  if (ext) out.push(`// Extension hooks (PHP >= 8.2 with the opentelemetry extension; otherwise the wrappers trace): ${[...plan.functions, ...plan.methods.map(([c, m]) => `${c}::${m}`)].join(', ') || 'none'}.\n`);
  out.push('// Loaded by tracekit-prepend.php (TRACEKIT_HOOKS_FILE, or tracekit-hooks.php beside it) even when tracing is off,\n');
  out.push('// because code rewritten by `tracekit php rewrite` calls these wrappers; `tracekit php rewrite --revert` undoes that.\n');
  out.push('namespace {\n');
  out.push('    // Linking the untyped overrides of mysqli/PDO methods below draws a deprecation on PHP 8.1+ (return\n');
  out.push('    // types cannot be written in PHP 7.2 syntax) and, should a signature differ on some 7.x, a warning:\n');
  out.push('    // whatever this file raises while it declares itself is swallowed, and only until the end of the file.\n');
  out.push('    \\set_error_handler(static function () {\n');
  out.push('        return true;\n');
  out.push('    });\n');
  out.push('}\n\n');

  out.push('namespace Tracekit\\Hooks {\n');
  out.push(guardedClasses('Sanitizer.php'));
  out.push(guardedClasses('Db.php'));
  if (ext) out.push(guardedClasses('Ext.php'));
  if (request.rawSql) out.push('    Db::$rawDefault = true;\n');
  out.push('}\n\n');

  out.push('namespace Tracekit\\Wrap {\n');
  out.push('    use Tracekit\\Hooks\\Db;\n\n');
  if (plan.classes.includes('mysqli')) out.push(guardedClasses('Mysqli.php'));
  if (plan.classes.includes('pdo')) out.push(guardedClasses('Pdo.php'));
  for (const name of plan.functions) out.push(name === 'mysqli_prepare' && plan.classes.includes('mysqli') ? preparingWrapper() : wrapperFunction(name));
  out.push('}\n\n');

  out.push('namespace {\n');
  if (ext) {
    const targets = [...plan.functions.map((f): [string | null, string] => [null, f]), ...plan.methods];
    out.push('    try {\n');
    out.push('        if (\\Tracekit\\Hooks\\Ext::available()) {\n');
    out.push('            \\Tracekit\\Hooks\\Ext::register([\n');
    for (const [cls, fn] of targets) out.push(`                [${phpLiteral(cls)}, ${phpLiteral(fn)}],\n`);
    out.push('            ]);\n');
    out.push('        }\n');
    out.push('    } finally {\n');
    out.push('        \\restore_error_handler();\n');
    out.push('    }\n');
  } else {
    out.push('    \\restore_error_handler();\n');
  }
  out.push('}\n');
  return out.join('');
}
