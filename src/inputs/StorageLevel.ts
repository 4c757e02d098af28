/**
 * Spark's storage levels, accepted where Spark's API takes one (the book's
 * `StorageLevel.MEMORY_AND_DISK_2`). dstreams keeps received blocks in memory in one process;
 * what makes them survive a crash is the receiver write-ahead log (the context's
 * `receiverWriteAheadLog`), as Spark recommends with the WAL on. So a level is checked and
 * recorded, and changes nothing else.
 */
export class StorageLevel {
  private constructor(
    readonly useDisk: boolean,
    readonly useMemory: boolean,
    readonly useOffHeap: boolean,
    readonly deserialized: boolean,
    readonly replication: number,
    readonly name: string,
  ) {}

  toString(): string {
    return `StorageLevel.${this.name}`;
  }

  static readonly NONE = new StorageLevel(false, false, false, false, 1, 'NONE');
  static readonly DISK_ONLY = new StorageLevel(true, false, false, false, 1, 'DISK_ONLY');
  static readonly DISK_ONLY_2 = new StorageLevel(true, false, false, false, 2, 'DISK_ONLY_2');
  static readonly DISK_ONLY_3 = new StorageLevel(true, false, false, false, 3, 'DISK_ONLY_3');
  static readonly MEMORY_ONLY = new StorageLevel(false, true, false, false, 1, 'MEMORY_ONLY');
  static readonly MEMORY_ONLY_2 = new StorageLevel(false, true, false, false, 2, 'MEMORY_ONLY_2');
  static readonly MEMORY_AND_DISK = new StorageLevel(true, true, false, false, 1, 'MEMORY_AND_DISK');
  static readonly MEMORY_AND_DISK_2 = new StorageLevel(true, true, false, false, 2, 'MEMORY_AND_DISK_2');
  static readonly OFF_HEAP = new StorageLevel(true, true, true, false, 1, 'OFF_HEAP');
  /** Scala's names (PySpark's are the same without _SER: it always serialises). */
  static readonly MEMORY_ONLY_SER = new StorageLevel(false, true, false, false, 1, 'MEMORY_ONLY_SER');
  static readonly MEMORY_ONLY_SER_2 = new StorageLevel(false, true, false, false, 2, 'MEMORY_ONLY_SER_2');
  static readonly MEMORY_AND_DISK_SER = new StorageLevel(true, true, false, false, 1, 'MEMORY_AND_DISK_SER');
  static readonly MEMORY_AND_DISK_SER_2 = new StorageLevel(true, true, false, false, 2, 'MEMORY_AND_DISK_SER_2');
}
