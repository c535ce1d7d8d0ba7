import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** examples/legacy-app, which the end-to-end tests serve. */
export const legacyAppDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../examples/legacy-app');

/** One request of examples/legacy-app/pages.json and what it must answer. */
export interface Page {
  path: string;
  method: string;
  query: Record<string, string>;
  body?: Record<string, string>;
  status: number;
  contains: string[];
}

export function loadPages(): Page[] {
  return (JSON.parse(readFileSync(path.join(legacyAppDir, 'pages.json'), 'utf8')) as { pages: Page[] }).pages;
}
