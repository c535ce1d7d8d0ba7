import type { Logger } from '../logger.js';
import type { SignalName } from '../otlp/index.js';
import type { DropReason, SidecarMetrics } from './metrics.js';
import type { Spool, SpoolEntry, SpoolSegment } from './spool.js';
import { bodyLength, type ExportResult, type UpstreamBody, type UpstreamTransport } from './upstream/export-result.js';
import { sleep } from './upstream/retrying-transport.js';

const DROP_LOG_INTERVAL_MILLIS = 10_000;

export interface PipelineOptions {
  readonly maxQueueBytes: number;
  readonly maxBatchItems: number;
  readonly maxBatchBytes: number;
  readonly batchTimeoutMillis: number;
  readonly upstreamConcurrency: number;
  readonly upstreamTimeoutMillis: number;
  /** Pause before the spool is tried again after the upstream failed. */
  readonly spoolRetryMillis: number;
  readonly durable: boolean;
}

interface Batch {
  readonly signal: SignalName;
  /**
   * The batch's requests held in memory, in order, as parts of one upstream body (empty for a batch read
   * back from the spool): a request of OWN_PART_BYTES or more as the buffer it arrived in, smaller ones
   * copied one after another into the batch's arena, one part per run.
   */
  payloads: Buffer[];
  /** Where small requests are copied: the batch keeps no object per request, so none outlives a young-generation GC. */
  arena: Buffer | null;
  arenaUsed: number;
  /** Every arena this batch took from the pool, given back when the batch leaves memory. */
  arenas: Buffer[];
  /** Index in payloads of the part that ends at arenaUsed (-1: none; a large request came after it). */
  arenaPart: number;
  items: number;
  memoryBytes: number;
  /** Files on disk holding this batch's data. */
  spoolEntries: SpoolEntry[];
  segment: SpoolSegment | null;
  timer: NodeJS.Timeout | null;
}

export type AcceptResult = 'accepted' | 'full';

/**
 * Accepted data → per-signal open batch → sealed batches in memory → upstream.
 * Memory is bounded by maxQueueBytes: over it, sealed batches spill to the
 * spool; when neither has room, accept() answers 'full' (the receiver says
 * 503). A batch leaves memory only when the upstream took it, it is on disk,
 * or it is counted as dropped.
 */
export class Pipeline {
  private readonly open = new Map<SignalName, Batch>();
  private readonly ready: Batch[] = [];
  private readonly inflight = new Set<Batch>();
  private readonly claimed = new Set<string>();
  private queueBytesValue = 0;
  private spilling: Promise<void> | null = null;
  private spoolRetryAt = 0;
  private spoolTimer: NodeJS.Timeout | null = null;
  private draining = false;
  private readonly abort = new AbortController();
  private idleWaiters: (() => void)[] = [];
  /** Drops are counted always, logged once per interval as totals, so an outage does not flood the log. */
  private droppedSinceLog = new Map<string, number>();
  private dropLogTimer: NodeJS.Timeout | null = null;
  upstreamHealthy = true;

  constructor(
    private readonly options: PipelineOptions,
    private readonly transports: ReadonlyMap<SignalName, UpstreamTransport>,
    private readonly spool: Spool | null,
    private readonly metrics: SidecarMetrics,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** Starts sending what the spool holds from an earlier run. */
  start(): void {
    this.pump();
  }

  get queueBytes(): number {
    return this.queueBytesValue;
  }

  /**
   * Queues a validated request at once when nothing needs waiting for: memory has room and acceptance
   * is not durable. False means the caller must use accept(), which may spill, spool or refuse.
   */
  acceptNow(signal: SignalName, payload: Buffer, items: number): boolean {
    if (this.draining || this.options.durable || this.queueBytesValue + payload.length > this.options.maxQueueBytes) return false;
    this.add(this.open.get(signal) ?? this.newBatch(signal, null), payload, items);
    return true;
  }

  /** Takes one validated protobuf export request. Resolves once it is queued (durable: once it is on disk). */
  async accept(signal: SignalName, payload: Buffer, items: number): Promise<AcceptResult> {
    if (this.draining) return 'full';
    if (this.queueBytesValue + payload.length > this.options.maxQueueBytes) {
      await this.makeRoom(payload.length);
      if (this.queueBytesValue + payload.length > this.options.maxQueueBytes) {
        // Memory can stay full after spilling: batches being retried against a failing upstream
        // are in flight, not spillable. The spool still has room for this request on its own.
        if (!this.options.durable && (await this.spoolOne(signal, payload, items))) return 'accepted';
        return 'full';
      }
    }
    if (this.options.durable) {
      if (!this.spool!.reserve(payload.length)) return 'full';
      let batch = this.open.get(signal);
      while (!batch) {
        await this.openBatch(signal);
        // Re-read after the await: the new batch may already have been filled and sealed by others.
        batch = this.open.get(signal);
      }
      // From here on nothing awaits until the append is queued. Queue it before add(): add() may
      // seal the batch and start sending it, and the segment must not close before this record is in.
      const written = batch.segment!.append(payload, items);
      this.add(batch, payload, items);
      try {
        await written;
      } catch (error) {
        this.log.error({ err: error }, 'cannot write to the spool in durable mode');
        this.spool!.release(payload.length);
        throw error;
      }
      return 'accepted';
    }
    const batch = this.open.get(signal) ?? this.newBatch(signal, null);
    this.add(batch, payload, items);
    return 'accepted';
  }

  /** Writes one request straight to the spool, to be sent from there. False when the spool has no room. */
  private async spoolOne(signal: SignalName, payload: Buffer, items: number): Promise<boolean> {
    if (!this.spool) return false;
    const entry = await this.spool.writeBatch(signal, [{ payload, items }]).catch((error: unknown) => {
      this.log.error({ err: error }, 'cannot write to the spool');
      return null;
    });
    if (!entry) return false;
    this.pump();
    return true;
  }

  private pendingOpen = new Map<SignalName, Promise<Batch>>();

  private async openBatch(signal: SignalName): Promise<Batch> {
    const existing = this.open.get(signal);
    if (existing) return existing;
    let pending = this.pendingOpen.get(signal);
    if (!pending) {
      pending = this.spool!.openSegment(signal).then((segment) => {
        this.pendingOpen.delete(signal);
        return this.newBatch(signal, segment);
      });
      this.pendingOpen.set(signal, pending);
    }
    return pending;
  }

  private newBatch(signal: SignalName, segment: SpoolSegment | null): Batch {
    const batch: Batch = { signal, payloads: [], arena: null, arenaUsed: 0, arenas: [], arenaPart: -1, items: 0, memoryBytes: 0, spoolEntries: [], segment, timer: null };
    this.open.set(signal, batch);
    batch.timer = setTimeout(() => this.seal(batch), this.options.batchTimeoutMillis);
    batch.timer.unref();
    return batch;
  }

  private add(batch: Batch, payload: Buffer, items: number): void {
    if (payload.length >= OWN_PART_BYTES) {
      batch.payloads.push(payload);
      batch.arenaPart = -1;
    } else {
      appendToArena(batch, payload);
    }
    batch.items += items;
    batch.memoryBytes += payload.length;
    this.queueBytesValue += payload.length;
    if (batch.items >= this.options.maxBatchItems || batch.memoryBytes >= this.options.maxBatchBytes) this.seal(batch);
  }

  private seal(batch: Batch): void {
    if (this.open.get(batch.signal) !== batch) return;
    this.open.delete(batch.signal);
    if (batch.timer) clearTimeout(batch.timer);
    batch.timer = null;
    this.ready.push(batch);
    this.pump();
  }

  /** Frees memory by moving sealed batches to disk (or, durable, by forgetting copies already there). */
  private makeRoom(needed: number): Promise<void> {
    if (!this.spool) return Promise.resolve();
    for (const batch of [...this.open.values()]) if (batch.memoryBytes > 0) this.seal(batch);
    this.spilling ??= this.spill(needed).finally(() => {
      this.spilling = null;
    });
    return this.spilling;
  }

  private async spill(needed: number): Promise<void> {
    while (this.queueBytesValue + needed > this.options.maxQueueBytes) {
      const batch = this.ready.shift();
      if (!batch) return;
      const moved = await this.toSpool(batch);
      if (!moved) {
        this.ready.unshift(batch);
        return;
      }
      this.log.debug({ signal: batch.signal, items: batch.items }, 'memory queue full; batch spilled to the spool');
    }
  }

  /** Puts a batch's data on disk (if not there already) and releases its memory. False when the spool is full. */
  private async toSpool(batch: Batch): Promise<boolean> {
    if (!this.spool) return false;
    if (batch.segment) {
      batch.spoolEntries.push(await batch.segment.close());
      batch.segment = null;
    }
    if (batch.spoolEntries.length === 0 && batch.payloads.length > 0) {
      const entry = await this.spool.writeBatch(
        batch.signal,
        batch.payloads.map((payload, i) => ({ payload, items: i === 0 ? batch.items : 0 })),
      );
      if (!entry) return false;
      batch.spoolEntries.push(entry);
    }
    for (const entry of batch.spoolEntries) {
      this.spool.adopt(entry);
      this.claimed.delete(entry.file);
    }
    this.release(batch);
    return true;
  }

  private release(batch: Batch): void {
    this.queueBytesValue -= batch.memoryBytes;
    batch.memoryBytes = 0;
    batch.payloads = [];
    batch.arena = null;
    batch.arenaPart = -1;
    // Sent, on disk or dropped: nothing reads the batch's arenas any more.
    for (const arena of batch.arenas) if (arenaPool.length < MAX_POOLED_ARENAS) arenaPool.push(arena);
    batch.arenas = [];
  }

  private pump(): void {
    while (this.inflight.size < this.options.upstreamConcurrency) {
      const batch = this.ready.shift() ?? this.nextSpoolBatch();
      if (!batch) break;
      this.inflight.add(batch);
      void this.deliver(batch)
        .catch((error: unknown) => this.log.error({ err: error, signal: batch.signal }, 'delivering a batch failed unexpectedly'))
        .finally(() => {
          this.inflight.delete(batch);
          this.pump();
          this.checkIdle();
        });
    }
  }

  /** Groups unsent spool files of one signal into a batch, when the upstream is not known to be failing. */
  private nextSpoolBatch(): Batch | null {
    if (!this.spool || this.draining) return null;
    const wait = this.spoolRetryAt - this.now();
    if (wait > 0) {
      if (!this.spoolTimer) {
        this.spoolTimer = setTimeout(() => {
          this.spoolTimer = null;
          this.pump();
        }, wait);
        this.spoolTimer.unref();
      }
      return null;
    }
    let signal: SignalName | null = null;
    const entries: SpoolEntry[] = [];
    let bytes = 0;
    for (const entry of this.spool.list()) {
      if (this.claimed.has(entry.file)) continue;
      if (signal === null) signal = entry.signal;
      if (entry.signal !== signal) continue;
      if (entries.length > 0 && bytes + entry.bytes > this.options.maxBatchBytes) break;
      entries.push(entry);
      bytes += entry.bytes;
    }
    if (signal === null) return null;
    for (const e of entries) this.claimed.add(e.file);
    return { signal, payloads: [], arena: null, arenaUsed: 0, arenas: [], arenaPart: -1, items: 0, memoryBytes: 0, spoolEntries: entries, segment: null, timer: null };
  }

  private async deliver(batch: Batch): Promise<void> {
    if (batch.segment) {
      batch.spoolEntries.push(await batch.segment.close());
      batch.segment = null;
    }
    let payloads = batch.payloads;
    let items = batch.items;
    let fromSpool = false;
    if (payloads.length === 0) {
      fromSpool = true;
      payloads = [];
      items = 0;
      for (const entry of batch.spoolEntries) {
        const records = await this.spool!.read(entry);
        payloads.push(...records.payloads);
        items += records.items;
      }
    }
    const transport = this.transports.get(batch.signal)!;
    // Concatenated export requests decode as one request holding all their resources.
    // In memory the small requests are already joined in the arena; read back from the spool they are one record each.
    const body = payloads.length === 1 ? payloads[0]! : fromSpool ? joinSmallParts(payloads) : payloads;
    const result: ExportResult = bodyLength(body) === 0 ? { status: 'success', rejectedItems: 0 } : await transport.send(body, this.options.upstreamTimeoutMillis, this.abort.signal);
    if (result.status === 'success') {
      if (!this.upstreamHealthy) this.log.info({ signal: batch.signal }, 'upstream answers again');
      this.upstreamHealthy = true;
      const rejected = Math.min(items, result.rejectedItems);
      this.metrics.itemsForwarded.inc([batch.signal], items - rejected);
      if (rejected > 0) {
        this.metrics.dropped(batch.signal, 'partial_success', rejected);
        this.log.warn({ signal: batch.signal, rejected, message: result.message }, 'upstream rejected part of a batch');
      }
      await this.forget(batch);
      return;
    }
    if (result.status === 'failure') {
      this.drop(batch.signal, 'upstream_rejected', items, result.reason);
      await this.forget(batch);
      return;
    }
    if (this.upstreamHealthy) this.log.warn({ signal: batch.signal, reason: result.reason, spool: this.spool !== null }, 'upstream unavailable; keeping data until it answers');
    this.upstreamHealthy = false;
    this.spoolRetryAt = this.now() + this.options.spoolRetryMillis;
    if (batch.payloads.length === 0 && batch.spoolEntries.length > 0) {
      // Read back from the spool: it stays there for a later attempt.
      for (const entry of batch.spoolEntries) this.claimed.delete(entry.file);
      return;
    }
    if (await this.toSpool(batch).catch(() => false)) {
      this.log.debug({ signal: batch.signal, items, reason: result.reason }, 'batch moved to the spool');
      return;
    }
    if (!this.draining) {
      // Nowhere else to keep it: it stays in memory, where it is already counted, and is tried again
      // after a pause. A full queue then answers clients 503 instead of losing accepted data.
      await sleep(this.options.spoolRetryMillis, this.abort.signal);
      if (!this.draining) {
        this.ready.unshift(batch);
        return;
      }
    }
    this.drop(batch.signal, 'shutdown', items, result.reason);
    this.release(batch);
  }

  private drop(signal: SignalName, reason: DropReason, items: number, detail: string): void {
    this.metrics.dropped(signal, reason, items);
    const key = `${signal}/${reason}`;
    if (!this.dropLogTimer) {
      // The first drop is logged at once; later ones are summed into one line per interval.
      this.log.error({ signal, reason, items, detail }, 'items dropped');
      this.dropLogTimer = setTimeout(() => this.flushDropLog(), DROP_LOG_INTERVAL_MILLIS);
      this.dropLogTimer.unref();
      return;
    }
    this.droppedSinceLog.set(key, (this.droppedSinceLog.get(key) ?? 0) + items);
  }

  private flushDropLog(): void {
    this.dropLogTimer = null;
    if (this.droppedSinceLog.size === 0) return;
    this.log.error({ dropped: Object.fromEntries(this.droppedSinceLog), intervalSeconds: DROP_LOG_INTERVAL_MILLIS / 1000 }, 'items dropped (totals by signal/reason)');
    this.droppedSinceLog.clear();
    this.dropLogTimer = setTimeout(() => this.flushDropLog(), DROP_LOG_INTERVAL_MILLIS);
    this.dropLogTimer.unref();
  }

  private async forget(batch: Batch): Promise<void> {
    this.release(batch);
    for (const entry of batch.spoolEntries) {
      this.claimed.delete(entry.file);
      await this.spool!.remove(entry);
    }
  }

  private checkIdle(): void {
    if (this.ready.length === 0 && this.inflight.size === 0 && this.open.size === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  /**
   * Stops taking data, sends what memory holds for up to `timeoutMillis`,
   * then puts the rest in the spool (or counts it dropped for 'shutdown').
   */
  async shutdown(timeoutMillis: number): Promise<void> {
    this.draining = true;
    if (this.spoolTimer) clearTimeout(this.spoolTimer);
    for (const signal of [...this.pendingOpen.keys()]) await this.pendingOpen.get(signal);
    for (const batch of [...this.open.values()]) this.seal(batch);
    const idle = new Promise<void>((resolve) => {
      this.idleWaiters.push(resolve);
      this.checkIdle();
    });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      // Deliberately not unref'ed: with the listeners closed, this timer is what keeps the process alive to drain.
      timer = setTimeout(() => resolve('timeout'), timeoutMillis);
    });
    const outcome = await Promise.race([idle, timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      // In-flight sends end at once and keep their batches (spool) or count them.
      this.abort.abort();
      while (this.inflight.size > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
      for (const batch of this.ready.splice(0)) {
        if (!(await this.toSpool(batch).catch(() => false))) {
          this.drop(batch.signal, 'shutdown', batch.items, 'shutdown timeout');
          this.release(batch);
        }
      }
      this.log.warn({ spoolBytes: this.spool?.bytes ?? 0 }, 'shutdown timeout reached; the rest stays in the spool');
    }
    if (this.dropLogTimer) clearTimeout(this.dropLogTimer);
    this.flushDropLog();
    if (this.dropLogTimer) clearTimeout(this.dropLogTimer);
  }
}

/** Parts at least this long go upstream as they are; shorter ones are joined into pieces of up to JOINED_PART_BYTES. */
const OWN_PART_BYTES = 8 * 1024;
const JOINED_PART_BYTES = 64 * 1024;

/**
 * Arenas of batches that have left memory, for the next batches: an arena often lives long enough to be
 * promoted to V8's old generation, and one freed there counts its 64 KiB towards the old generation's
 * limit; reused, it is not freed at all. At most MAX_POOLED_ARENAS (8 MiB) wait here.
 */
const arenaPool: Buffer[] = [];
const MAX_POOLED_ARENAS = 128;

/**
 * Copies a small request into the batch's arena (a new one of JOINED_PART_BYTES when it is full), extending
 * the part that ends where it goes. A batch of one-span requests then holds a few 64 KiB buffers, not
 * thousands of objects that would live through several young-generation GCs and be promoted: with the
 * sidecar's small young generation (thread.ts) those promotions filled the old generation and brought back
 * the full mark-compacts the small young generation is there to avoid (~8 a second with 10-span requests).
 */
function appendToArena(batch: Batch, payload: Buffer): void {
  let arena = batch.arena;
  if (arena === null || arena.length - batch.arenaUsed < payload.length) {
    arena = arenaPool.pop() ?? Buffer.allocUnsafeSlow(JOINED_PART_BYTES);
    batch.arenas.push(arena);
    batch.arena = arena;
    batch.arenaUsed = 0;
    batch.arenaPart = -1;
  }
  const start = batch.arenaUsed;
  payload.copy(arena, start);
  batch.arenaUsed = start + payload.length;
  if (batch.arenaPart === -1) {
    batch.payloads.push(arena.subarray(start, batch.arenaUsed));
    batch.arenaPart = batch.payloads.length - 1;
  } else {
    const part = batch.payloads[batch.arenaPart]!;
    batch.payloads[batch.arenaPart] = arena.subarray(part.byteOffset - arena.byteOffset, batch.arenaUsed);
  }
}

/**
 * A batch's requests as the parts of one upstream body: large ones as they
 * are (no copy), runs of small ones joined, so that a batch of 8,192 one-span
 * requests is not written 8,192 times.
 */
export function joinSmallParts(payloads: readonly Buffer[]): UpstreamBody {
  const parts: Uint8Array[] = [];
  let run: Buffer[] = [];
  let runBytes = 0;
  const flush = () => {
    if (run.length === 0) return;
    parts.push(run.length === 1 ? run[0]! : Buffer.concat(run, runBytes));
    run = [];
    runBytes = 0;
  };
  for (const payload of payloads) {
    if (payload.length >= OWN_PART_BYTES) {
      flush();
      parts.push(payload);
      continue;
    }
    if (runBytes + payload.length > JOINED_PART_BYTES) flush();
    run.push(payload);
    runBytes += payload.length;
  }
  flush();
  return parts.length === 1 ? parts[0]! : parts;
}
