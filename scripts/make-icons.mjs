// Draws the app icon (a glucose trace running into a dotted forecast over the 70–180 band)
// into resources/icons/: icon.png (1024 px, converted by electron-builder for macOS and
// Windows) and the Linux sizes NxN.png. Run once after changing it: node scripts/make-icons.mjs
import { mkdirSync, writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const out = new URL('../resources/icons/', import.meta.url);
mkdirSync(out, { recursive: true });

const CRC = new Int32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c;
});
const crc32 = (buf) => {
  let c = -1;
  for (const b of buf) c = CRC[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
};
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}
function png(size, rgba) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) rgba.copy(raw, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** The trace in unit coordinates: y of the curve at x (0–1, top = 0). */
const trace = (x) => 0.52 - 0.17 * Math.sin(x * 5.2 + 0.4) - 0.06 * Math.sin(x * 11.3);

function draw(size) {
  const px = Buffer.alloc(size * size * 4);
  const ss = 4; // supersampling per axis
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      let r = 0,
        g = 0,
        b = 0,
        a = 0;
      for (let sy = 0; sy < ss; sy++)
        for (let sx = 0; sx < ss; sx++) {
          const u = (x + (sx + 0.5) / ss) / size;
          const v = (y + (sy + 0.5) / ss) / size;
          // rounded square, corner radius 0.18, margin 0.04
          const m = 0.04,
            rad = 0.18;
          const cx = Math.min(Math.max(u, m + rad), 1 - m - rad);
          const cy = Math.min(Math.max(v, m + rad), 1 - m - rad);
          if ((u - cx) ** 2 + (v - cy) ** 2 > rad * rad) continue;
          let c = [23, 78, 140]; // deep blue
          if (v > 0.33 && v < 0.67) c = [34, 110, 170]; // target band
          const d = Math.abs(v - trace(u)) / Math.sqrt(1 + ((trace(u + 1e-3) - trace(u)) / 1e-3) ** 2);
          const forecast = u > 0.66;
          const dash = !forecast || Math.floor(u * 40) % 2 === 0;
          if (u > 0.12 && u < 0.9 && d < (forecast ? 0.028 : 0.036) && dash) c = forecast ? [255, 196, 61] : [255, 255, 255];
          r += c[0];
          g += c[1];
          b += c[2];
          a += 255;
        }
      const n = ss * ss;
      const i = (y * size + x) * 4;
      const cov = a / 255;
      px[i] = cov > 0 ? Math.round(r / cov) : 0;
      px[i + 1] = cov > 0 ? Math.round(g / cov) : 0;
      px[i + 2] = cov > 0 ? Math.round(b / cov) : 0;
      px[i + 3] = Math.round(a / n);
    }
  return png(size, px);
}

writeFileSync(new URL('icon.png', out), draw(1024));
for (const s of [512, 256, 128, 64, 32, 16]) writeFileSync(new URL(`${s}x${s}.png`, out), draw(s));
console.log('icons written to resources/icons/');
