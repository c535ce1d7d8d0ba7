#!/usr/bin/env node
// How close can any Node program get to PHP's C tokenizer? The audit's goal
// (issue 2) is a wall time at most token_get_all's over the same files. This
// script measures, side by side in one run, what a Node process costs before
// it does any of the audit's work — none of these is tracekit:
//   node          `node -e 0`: start-up and exit of the runtime
//   read          start-up, then every file of the list read with readFileSync
//   read + lex    the same, plus one pass of a minimal PHP lexer over every
//                 byte (lexFloor below: open/close tags, strings, comments,
//                 heredocs, words, whitespace; counts tokens, builds nothing)
// against the tokenizer (bench/audit/tokenize.php) and `tracekit audit`.
// The list is the files the audit reads (from a warm-up audit's report).
//
// Usage (after `npm run build`; trees from `node bench/audit/make-trees.mjs`):
//   node bench/audit/floor.mjs [--rounds 5] [--write] TREE_DIR...
// --write replaces the `## audit floor` section of BENCHMARKS.md.
// A child mode runs the Node floors: node bench/audit/floor.mjs --child read|lex LIST
import { readFileSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from '../lib/stats.mjs';
import { measure, writeSection } from './measure.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const self = fileURLToPath(import.meta.url);

// Byte classes of the floor lexer.
const OTHER = 0;
const SPACE = 1;
const WORD = 2; // letters, digits, _, $, and bytes ≥ 0x80 (names may hold UTF-8)
const CLASS = new Uint8Array(256);
for (const c of ' \t\r\n\f\v') CLASS[c.charCodeAt(0)] = SPACE;
for (let c = 0; c < 256; c++) {
  const ch = String.fromCharCode(c);
  if (/[A-Za-z0-9_$]/.test(ch) || c >= 0x80) CLASS[c] = WORD;
}

/**
 * The least a PHP-aware scanner does: one pass that knows where code,
 * strings, comments, heredocs and inline HTML begin and end, counting tokens
 * (a run of whitespace, a word, a string, a comment, one operator byte). It
 * does not split interpolated strings or multi-byte operators, so it counts
 * fewer tokens than token_get_all and does less work per byte.
 */
export function lexFloor(b) {
  const n = b.length;
  let i = 0;
  let tokens = 0;
  for (;;) {
    // Inline HTML up to the next open tag.
    const open = b.indexOf('<?', i);
    if (open === -1) return i < n ? tokens + 1 : tokens;
    if (open > i) tokens++;
    i = open + 2;
    if (b[i] === 0x3d) i++; // <?=
    else if ((b[i] | 0x20) === 0x70 && (b[i + 1] | 0x20) === 0x68 && (b[i + 2] | 0x20) === 0x70) i += 3; // <?php
    tokens++;
    code: while (i < n) {
      const c = b[i];
      const k = CLASS[c];
      tokens++;
      if (k === SPACE) {
        while (i < n && CLASS[b[i]] === SPACE) i++;
        continue;
      }
      if (k === WORD) {
        while (i < n && CLASS[b[i]] === WORD) i++;
        continue;
      }
      switch (c) {
        case 0x27: // '
        case 0x22: // "
        case 0x60: {
          // `
          i++;
          while (i < n && b[i] !== c) i += b[i] === 0x5c ? 2 : 1;
          i++;
          continue;
        }
        case 0x23: // # (a comment unless #[ attribute)
          if (b[i + 1] === 0x5b) {
            i++;
            continue;
          }
          i = lineCommentEnd(b, i + 1);
          continue;
        case 0x2f: // /
          if (b[i + 1] === 0x2f) {
            i = lineCommentEnd(b, i + 2);
            continue;
          }
          if (b[i + 1] === 0x2a) {
            const close = b.indexOf('*/', i + 2);
            i = close === -1 ? n : close + 2;
            continue;
          }
          i++;
          continue;
        case 0x3f: // ?> back to HTML
          if (b[i + 1] === 0x3e) {
            i += 2;
            if (b[i] === 0x0a) i++;
            break code;
          }
          i++;
          continue;
        case 0x3c: // <<<LABEL heredoc / nowdoc
          if (b[i + 1] === 0x3c && b[i + 2] === 0x3c) {
            i += 3;
            while (b[i] === 0x20 || b[i] === 0x22 || b[i] === 0x27) i++;
            const start = i;
            while (i < n && CLASS[b[i]] === WORD) i++;
            const label = b.subarray(start, i);
            let at = i;
            for (;;) {
              const found = b.indexOf(label, at);
              if (found === -1) {
                at = n;
                break;
              }
              at = found + label.length;
              // The closing label starts a line (after optional indentation, PHP 7.3+).
              let j = found - 1;
              while (j > start && (b[j] === 0x20 || b[j] === 0x09)) j--;
              if (b[j] === 0x0a) break;
            }
            i = at;
            continue;
          }
          i++;
          continue;
        default:
          i++;
      }
    }
  }
}

/** Where a // or # comment ends: at the newline, or before a ?> on its line. */
function lineCommentEnd(b, i) {
  const n = b.length;
  while (i < n) {
    const c = b[i];
    if (c === 0x0a) return i + 1;
    if (c === 0x3f && b[i + 1] === 0x3e) return i;
    i++;
  }
  return n;
}

function child(mode, listFile) {
  const list = readFileSync(listFile, 'utf8').split('\n').filter(Boolean);
  let bytes = 0;
  let tokens = 0;
  for (const file of list) {
    const b = readFileSync(file);
    bytes += b.length;
    if (mode === 'lex') tokens += lexFloor(b);
  }
  process.stdout.write(`${JSON.stringify({ files: list.length, bytes, tokens })}\n`);
}

async function main(argv) {
  let rounds = 5;
  let write = false;
  const trees = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--rounds') rounds = Number(argv[++i]);
    else if (argv[i] === '--write') write = true;
    else if (argv[i].startsWith('--')) throw new Error(`unknown option ${argv[i]}; see the usage at the top of bench/audit/floor.mjs`);
    else trees.push(path.resolve(argv[i]));
  }
  if (trees.length === 0) throw new Error('expected one or more tree directories (node bench/audit/make-trees.mjs writes them under .bench-tmp/)');
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds expects a positive whole number, found ${rounds}`);
  const tmp = path.join(os.tmpdir(), `tracekit-audit-floor-${process.pid}`);
  mkdirSync(tmp, { recursive: true });
  const log = (m) => process.stderr.write(`${m}\n`);
  const loadBefore = os.loadavg().map((l) => l.toFixed(2)).join(' ');
  const lines = [];
  const verdicts = [];
  try {
    for (const tree of trees) {
      const report = path.join(tmp, 'report.json');
      const listFile = path.join(tmp, 'list');
      const audit = [path.join(repoRoot, 'bin/tracekit.js'), 'audit', tree, '--format', 'json', '--out', report, '--no-progress'];
      await measure(process.execPath, audit, tmp); // warm-up: page cache, and the list
      writeFileSync(listFile, JSON.parse(readFileSync(report, 'utf8')).perFile.map((f) => path.join(tree, f.path)).join('\n') + '\n');
      const runs = {
        tokenizer: ['php', ['-d', 'memory_limit=-1', path.join(repoRoot, 'bench/audit/tokenize.php'), listFile]],
        node: [process.execPath, ['-e', '0']],
        read: [process.execPath, [self, '--child', 'read', listFile]],
        'read + lex': [process.execPath, [self, '--child', 'lex', listFile]],
        audit: [process.execPath, audit],
      };
      const names = Object.keys(runs);
      const seconds = Object.fromEntries(names.map((k) => [k, []]));
      const out = {};
      for (const k of names) out[k] = (await measure(runs[k][0], runs[k][1], tmp)).stdout; // warm-up
      for (let r = 0; r < rounds; r++) {
        for (const k of r % 2 === 0 ? names : [...names].reverse()) seconds[k].push((await measure(runs[k][0], runs[k][1], tmp)).seconds);
      }
      const tok = median(seconds.tokenizer);
      const php = JSON.parse(out.tokenizer);
      const lex = JSON.parse(out['read + lex']);
      log(`${path.basename(tree)}: ${names.map((k) => `${k} ${median(seconds[k]).toFixed(3)} s`).join(', ')}`);
      const share = (k) => median(seconds[k]) / tok;
      // What a Node program that meets the goal has left for the audit's own analysis.
      const leftMs = (tok - median(seconds['read + lex'])) * 1000;
      verdicts.push(
        `- ${path.basename(tree)}: Node's start-up and reading the files use ${share('read').toFixed(2)} of the tokenizer's time, the minimal lexer brings it to ${share('read + lex').toFixed(2)}; ` +
          `that leaves ${leftMs < 1 ? 'nothing' : `${leftMs.toFixed(0)} ms`} for everything the audit does beyond one pass over the bytes (finding calls and receivers, definitions, the project model, the summary, the report), ` +
          `where the audit now spends ${((median(seconds.audit) - median(seconds['read + lex'])) * 1000).toFixed(0)} ms.`,
      );
      lines.push(`| ${path.basename(tree)} (${php.files} files, ${(php.bytes / 1048576).toFixed(1)} MiB) | ${names.map((k) => `${median(seconds[k]).toFixed(3)} s (${(median(seconds[k]) / tok).toFixed(2)})`).join(' | ')} | ${php.tokens.toLocaleString('en-US')} / ${lex.tokens.toLocaleString('en-US')} |`);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const loadAfter = os.loadavg().map((l) => l.toFixed(2)).join(' ');
  const text = [
    '## audit floor',
    '',
    'What any Node program pays before doing the audit\'s work, against the same tokenizer as `## audit` (`node bench/audit/floor.mjs --write .bench-tmp/audit-grown .bench-tmp/audit-generated`, after `npm run build`; none of the middle three columns is tracekit): `node -e 0`; a Node process reading every file the audit reads (`readFileSync`); the same plus one pass of a minimal PHP lexer over every byte (`lexFloor` in the script: tags, strings, comments, heredocs, words and whitespace, counting tokens and building nothing — about as many tokens as `token_get_all`, less work per byte). Fresh processes, page cache warm, the file list from a warm-up audit.',
    '',
    `Wall time, median of ${rounds} alternating rounds (ratio to the tokenizer); ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${os.cpus().length} cores, Node ${process.version}; load average before ${loadBefore}, after ${loadAfter}.`,
    '',
    '| tree | token_get_all | node -e 0 | node: read | node: read + lex | tracekit audit | tokens: token_get_all / floor lexer |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...lines,
    '',
    ...verdicts,
    '',
  ].join('\n');
  process.stdout.write(text);
  if (write) await writeSection('audit floor', text);
}

// Imported (for lexFloor), it runs nothing.
const isMain = process.argv[1] === self;
if (isMain && process.argv[2] === '--child') child(process.argv[3], process.argv[4]);
else if (isMain) {
  main(process.argv.slice(2)).catch((error) => {
    process.stderr.write(`bench/audit/floor: ${error.message}\n`);
    process.exitCode = 1;
  });
}
