/**
 * Worker thread: analyses batches of files and posts back their facts
 * (compact records, never the AST).
 */
import { parentPort } from 'node:worker_threads';
import { analyzeFile, type AnalyzeSettings, type AnalyzeTask } from './analyze-file.js';

export interface WorkerJob {
  id: number;
  tasks: AnalyzeTask[];
  settings: AnalyzeSettings;
}

const port = parentPort;
if (port) {
  port.on('message', (job: WorkerJob) => {
    const results = job.tasks.map((task) => analyzeFile(task, job.settings));
    port.postMessage({ id: job.id, results });
  });
}
