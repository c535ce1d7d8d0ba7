import type { AuditReport, AuditSummary, Counts } from '../../analyzers/php/report.js';

/**
 * The report broken into titled tables. The text and markdown formats render
 * the same sections, so they always say the same thing.
 */
export interface Table {
  headers: string[];
  /** Which columns hold numbers (right-aligned). */
  numeric: boolean[];
  rows: string[][];
}

export interface Section {
  title: string;
  /** One-line lead before the table, if any. */
  lead?: string;
  table?: Table;
  /** Lines after the table (notes, lists). */
  notes?: string[];
}

/** How many entry points and list items the human formats show; JSON has all. */
export const LIST_LIMIT = 20;

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

export function formatShare(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}

function sortedCounts(counts: Counts): Array<[string, number]> {
  return Object.entries(counts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

function countTable(label: string, counts: Counts): Table {
  return {
    headers: [label, 'call sites'],
    numeric: [false, true],
    rows: sortedCounts(counts).map(([name, n]) => [name, formatCount(n)]),
  };
}

function limited<T>(items: readonly T[], what: string): { shown: readonly T[]; note: string[] } {
  if (items.length <= LIST_LIMIT) return { shown: items, note: [] };
  return { shown: items.slice(0, LIST_LIMIT), note: [`… and ${formatCount(items.length - LIST_LIMIT)} more ${what} (all of them are in --format json)`] };
}

export function summarySections(summary: AuditSummary): Section[] {
  const f = summary.files;
  const sections: Section[] = [];

  sections.push({
    title: 'Files',
    table: {
      headers: ['files', 'count'],
      numeric: [false, true],
      rows: [
        ['scanned', formatCount(f.scanned)],
        ['parsed (could hold DB code)', formatCount(f.parsed)],
        ['using mysqli', formatCount(f.withMysqli)],
        ['using PDO', formatCount(f.withPdo)],
        ['using both', formatCount(f.withBoth)],
        ['using legacy mysql_*', formatCount(f.withLegacyMysql)],
        ['using other DB APIs', formatCount(f.withOther)],
        ['parse errors (counted from tokens)', formatCount(f.parseErrors)],
        ['skipped (binary, too large, unreadable)', formatCount(f.skipped)],
      ],
    },
  });

  const m = summary.mysqli;
  const mysqliNotes: string[] = [];
  if (m.newInstances > 0) {
    mysqliNotes.push(`new: ${sortedCounts(m.newByClass).map(([c, n]) => `${c} ×${formatCount(n)}`).join(', ')}`);
  }
  if (m.subclasses.length > 0) mysqliNotes.push(`subclasses: ${m.subclasses.join(', ')}`);
  if (m.constantRefs > 0) mysqliNotes.push(`MYSQLI_* constants: ${formatCount(m.constantRefs)} uses`);
  sections.push({
    title: 'mysqli functions',
    lead: `${formatCount(m.callSites)} call sites of built-in mysqli_* functions, ${formatCount(m.newInstances)} new mysqli objects`,
    table: m.callSites > 0 ? countTable('function', m.byFunction) : undefined,
    notes: mysqliNotes,
  });

  const p = summary.pdo;
  sections.push({
    title: 'PDO',
    lead: `${formatCount(p.newInstances)} new PDO, ${formatCount(p.staticRefs)} PDO::X static uses`,
    notes: p.subclasses.length > 0 ? [`subclasses: ${p.subclasses.join(', ')}`] : [],
  });

  const mc = summary.methodCalls;
  const methods = [...new Set([...Object.keys(mc.byMethod.mysqli), ...Object.keys(mc.byMethod.pdo), ...Object.keys(mc.byMethod.unknown)])].sort();
  sections.push({
    title: 'Method calls by receiver',
    lead: `mysqli ${formatCount(mc.mysqli)}, PDO ${formatCount(mc.pdo)}, unknown receiver ${formatCount(mc.unknown)}`,
    table:
      methods.length > 0
        ? {
            headers: ['method', 'mysqli', 'PDO', 'unknown'],
            numeric: [false, true, true, true],
            rows: methods.map((name) => [
              `->${name}()`,
              formatCount(mc.byMethod.mysqli[name] ?? 0),
              formatCount(mc.byMethod.pdo[name] ?? 0),
              formatCount(mc.byMethod.unknown[name] ?? 0),
            ]),
          }
        : undefined,
  });

  const legacy = summary.legacyMysql;
  const other = summary.other;
  if (legacy.callSites > 0 || other.callSites > 0) {
    const rows = [
      ...sortedCounts(legacy.byFunction).map(([name, n]) => [name, 'mysql (removed in PHP 7)', formatCount(n)]),
      ...sortedCounts(other.byFunction).map(([name, n]) => [name, 'other', formatCount(n)]),
    ];
    sections.push({
      title: 'Legacy mysql_* and other DB APIs',
      lead: `mysql_* ${formatCount(legacy.callSites)}; pgsql ${other.byApi.pgsql}, sqlsrv ${other.byApi.sqlsrv}, oci8 ${other.byApi.oci8}, SQLite3 ${other.byApi.sqlite3}`,
      table: { headers: ['function', 'API', 'call sites'], numeric: [false, false, true], rows },
    });
  }

  const eps = limited(summary.entryPoints, 'entry points');
  const reach = summary.entryPoints.reduce((sum, ep) => sum + ep.callers.callSites, 0);
  sections.push({
    title: 'DB entry points (the project functions that touch the database)',
    lead:
      summary.entryPoints.length > 0
        ? `${formatCount(summary.entryPoints.length)} functions and methods call mysqli or PDO directly; ${formatCount(reach)} call sites reach the database through them`
        : 'no project function or method calls mysqli or PDO directly',
    table:
      eps.shown.length > 0
        ? {
            headers: ['entry point', 'kind', 'defined at', 'API', 'direct DB calls', 'called from sites', 'in files'],
            numeric: [false, false, false, false, true, true, true],
            rows: eps.shown.map((ep) => [
              ep.name,
              ep.kind,
              `${ep.file}:${ep.line}`,
              ep.apis.join('+'),
              formatCount(ep.directDbCalls),
              formatCount(ep.callers.callSites),
              formatCount(ep.callers.files),
            ]),
          }
        : undefined,
    notes: eps.note,
  });

  const assumptions: string[] = [];
  sections.push({
    title: 'Coverage by way of instrumenting',
    table: {
      headers: ['way of instrumenting', 'DB call sites seen', 'files seen'],
      numeric: [false, true, true],
      rows: summary.coverage.map((row) => {
        const marks = row.assumptions.map((a) => {
          let i = assumptions.indexOf(a);
          if (i < 0) i = assumptions.push(a) - 1;
          return `[${i + 1}]`;
        });
        return [
          `${row.label} ${marks.join('')}`.trim(),
          `${formatCount(row.callSites.covered)}/${formatCount(row.callSites.total)} (${formatShare(row.callSites.share)})`,
          `${formatCount(row.files.covered)}/${formatCount(row.files.total)} (${formatShare(row.files.share)})`,
        ];
      }),
    },
    notes: assumptions.map((a, i) => `[${i + 1}] ${a}`),
  });

  if (summary.parseErrors.length > 0) {
    const list = limited(summary.parseErrors, 'parse errors');
    sections.push({
      title: 'Files that did not parse (counted from their tokens)',
      notes: [...list.shown.map((e) => `${e.path}${e.line === null ? '' : `:${e.line}`}: ${e.message}`), ...list.note],
    });
  }
  if (summary.skipped.length > 0) {
    const list = limited(summary.skipped, 'skipped files');
    sections.push({
      title: 'Skipped files',
      notes: [...list.shown.map((s) => `${s.path}: ${s.reason} (${s.detail})`), ...list.note],
    });
  }
  return sections;
}

export function reportSections(report: AuditReport): Section[] {
  const sections = summarySections(report);
  if (report.vendor !== null) {
    for (const section of summarySections(report.vendor)) sections.push({ ...section, title: `vendor/: ${section.title}` });
  }
  return sections;
}
