/**
 * Worker thread: analyses batches of files and posts back their facts
 * (compact records, never the AST) as one JSON string per batch: a string
 * crosses threads as one copy, and JSON.parse on the calling thread cost
 * less of its time than deserialising the structured clone of the records.
 */
import { parentPort } from 'node:worker_threads';
import { analyzeFile, type AnalyzeSettings, type AnalyzeTask } from './analyze-file.js';

export interface WorkerJob {
  id: number;
  tasks: AnalyzeTask[];
  settings: AnalyzeSettings;
}

export interface WorkerReply {
  id: number;
  /** JSON of the batch's FileOutcome[], in task order. */
  results: string;
}

const port = parentPort;
if (port) {
  port.on('message', (job: WorkerJob) => {
    const results = job.tasks.map((task) => analyzeFile(task, job.settings));
    const reply: WorkerReply = { id: job.id, results: JSON.stringify(results) };
    port.postMessage(reply);
  });
}
