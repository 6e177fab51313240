// Recompression of Chromium's PNG screenshots, which Chromium encodes for
// speed as RGB. Page screenshots are mostly flat areas and text in a few
// hundred colours, so an indexed PNG stores them in far fewer bytes.

import { deflateSync, inflateSync } from 'node:zlib';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Bytes per pixel of the 8-bit colour types this module reads: RGB and RGBA. */
const BYTES_PER_PIXEL = { 2: 3, 6: 4 };

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k += 1) {
    c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return c >>> 0;
});

function crc32(bytes) {
  let c = 0xffffffff;
  for (const byte of bytes) {
    c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  }
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** Reverses the PNG row filters and returns the pixels. `rows` contains one filter byte before each row. */
function unfilter(rows, height, stride, bpp) {
  const pixels = Buffer.alloc(height * stride);
  for (let y = 0; y < height; y += 1) {
    const filter = rows[y * (stride + 1)];
    const line = rows.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const out = y * stride;
    const up = out - stride;
    for (let x = 0; x < stride; x += 1) {
      const a = x >= bpp ? pixels[out + x - bpp] : 0;
      const b = y > 0 ? pixels[up + x] : 0;
      const c = x >= bpp && y > 0 ? pixels[up + x - bpp] : 0;
      let predictor;
      switch (filter) {
        case 0:
          predictor = 0;
          break;
        case 1:
          predictor = a;
          break;
        case 2:
          predictor = b;
          break;
        case 3:
          predictor = (a + b) >> 1;
          break;
        case 4: {
          // Paeth: whichever of left, up and upper left is nearest to a + b - c.
          const p = a + b - c;
          const pa = Math.abs(p - a);
          const pb = Math.abs(p - b);
          const pc = Math.abs(p - c);
          if (pa <= pb && pa <= pc) {
            predictor = a;
          } else if (pb <= pc) {
            predictor = b;
          } else {
            predictor = c;
          }
          break;
        }
        default:
          throw new Error(`invalid PNG row filter ${filter} in row ${y}`);
      }
      pixels[out + x] = (line[x] + predictor) & 0xff;
    }
  }
  return pixels;
}

/** Colours in a PNG palette. */
const PALETTE_SIZE = 256;

/**
 * Maps RGB pixels to a palette of the most frequent colours. Each other
 * colour becomes its nearest palette colour by RGB distance. In page
 * screenshots those are anti-aliased edges of text and borders. Returns the
 * palette (RGB triples) and one palette index per pixel.
 */
function toPalette(rgb) {
  const counts = new Map();
  for (let i = 0; i < rgb.length; i += 3) {
    const key = (rgb[i] << 16) | (rgb[i + 1] << 8) | rgb[i + 2];
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const palette = [...counts.entries()]
    .sort((x, y) => y[1] - x[1])
    .slice(0, PALETTE_SIZE)
    .map(([key]) => key);
  const index = new Map(palette.map((key, i) => [key, i]));
  const nearest = (key) => {
    let best = 0;
    let bestDistance = Infinity;
    palette.forEach((candidate, i) => {
      const dr = ((key >> 16) & 0xff) - ((candidate >> 16) & 0xff);
      const dg = ((key >> 8) & 0xff) - ((candidate >> 8) & 0xff);
      const db = (key & 0xff) - (candidate & 0xff);
      const distance = dr * dr + dg * dg + db * db;
      if (distance < bestDistance) {
        best = i;
        bestDistance = distance;
      }
    });
    return best;
  };
  const indices = Buffer.alloc(rgb.length / 3);
  for (let i = 0, p = 0; i < rgb.length; i += 3, p += 1) {
    const key = (rgb[i] << 16) | (rgb[i + 1] << 8) | rgb[i + 2];
    let slot = index.get(key);
    if (slot === undefined) {
      slot = nearest(key);
      index.set(key, slot);
    }
    indices[p] = slot;
  }
  const paletteBytes = Buffer.alloc(palette.length * 3);
  palette.forEach((key, i) => {
    paletteBytes[i * 3] = (key >> 16) & 0xff;
    paletteBytes[i * 3 + 1] = (key >> 8) & 0xff;
    paletteBytes[i * 3 + 2] = key & 0xff;
  });
  return { paletteBytes, indices };
}

/**
 * Re-encodes an 8-bit, non-interlaced, opaque RGB or RGBA screenshot as an
 * indexed PNG with at most 256 colours, unfiltered rows and zlib level 9.
 * The result is lossless when the picture has 256 colours or fewer.
 * Returns the input unchanged for any other kind of PNG, or when the new
 * file is not smaller.
 */
export function recompressPng(png) {
  if (!png.subarray(0, 8).equals(SIGNATURE)) {
    throw new Error('not a PNG file');
  }
  let offset = 8;
  let header = null;
  const idat = [];
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString('latin1', offset + 4, offset + 8);
    const data = png.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      header = data;
    } else if (type === 'IDAT') {
      idat.push(data);
    }
    offset += 12 + length;
  }
  const width = header.readUInt32BE(0);
  const height = header.readUInt32BE(4);
  const [bitDepth, colorType, , , interlace] = header.subarray(8, 13);
  const bpp = BYTES_PER_PIXEL[colorType];
  if (bitDepth !== 8 || bpp === undefined || interlace !== 0) {
    return png;
  }
  let pixels = unfilter(inflateSync(Buffer.concat(idat)), height, width * bpp, bpp);

  if (bpp === 4) {
    if (!pixels.every((value, i) => i % 4 !== 3 || value === 0xff)) {
      return png;
    }
    const rgb = Buffer.alloc(width * height * 3);
    for (let i = 0, j = 0; i < pixels.length; i += 4, j += 3) {
      rgb[j] = pixels[i];
      rgb[j + 1] = pixels[i + 1];
      rgb[j + 2] = pixels[i + 2];
    }
    pixels = rgb;
  }

  const { paletteBytes, indices } = toPalette(pixels);
  const rows = Buffer.alloc(height * (width + 1));
  for (let y = 0; y < height; y += 1) {
    indices.copy(rows, y * (width + 1) + 1, y * width, (y + 1) * width);
  }
  const newHeader = Buffer.from(header);
  newHeader[8] = 8;
  newHeader[9] = 3;
  const result = Buffer.concat([
    SIGNATURE,
    chunk('IHDR', newHeader),
    chunk('PLTE', paletteBytes),
    chunk('IDAT', deflateSync(rows, { level: 9, memLevel: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
  return result.length < png.length ? result : png;
}
