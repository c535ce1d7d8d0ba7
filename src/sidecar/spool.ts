import { open, mkdir, readdir, readFile, rename, stat, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../logger.js';
import { isSignalName, type SignalName } from '../otlp/index.js';

/**
 * Spool files are sequences of records: [payload length u32 BE][item count
 * u32 BE][payload]. Each payload is a whole protobuf export request;
 * concatenating any of them is again a valid request (repeated fields
 * append), which is how batches are formed. A record cut short by a crash
 * is ignored on reading, so appending to a file in place is safe.
 */
const RECORD_HEADER_BYTES = 8;
const SUFFIX = '.otlp';

export interface SpoolEntry {
  readonly file: string;
  readonly signal: SignalName;
  bytes: number;
}

export interface SpoolRecords {
  readonly payloads: Buffer[];
  readonly items: number;
}

function header(payloadLength: number, items: number): Buffer {
  const h = Buffer.allocUnsafe(RECORD_HEADER_BYTES);
  h.writeUInt32BE(payloadLength, 0);
  h.writeUInt32BE(items, 4);
  return h;
}

/** A spool file appended to record by record with group commit (durable mode). */
export class SpoolSegment {
  private pending: { buffers: Buffer[]; resolve: () => void; reject: (e: unknown) => void }[] = [];
  private flushing: Promise<void> | null = null;
  private position = 0;
  private closed = false;

  constructor(
    readonly entry: SpoolEntry,
    private readonly handle: FileHandle,
    private readonly spool: Spool,
  ) {}

  /** Resolves once the record is on disk (fdatasync'd). Appends arriving together share one write and one sync. */
  append(payload: Buffer, items: number): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`spool segment ${this.entry.file} is already closed`));
    return new Promise((resolve, reject) => {
      this.pending.push({ buffers: [header(payload.length, items), payload], resolve, reject });
      if (!this.flushing) this.flushing = this.flushLoop();
    });
  }

  private async flushLoop(): Promise<void> {
    // Let the appends of the current tick join the group.
    await new Promise<void>((r) => setImmediate(r));
    while (this.pending.length > 0) {
      const group = this.pending;
      this.pending = [];
      const buffers = group.flatMap((p) => p.buffers);
      const length = buffers.reduce((n, b) => n + b.length, 0);
      try {
        await this.handle.writev(buffers, this.position);
        await this.handle.datasync();
        this.position += length;
        this.entry.bytes += length;
        this.spool.added(length);
        for (const p of group) p.resolve();
      } catch (error) {
        for (const p of group) p.reject(error);
      }
    }
    this.flushing = null;
  }

  /** Waits for outstanding appends, then closes the file; the entry becomes an ordinary spool file. */
  async close(): Promise<SpoolEntry> {
    if (!this.closed) {
      this.closed = true;
      while (this.flushing) await this.flushing;
      await this.handle.close();
    }
    return this.entry;
  }
}

/**
 * The disk spool: batches that could not stay in memory or could not be
 * sent, and (durable mode) everything accepted. Bounded by maxBytes; files
 * are read oldest first.
 */
export class Spool {
  private entries = new Map<string, SpoolEntry>();
  private totalBytes = 0;
  private reservedBytes = 0;
  private sequence = 0;

  private constructor(
    readonly dir: string,
    readonly maxBytes: number,
    private readonly log: Logger,
    private readonly durable: boolean,
  ) {}

  static async open(dir: string, maxBytes: number, log: Logger, durable: boolean): Promise<Spool> {
    await mkdir(dir, { recursive: true, mode: 0o750 });
    const spool = new Spool(dir, maxBytes, log, durable);
    const names = (await readdir(dir)).sort();
    for (const name of names) {
      const full = path.join(dir, name);
      if (name.endsWith('.tmp')) {
        // A spill interrupted by a crash: its batch was still in memory and never acknowledged as spooled.
        await unlink(full).catch(() => {});
        continue;
      }
      const m = /^\d+-\d+-(\w+)\.otlp$/.exec(name);
      if (!m || !isSignalName(m[1]!)) continue;
      const size = (await stat(full)).size;
      spool.entries.set(full, { file: full, signal: m[1], bytes: size });
      spool.totalBytes += size;
    }
    if (spool.entries.size > 0) log.info({ files: spool.entries.size, bytes: spool.totalBytes }, 'spool holds data from an earlier run; sending it');
    return spool;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  hasRoom(bytes: number): boolean {
    return this.totalBytes + this.reservedBytes + bytes <= this.maxBytes;
  }

  /** Reserves room for a durable append (released by `added` or `release`). */
  reserve(bytes: number): boolean {
    if (!this.hasRoom(bytes + RECORD_HEADER_BYTES)) return false;
    this.reservedBytes += bytes + RECORD_HEADER_BYTES;
    return true;
  }

  release(bytes: number): void {
    this.reservedBytes = Math.max(0, this.reservedBytes - bytes - RECORD_HEADER_BYTES);
  }

  /** @internal bookkeeping from segments */
  added(bytes: number): void {
    this.totalBytes += bytes;
    this.reservedBytes = Math.max(0, this.reservedBytes - bytes);
  }

  private nextName(signal: SignalName): string {
    this.sequence = (this.sequence + 1) % 1_000_000;
    return path.join(this.dir, `${String(Date.now()).padStart(15, '0')}-${String(this.sequence).padStart(6, '0')}-${signal}${SUFFIX}`);
  }

  /** Writes a whole batch as a new file (temp name, then rename). Returns null when it does not fit. */
  async writeBatch(signal: SignalName, records: readonly { payload: Buffer; items: number }[]): Promise<SpoolEntry | null> {
    const size = records.reduce((n, r) => n + RECORD_HEADER_BYTES + r.payload.length, 0);
    if (!this.hasRoom(size)) return null;
    this.reservedBytes += size;
    const file = this.nextName(signal);
    try {
      const buffers = records.flatMap((r) => [header(r.payload.length, r.items), r.payload]);
      if (this.durable) {
        const handle = await open(`${file}.tmp`, 'w', 0o640);
        try {
          await handle.writev(buffers);
          await handle.datasync();
        } finally {
          await handle.close();
        }
      } else {
        await writeFile(`${file}.tmp`, buffers, { mode: 0o640 });
      }
      await rename(`${file}.tmp`, file);
    } finally {
      this.reservedBytes -= size;
    }
    const entry: SpoolEntry = { file, signal, bytes: size };
    this.entries.set(file, entry);
    this.totalBytes += size;
    return entry;
  }

  /** Starts a file to append to (durable mode); it is listed only once the segment is closed. */
  async openSegment(signal: SignalName): Promise<SpoolSegment> {
    const file = this.nextName(signal);
    const handle = await open(file, 'wx', 0o640);
    return new SpoolSegment({ file, signal, bytes: 0 }, handle, this);
  }

  /** Makes a closed segment visible to the sender. */
  adopt(entry: SpoolEntry): void {
    this.entries.set(entry.file, entry);
  }

  /** Oldest first. */
  list(): SpoolEntry[] {
    return [...this.entries.values()];
  }

  async read(entry: SpoolEntry): Promise<SpoolRecords> {
    const data = await readFile(entry.file);
    const payloads: Buffer[] = [];
    let items = 0;
    let pos = 0;
    while (pos + RECORD_HEADER_BYTES <= data.length) {
      const length = data.readUInt32BE(pos);
      const n = data.readUInt32BE(pos + 4);
      if (pos + RECORD_HEADER_BYTES + length > data.length) {
        this.log.warn({ file: entry.file }, 'spool file ends in a partial record (written during a crash, never acknowledged); ignoring the tail');
        break;
      }
      payloads.push(data.subarray(pos + RECORD_HEADER_BYTES, pos + RECORD_HEADER_BYTES + length));
      items += n;
      pos += RECORD_HEADER_BYTES + length;
    }
    return { payloads, items };
  }

  async remove(entry: SpoolEntry): Promise<void> {
    // Removing a file not (yet) listed, e.g. an open durable segment, still frees its bytes.
    this.entries.delete(entry.file);
    this.totalBytes -= entry.bytes;
    await unlink(entry.file).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') this.log.error({ err: error, file: entry.file }, 'cannot remove a sent spool file; it may be sent again after a restart');
    });
  }
}
