// Counts the records of a zip's central directory by reading the bytes directly.
// jszip keys entries by name, so a repeated name silently replaces the earlier entry;
// comparing this count with jszip's entries is how repeated names are caught. Read
// before jszip parses anything, it is also a cheap first cap on the entry count.
import { RuntimeError } from "../../sandbox/errors.ts";

const EOCD_SIGNATURE = 0x06054b50;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_EOCD_SIGNATURE = 0x06064b50;
const CENTRAL_HEADER_SIGNATURE = 0x02014b50;
const EOCD_MIN_BYTES = 22;
const MAX_COMMENT_BYTES = 0xffff;

export interface CentralDirectoryInfo {
  /** Records actually present in the central directory (walked, not the header's claim). */
  records: number;
  /** The count the end-of-central-directory record claims. */
  declaredRecords: number;
}

function invalid(message: string): RuntimeError {
  return new RuntimeError("InvalidPackage", `not a readable zip archive: ${message}`);
}

function findEndOfCentralDirectory(view: DataView): number {
  const lowest = Math.max(0, view.byteLength - EOCD_MIN_BYTES - MAX_COMMENT_BYTES);
  for (let offset = view.byteLength - EOCD_MIN_BYTES; offset >= lowest; offset--) {
    if (view.getUint32(offset, true) === EOCD_SIGNATURE) return offset;
  }
  throw invalid("no end of central directory record");
}

function readBigOffset(view: DataView, offset: number): number {
  const value = view.getBigUint64(offset, true);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw invalid("zip64 field out of range");
  return Number(value);
}

/**
 * Walks the central directory the way jszip does (from the offset the end record
 * names, while the record signature matches) and counts the records.
 * Zips with bytes prepended to them (self-extractors) are refused: offsets would
 * have to be guessed, and a package has no reason to be one.
 */
export function readCentralDirectoryInfo(bytes: Uint8Array, maxRecords: number): CentralDirectoryInfo {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.byteLength < EOCD_MIN_BYTES) throw invalid("too short");
  const eocd = findEndOfCentralDirectory(view);
  let declaredRecords = view.getUint16(eocd + 10, true);
  let directorySize = view.getUint32(eocd + 12, true);
  let directoryOffset = view.getUint32(eocd + 16, true);
  let expectedEnd = directoryOffset + directorySize;

  const isZip64 = declaredRecords === 0xffff || directorySize === 0xffffffff || directoryOffset === 0xffffffff;
  if (isZip64) {
    const locator = eocd - 20;
    if (locator < 0 || view.getUint32(locator, true) !== ZIP64_LOCATOR_SIGNATURE) throw invalid("zip64 locator missing");
    const zip64Eocd = readBigOffset(view, locator + 8);
    if (zip64Eocd + 56 > view.byteLength || view.getUint32(zip64Eocd, true) !== ZIP64_EOCD_SIGNATURE) {
      throw invalid("zip64 end record missing");
    }
    const zip64RecordSize = readBigOffset(view, zip64Eocd + 4);
    declaredRecords = readBigOffset(view, zip64Eocd + 32);
    directorySize = readBigOffset(view, zip64Eocd + 40);
    directoryOffset = readBigOffset(view, zip64Eocd + 48);
    expectedEnd = directoryOffset + directorySize + 20 + 12 + zip64RecordSize;
  }
  if (expectedEnd !== eocd) throw invalid("central directory is not where the end record says (prepended or missing bytes)");
  if (declaredRecords > maxRecords) {
    throw new RuntimeError("InvalidPackage", `zip has ${declaredRecords} entries; at most ${maxRecords} are allowed`);
  }

  let records = 0;
  let offset = directoryOffset;
  while (offset + 46 <= view.byteLength && view.getUint32(offset, true) === CENTRAL_HEADER_SIGNATURE) {
    records++;
    if (records > maxRecords) {
      throw new RuntimeError("InvalidPackage", `zip has more than ${maxRecords} entries`);
    }
    const nameLength = view.getUint16(offset + 28, true);
    const extraLength = view.getUint16(offset + 30, true);
    const commentLength = view.getUint16(offset + 32, true);
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return { records, declaredRecords };
}
