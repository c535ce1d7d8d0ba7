import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateSeam, writeSeam, type GeneratedFile } from '../../src/collector/generate.js';
import { resolveSeamOptions, type RawSeamOptions } from '../../src/collector/options.js';

export const BASE_FLAGS: RawSeamOptions = {
  listen: '10.0.0.5',
  allow: ['10.0.0.0/24', '10.0.1.0/24'],
  grafana: true,
  command: 'tracekit collector --listen 10.0.0.5 --allow 10.0.0.0/24,10.0.1.0/24 --grafana',
};

export interface WrittenSeam {
  dir: string;
  files: GeneratedFile[];
  read(rel: string): string;
  cleanup(): void;
}

/** Generates the seam in-process and writes it to a fresh temp directory. */
export async function writeTempSeam(overrides: Partial<RawSeamOptions> = {}): Promise<WrittenSeam> {
  const dir = mkdtempSync(path.join(tmpdir(), 'tracekit-seam-'));
  const files = generateSeam(resolveSeamOptions({ ...BASE_FLAGS, ...overrides }));
  await writeSeam(dir, files);
  const byPath = new Map(files.map((f) => [f.path, f.content]));
  return {
    dir,
    files,
    read(rel) {
      const content = byPath.get(rel);
      if (content === undefined) throw new Error(`no generated file ${rel}`);
      return content;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export function writeText(file: string, text: string): string {
  writeFileSync(file, text);
  return file;
}
