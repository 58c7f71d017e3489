/**
 * One blob of typed arrays behind a JSON header (the boot snapshot, the vector matrix): a 4-byte
 * header length, the header, then each section padded to 8 bytes so it can be viewed in place.
 */

const pad = (n: number) => Math.ceil(n / 8) * 8;

export function pack(header: unknown, sections: readonly ArrayBufferView[]): Uint8Array {
  const head = new TextEncoder().encode(JSON.stringify(header));
  let size = 8 + pad(head.length);
  for (const s of sections) size += pad(s.byteLength);
  const out = new Uint8Array(size);
  new DataView(out.buffer).setUint32(0, head.length, true);
  out.set(head, 8);
  let at = 8 + pad(head.length);
  for (const s of sections) {
    out.set(new Uint8Array(s.buffer, s.byteOffset, s.byteLength), at);
    at += pad(s.byteLength);
  }
  return out;
}

/** reads the sections back in the order they were packed, as views of the blob's bytes */
export interface Unpacked<H> {
  header: H;
  f32(n: number): Float32Array<ArrayBuffer>;
  f64(n: number): Float64Array<ArrayBuffer>;
  i32(n: number): Int32Array<ArrayBuffer>;
  i8(n: number): Int8Array<ArrayBuffer>;
}

/** undefined when the bytes hold no header */
export function unpack<H>(raw: Uint8Array): Unpacked<H> | undefined {
  if (raw.byteLength < 8) return undefined;
  // viewed in place where the store's buffer allows it (a large blob has its own, aligned), else copied
  const bytes = raw.byteOffset % 8 === 0 && raw.buffer instanceof ArrayBuffer ? raw : new Uint8Array(raw);
  const headLen = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true);
  if (8 + headLen > bytes.byteLength) return undefined;
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headLen))) as H;
  let at = 8 + pad(headLen);
  const take = <T>(make: (b: ArrayBuffer, o: number, n: number) => T, n: number, width: number): T => {
    if (at + n * width > bytes.byteLength) throw new Error('packed blob shorter than its header says');
    const v = make(bytes.buffer as ArrayBuffer, bytes.byteOffset + at, n);
    at += pad(n * width);
    return v;
  };
  return {
    header,
    f32: (n) => take((b, o, k) => new Float32Array(b, o, k), n, 4),
    f64: (n) => take((b, o, k) => new Float64Array(b, o, k), n, 8),
    i32: (n) => take((b, o, k) => new Int32Array(b, o, k), n, 4),
    i8: (n) => take((b, o, k) => new Int8Array(b, o, k), n, 1),
  };
}
