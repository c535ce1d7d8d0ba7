import { describe, expect, it } from 'vitest';
import { run } from '../../src/cli.js';
import { parseByteSize, parseExtensions } from '../../src/commands/audit.js';
import { captureIO } from '../helpers/capture-io.js';

describe('audit argument parsing', () => {
  it('normalises extensions: case, dots, globs and duplicates', () => {
    expect(parseExtensions('php,.INC, *.phtml,php')).toEqual(['php', 'inc', 'phtml']);
  });

  it.each(['', 'php,,inc', 'php,@x', 'p h p'])('rejects --ext %j with exit 2 and the value it found', async (value) => {
    const io = captureIO();
    expect(await run(['audit', '.', '--ext', value], io)).toBe(2);
    expect(io.err()).toContain('--ext expects a comma-separated list of file extensions');
    expect(io.err()).toContain(`found "${value}"`);
    expect(io.err()).toContain('[TRACEKIT_E_AUDIT_BAD_EXTENSION]');
    expect(io.err().trim().split('\n')).toHaveLength(1);
  });

  it('parses sizes with units', () => {
    expect(parseByteSize('5MiB')).toBe(5 * 1024 * 1024);
    expect(parseByteSize('512k')).toBe(512 * 1024);
    expect(parseByteSize('1000')).toBe(1000);
    expect(() => parseByteSize('lots')).toThrow(/--max-file-size expects a size like 5MiB/);
    expect(() => parseByteSize('0')).toThrow(/found "0"/);
  });

  it.each([
    [['--threads', 'many'], '--threads expects a whole number'],
    [['--threads', '100'], '--threads expects a whole number'],
    [['--max-file-size', '3 parsecs'], '--max-file-size expects a size'],
    [['--fail-on', 'parse-errors,typos'], '--fail-on expects a comma-separated list'],
  ])('rejects %j with exit 2', async (args, message) => {
    const io = captureIO();
    expect(await run(['audit', '.', ...args], io)).toBe(2);
    expect(io.err()).toContain(message);
    expect(io.err()).toContain('[TRACEKIT_E_USAGE]');
  });

  it('rejects an unknown --format with exit 2 and the allowed choices', async () => {
    const io = captureIO();
    expect(await run(['audit', '.', '--format', 'xml'], io)).toBe(2);
    expect(io.err()).toContain("argument 'xml' is invalid. Allowed choices are table, json, markdown");
  });

  it('--help shows examples and exits 0', async () => {
    const io = captureIO();
    expect(await run(['audit', '--help'], io)).toBe(0);
    expect(io.out()).toContain('Examples:');
    expect(io.out()).toContain('tracekit audit /srv/app --format json --out audit.json');
  });
});
