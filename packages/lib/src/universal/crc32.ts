// CRC-32 (IEEE 802.3, the polynomial zlib uses), written without Node APIs so it runs in a browser.

// The table and the running value are kept as signed 32-bit integers, which the engine holds as
// small integers; unsigned values above 2^31 would be boxed numbers on every step.
const TABLE = (() => {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return table;
})();

/** CRC-32 of a string's UTF-16 code units taken as bytes; callers pass ASCII only. `start`/`end` pick a part. */
export function crc32(ascii: string, start = 0, end = ascii.length): number {
  let crc = -1;
  for (let i = start; i < end; i++) {
    crc = TABLE[(crc ^ ascii.charCodeAt(i)) & 0xff]! ^ (crc >>> 8);
  }
  return ~crc >>> 0;
}
