/**
 * Applies the counting rules to every file's facts with the project model,
 * and builds one AuditSummary (the project, or its vendor/ trees): per-file
 * counts, totals, entry points and coverage. Deterministic: input files are
 * sorted by path, and every map is emitted with sorted keys.
 */
import { DB_METHODS, MYSQLI_SPAN_FUNCTIONS, SQLITE3_METHODS } from './catalog.js';

const SPAN_FUNCTIONS: ReadonlySet<string> = new Set(MYSQLI_SPAN_FUNCTIONS);
import type { FileFacts } from './facts.js';
import { ProjectModel, type Family } from './project.js';
import type { AuditSummary, CoverageRow, Counts, EntryPoint, OtherDbApi, PerFile, SkippedFile } from './report.js';

type Api = 'mysqli' | 'pdo';

/** One DB call site, as the coverage rows see it. */
interface DbSite {
  file: string;
  api: Api;
  kind: 'procedural' | 'method' | 'new';
  /** A method call on a mysqli object that came from mysqli_connect()/mysqli_prepare() rather than `new`. */
  proceduralObject: boolean;
  /** Inside a project function or method (every such function is an entry point). */
  inFunction: boolean;
}

class Counter {
  private readonly map = new Map<string, number>();
  add(key: string, n = 1): void {
    this.map.set(key, (this.map.get(key) ?? 0) + n);
  }
  toCounts(): Counts {
    const out: Counts = {};
    for (const key of [...this.map.keys()].sort()) out[key] = this.map.get(key)!;
    return out;
  }
}

export interface SummaryInput {
  files: readonly FileFacts[];
  skipped: readonly SkippedFile[];
}

export function summarize(input: SummaryInput, model: ProjectModel = new ProjectModel(input.files)): AuditSummary {
  const files = [...input.files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const mysqliByFunction = new Counter();
  const newByClass = new Counter();
  const byMethod = { mysqli: new Counter(), pdo: new Counter(), unknown: new Counter() };
  const legacyByFunction = new Counter();
  const otherByFunction = new Counter();
  const otherByApi: Record<OtherDbApi, number> = { pgsql: 0, sqlsrv: 0, oci8: 0, sqlite3: 0 };
  const sites: DbSite[] = [];
  const direct = new Map<string, { count: number; apis: Set<Api> }>();
  const perFile: PerFile[] = [];
  // Calls of project functions, kept from the counting loop so entry points need not resolve every call again.
  const userCalls: UserCall[] = [];
  let constantRefs = 0;

  const noteDirect = (key: string | null, api: Api, n = 1): void => {
    if (key === null) return;
    const entry = direct.get(key) ?? { count: 0, apis: new Set<Api>() };
    entry.count += n;
    entry.apis.add(api);
    direct.set(key, entry);
  };

  for (const file of files) {
    const row: PerFile = {
      path: file.path,
      // The scan tier counts exactly what a parse would (docs/audit.md), so the report calls both `ast`.
      analysis: file.analysis === 'scan' || file.analysis === 'typed' ? 'ast' : file.analysis,
      mysqliCallSites: 0,
      mysqliNewInstances: 0,
      pdoNewInstances: 0,
      pdoStaticRefs: 0,
      methodCalls: { mysqli: 0, pdo: 0, unknown: 0 },
      legacyMysqlCallSites: 0,
      otherCallSites: 0,
      entryPointCalls: 0,
      usesMysqli: false,
      usesPdo: false,
      parseError: file.parseError ? file.parseError.message : null,
    };
    let mysqliRefs = file.mysqliConstants > 0;
    let pdoRefs = false;
    constantRefs += file.mysqliConstants;

    for (const call of file.calls) {
      const target = model.resolveFunction(call.c);
      if (target.kind === 'mysqli') {
        row.mysqliCallSites += call.n;
        mysqliByFunction.add(target.name, call.n);
        if (SPAN_FUNCTIONS.has(target.name)) {
          const site: DbSite = { file: file.path, api: 'mysqli', kind: 'procedural', proceduralObject: false, inFunction: call.in !== null };
          for (let i = 0; i < call.n; i++) sites.push(site);
        }
        noteDirect(call.in, 'mysqli', call.n);
      } else if (target.kind === 'legacy') {
        row.legacyMysqlCallSites += call.n;
        legacyByFunction.add(target.name, call.n);
      } else if (target.kind === 'other') {
        row.otherCallSites += call.n;
        otherByApi[target.api] += call.n;
        otherByFunction.add(target.name, call.n);
      } else if (target.kind === 'user') {
        userCalls.push({ key: target.key, in: call.in, n: call.n, row });
      }
    }

    for (const call of file.methodCalls) {
      const isDb = DB_METHODS.has(call.m);
      if (!isDb && !SQLITE3_METHODS.has(call.m)) continue;
      const receiver = model.resolve(call.r);
      let family: Family = 'unknown';
      if (receiver) family = model.family(receiver.cls);
      if (family === 'mysqli' || family === 'pdo') {
        if (!isDb) continue;
        row.methodCalls[family] += 1;
        byMethod[family].add(call.m);
        sites.push({
          file: file.path,
          api: family,
          kind: 'method',
          proceduralObject: family === 'mysqli' && receiver !== null && receiver.proc,
          inFunction: call.in !== null,
        });
        noteDirect(call.in, family);
      } else if (family === 'sqlite3') {
        if (!SQLITE3_METHODS.has(call.m)) continue;
        row.otherCallSites += 1;
        otherByApi.sqlite3 += 1;
        otherByFunction.add(`SQLite3::${call.m}`);
      } else if (family === 'unknown' && isDb) {
        row.methodCalls.unknown += 1;
        byMethod.unknown.add(call.m);
      }
    }

    for (const created of file.news) {
      const family = model.family(created.c);
      if (family === 'mysqli') {
        row.mysqliNewInstances += 1;
        newByClass.add(displayClass(model, created.c));
        sites.push({ file: file.path, api: 'mysqli', kind: 'new', proceduralObject: false, inFunction: created.in !== null });
        noteDirect(created.in, 'mysqli');
      } else if (family === 'pdo') {
        row.pdoNewInstances += 1;
        sites.push({ file: file.path, api: 'pdo', kind: 'new', proceduralObject: false, inFunction: created.in !== null });
        noteDirect(created.in, 'pdo');
      } else if (family === 'sqlite3') {
        row.otherCallSites += 1;
        otherByApi.sqlite3 += 1;
        otherByFunction.add('new SQLite3');
      }
    }

    for (const ref of file.classRefs) {
      const family = model.family(ref.c);
      if (family === 'mysqli') mysqliRefs = true;
      if (family === 'pdo') {
        pdoRefs = true;
        if (ref.how === 'static') row.pdoStaticRefs += 1;
      }
    }

    row.usesMysqli = mysqliRefs || row.mysqliCallSites > 0 || row.mysqliNewInstances > 0 || row.methodCalls.mysqli > 0;
    row.usesPdo = pdoRefs || row.pdoNewInstances > 0 || row.pdoStaticRefs > 0 || row.methodCalls.pdo > 0;
    perFile.push(row);
  }

  const entryPoints = findEntryPoints(files, perFile, userCalls, model, direct);
  // A file the prefilter passed over was still scanned; it keeps its label only if it counted nothing
  // (it may call an entry point, or use a user subclass of mysqli/PDO).
  for (const row of perFile) {
    if (row.analysis !== 'no-evidence') continue;
    const counted = row.entryPointCalls + row.mysqliNewInstances + row.pdoNewInstances + row.pdoStaticRefs + row.methodCalls.mysqli + row.methodCalls.pdo + row.methodCalls.unknown;
    if (counted > 0 || row.usesMysqli || row.usesPdo) row.analysis = 'ast';
  }
  const summary: AuditSummary = {
    files: {
      scanned: files.length,
      parsed: perFile.filter((f) => f.analysis !== 'no-evidence').length,
      withMysqli: perFile.filter((f) => f.usesMysqli).length,
      withPdo: perFile.filter((f) => f.usesPdo).length,
      withBoth: perFile.filter((f) => f.usesMysqli && f.usesPdo).length,
      withLegacyMysql: perFile.filter((f) => f.legacyMysqlCallSites > 0).length,
      withOther: perFile.filter((f) => f.otherCallSites > 0).length,
      parseErrors: files.filter((f) => f.parseError !== null).length,
      skipped: input.skipped.length,
      bytes: files.reduce((sum, f) => sum + f.bytes, 0),
    },
    mysqli: {
      callSites: sum(perFile, (f) => f.mysqliCallSites),
      byFunction: mysqliByFunction.toCounts(),
      newInstances: sum(perFile, (f) => f.mysqliNewInstances),
      newByClass: newByClass.toCounts(),
      subclasses: subclassesOf(model, 'mysqli'),
      constantRefs,
    },
    pdo: {
      newInstances: sum(perFile, (f) => f.pdoNewInstances),
      staticRefs: sum(perFile, (f) => f.pdoStaticRefs),
      subclasses: subclassesOf(model, 'pdo'),
    },
    methodCalls: {
      mysqli: sum(perFile, (f) => f.methodCalls.mysqli),
      pdo: sum(perFile, (f) => f.methodCalls.pdo),
      unknown: sum(perFile, (f) => f.methodCalls.unknown),
      byMethod: { mysqli: byMethod.mysqli.toCounts(), pdo: byMethod.pdo.toCounts(), unknown: byMethod.unknown.toCounts() },
    },
    legacyMysql: { callSites: sum(perFile, (f) => f.legacyMysqlCallSites), byFunction: legacyByFunction.toCounts() },
    other: { callSites: sum(perFile, (f) => f.otherCallSites), byApi: otherByApi, byFunction: otherByFunction.toCounts() },
    entryPoints,
    coverage: coverageRows(sites),
    parseErrors: files
      .filter((f) => f.parseError !== null)
      .map((f) => ({ path: f.path, line: f.parseError!.line, message: f.parseError!.message })),
    skipped: [...input.skipped].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
    perFile,
  };
  return summary;
}

function sum<T>(items: readonly T[], pick: (item: T) => number): number {
  let total = 0;
  for (const item of items) total += pick(item);
  return total;
}

function displayClass(model: ProjectModel, key: string): string {
  return model.classes.get(key)?.decl.name ?? key;
}

function subclassesOf(model: ProjectModel, family: 'mysqli' | 'pdo'): string[] {
  const out: string[] = [];
  for (const [key, { decl, file }] of model.classes) {
    if (decl.parent === null) continue;
    if (model.family(key) === family) out.push(`${decl.name} (${file}:${decl.line})`);
  }
  return out.sort();
}

/** A call of a project function, as the counting loop resolved it. */
interface UserCall {
  key: string;
  in: string | null;
  n: number;
  /** The calling file's row (its path, and its entryPointCalls to count). */
  row: PerFile;
}

/** `rows[i]` is the row of `files[i]`. */
function findEntryPoints(
  files: readonly FileFacts[],
  rows: readonly PerFile[],
  userCalls: readonly UserCall[],
  model: ProjectModel,
  direct: Map<string, { count: number; apis: Set<Api> }>,
): EntryPoint[] {
  const callers = new Map<string, { callSites: number; files: Set<string> }>();
  for (const key of direct.keys()) callers.set(key, { callSites: 0, files: new Set() });
  // Methods are matched by name when the receiver cannot be typed, but only when one entry point has that name.
  const methodsByName = new Map<string, string[]>();
  for (const key of direct.keys()) {
    if (!key.includes('::')) continue;
    const name = key.slice(key.indexOf('::') + 2);
    const list = methodsByName.get(name) ?? [];
    list.push(key);
    methodsByName.set(name, list);
  }
  const count = (target: string, from: string | null, row: PerFile, n: number): void => {
    const entry = callers.get(target);
    if (!entry || from === target) return;
    entry.callSites += n;
    entry.files.add(row.path);
    row.entryPointCalls += n;
  };
  // Function calls first, then method calls, file by file, as the counts were always made (only sums and sets follow).
  for (const call of userCalls) count(call.key, call.in, call.row, call.n);
  if (methodsByName.size > 0) {
    files.forEach((file, i) => {
      const row = rows[i]!;
      for (const call of file.methodCalls) {
        const named = methodsByName.get(call.m);
        if (!named) continue;
        const receiver = model.resolve(call.r);
        const family = receiver ? model.family(receiver.cls) : 'unknown';
        const found = receiver ? model.findMethod(receiver.cls, call.m) : null;
        if (found) count(found, call.in, row, 1);
        else if (family === 'unknown' && named.length === 1) count(named[0]!, call.in, row, 1);
      }
    });
  }
  const out: EntryPoint[] = [];
  for (const [key, info] of direct) {
    const def = model.functions.get(key);
    if (!def) continue;
    const calledBy = callers.get(key)!;
    out.push({
      name: def.decl.name,
      kind: def.decl.kind,
      file: def.file,
      line: def.decl.line,
      apis: [...info.apis].sort(),
      directDbCalls: info.count,
      callers: { callSites: calledBy.callSites, files: calledBy.files.size },
    });
  }
  out.sort((a, b) => b.callers.callSites - a.callers.callSites || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return out;
}

const TOTAL_ASSUMPTION =
  'DB call sites = the calls that become spans: connect/query/prepare/execute/transaction mysqli_* functions + the same methods on receivers resolved to mysqli or PDO + `new mysqli`/`new PDO` (and subclasses). Fetch, bind, escape, error and close calls make no span in any agent and are not in the total; nor are method calls on unresolved receivers, legacy mysql_* and other APIs (reported separately).';
const FILES_ASSUMPTION = 'A file counts as covered when every DB call site in it is seen; the total is the files with at least one DB call site.';

const WRAP_OBJECT_ASSUMPTION =
  'Methods called on objects that procedural functions return (a link from mysqli_connect()/mysqli_init(), a statement from mysqli_prepare()) are counted as not seen: the traced mysqli_connect() returns a plain mysqli (a statement from a rewritten mysqli_prepare() is traced, so the row can undercount those). Calls made through a `use function` alias and user subclasses that override a traced method are left alone by the rewrite.';

function coverageRows(sites: readonly DbSite[]): CoverageRow[] {
  const row = (mode: CoverageRow['mode'], label: string, sees: (site: DbSite) => boolean, assumptions: string[]): CoverageRow => {
    const covered = sites.filter(sees).length;
    const byFile = new Map<string, boolean>();
    for (const site of sites) byFile.set(site.file, (byFile.get(site.file) ?? true) && sees(site));
    const filesCovered = [...byFile.values()].filter(Boolean).length;
    return {
      mode,
      label,
      callSites: { covered, total: sites.length, share: share(covered, sites.length) },
      files: { covered: filesCovered, total: byFile.size, share: share(filesCovered, byFile.size) },
      assumptions: [...assumptions, TOTAL_ASSUMPTION, FILES_ASSUMPTION],
    };
  };
  return [
    row('otel-auto-pdo', 'OpenTelemetry auto-instrumentation, PDO only', (s) => s.api === 'pdo', [
      'The official opentelemetry extension with the contrib PDO package, as typically installed; no mysqli package.',
      'Needs PHP >= 8.2 (hooks on internal functions), the opentelemetry extension and Composer.',
    ]),
    row('otel-auto-mysqli', 'OpenTelemetry auto-instrumentation with its mysqli package', () => true, [
      'The contrib mysqli and PDO packages hook every mysqli function and method and every PDO method counted here.',
      'Needs PHP >= 8.2, the opentelemetry extension and Composer.',
    ]),
    row('tracekit-ext', 'tracekit ext hooks', () => true, [
      'tracekit hooks every mysqli function and method and every PDO method counted here through the opentelemetry extension.',
      'Needs PHP >= 8.2 and the opentelemetry extension (no Composer); where they are missing tracekit falls back to the wrappers.',
    ]),
    row(
      'tracekit-wrap-entry-points',
      'tracekit pure-PHP wrappers, default rewrite (entry points only)',
      (s) => !s.proceduralObject && (s.api === 'pdo' || s.kind === 'new' || s.kind === 'method' || s.inFunction),
      [
        'PHP 7.2+, no extension: `new mysqli`/`new PDO` become traced subclasses everywhere; procedural mysqli_* calls are rewritten only inside the entry-point functions.',
        WRAP_OBJECT_ASSUMPTION,
      ],
    ),
    row('tracekit-wrap-all', 'tracekit pure-PHP wrappers after `rewrite --all`', (s) => !s.proceduralObject, [
      'PHP 7.2+, no extension: every span-making procedural mysqli_* call is rewritten to its traced wrapper and every `new mysqli`/`new PDO` makes a traced subclass.',
      WRAP_OBJECT_ASSUMPTION,
    ]),
  ];
}

function share(covered: number, total: number): number {
  return total === 0 ? 0 : Math.round((covered / total) * 10000) / 10000;
}

/** The keys of every project function that makes a direct DB call (for parse on demand). */
export function directCallers(files: readonly FileFacts[], model: ProjectModel): string[] {
  const keys = new Set<string>();
  for (const file of files) {
    for (const call of file.calls) if (call.in && model.resolveFunction(call.c).kind === 'mysqli') keys.add(call.in);
    for (const call of file.methodCalls) {
      if (!call.in || !DB_METHODS.has(call.m)) continue;
      const receiver = model.resolve(call.r);
      const family = receiver ? model.family(receiver.cls) : 'unknown';
      if (family === 'mysqli' || family === 'pdo') keys.add(call.in);
    }
    for (const created of file.news) {
      if (!created.in) continue;
      const family = model.family(created.c);
      if (family === 'mysqli' || family === 'pdo') keys.add(created.in);
    }
  }
  return [...keys].sort();
}
