import pc from 'picocolors';
import type { AuditReport } from '../../analyzers/php/report.js';
import { reportSections, type Section, type Table } from './sections.js';

export const AUDIT_FORMATS = ['table', 'json', 'markdown'] as const;
export type AuditFormat = (typeof AUDIT_FORMATS)[number];

export function formatReport(report: AuditReport, format: AuditFormat, options: { color?: boolean } = {}): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(report, null, 2)}\n`;
    case 'markdown':
      return formatMarkdown(report);
    case 'table':
      return formatText(report, options.color ?? false);
  }
}

function textTable(table: Table, bold: (s: string) => string): string[] {
  const widths = table.headers.map((h, i) => Math.max(h.length, ...table.rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (table.numeric[i] ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [`  ${bold(line(table.headers))}`, ...table.rows.map((r) => `  ${line(r)}`)];
}

function formatText(report: AuditReport, color: boolean): string {
  const c = pc.createColors(color);
  const out: string[] = [];
  out.push(`${c.bold('tracekit audit')}  ${report.root}`);
  out.push(
    `${report.files.scanned.toLocaleString('en-US')} files scanned (${report.options.extensions.map((e) => `.${e}`).join(' ')}), ` +
      formatBytes(report.files.bytes),
  );
  for (const section of reportSections(report)) {
    out.push('', c.bold(c.cyan(section.title)));
    if (section.lead) out.push(`  ${section.lead}`);
    if (section.table && section.table.rows.length > 0) out.push(...textTable(section.table, c.bold));
    for (const note of section.notes ?? []) out.push(`  ${c.dim(note)}`);
  }
  return `${out.join('\n')}\n`;
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1_048_576) return `${(bytes / 1_048_576).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} bytes`;
}

function escapeCell(cell: string): string {
  return cell.replace(/\|/g, '\\|');
}

function markdownTable(table: Table): string[] {
  return [
    `| ${table.headers.map(escapeCell).join(' | ')} |`,
    `|${table.numeric.map((n) => (n ? '---:' : '---')).join('|')}|`,
    ...table.rows.map((r) => `| ${r.map(escapeCell).join(' | ')} |`),
  ];
}

function markdownSection(section: Section): string[] {
  const out = ['', `### ${section.title}`, ''];
  if (section.lead) out.push(`${section.lead}.`, '');
  if (section.table && section.table.rows.length > 0) out.push(...markdownTable(section.table), '');
  for (const note of section.notes ?? []) out.push(`- ${note.replace(/^\[(\d+)\] /, '[$1]: ')}`);
  return out;
}

/** A section to paste into an ADR or a pull request. */
function formatMarkdown(report: AuditReport): string {
  const f = report.files;
  const out = [
    '## Database layer audit',
    '',
    `Audited \`${report.root}\` with tracekit ${report.tool.version}: ${f.scanned.toLocaleString('en-US')} PHP files ` +
      `(${report.options.extensions.map((e) => `\`.${e}\``).join(', ')}); ${f.withMysqli.toLocaleString('en-US')} use mysqli, ` +
      `${f.withPdo.toLocaleString('en-US')} use PDO, ${f.withBoth.toLocaleString('en-US')} use both.`,
  ];
  for (const section of reportSections(report)) out.push(...markdownSection(section));
  return `${out.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
}
