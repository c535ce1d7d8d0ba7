// Placeholder replaced by the analyzer engine.
import type { AuditReport } from './report.js';

export interface AuditOptions {
  /** The directory to audit. */
  root: string;
  /** File extensions to read, lower case without the dot. Default: php, inc, phtml. */
  extensions?: readonly string[];
  /** Also audit vendor/ trees and report them separately. */
  includeVendor?: boolean;
  /** Skip paths ignored by .gitignore files. Default true. */
  respectGitignore?: boolean;
  /** Worker threads for parsing; 0 parses on the calling thread. Default: one per core, at most 4. */
  threads?: number;
  /** Files larger than this are skipped with a reason. Default 5 MiB. */
  maxFileBytes?: number;
  /** Called as files are analysed, for a progress bar. */
  onProgress?: (done: number, total: number) => void;
}

export async function runAudit(_options: AuditOptions): Promise<AuditReport> {
  throw new Error('not implemented yet');
}
