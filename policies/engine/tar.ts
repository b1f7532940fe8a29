import { gunzipSync } from 'node:zlib';

/** Read one file out of a .tar.gz (ustar, as `opa build` writes). Undefined when absent. */
export function readTarGzEntry(archive: Buffer, name: string): Buffer | undefined {
  const tar = gunzipSync(archive);
  const wanted = name.replace(/^\/+/, '');
  let offset = 0;
  while (offset + 512 <= tar.length) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) return undefined;
    const field = (start: number, len: number): string =>
      header
        .subarray(start, start + len)
        .toString('utf8')
        .replace(/\0.*$/s, '');
    const prefix = field(345, 155);
    const entry = (prefix ? `${prefix}/` : '') + field(0, 100);
    const size = Number.parseInt(field(124, 12).trim() || '0', 8);
    const body = offset + 512;
    if (entry.replace(/^\/+/, '') === wanted) return Buffer.from(tar.subarray(body, body + size));
    offset = body + Math.ceil(size / 512) * 512;
  }
  return undefined;
}
