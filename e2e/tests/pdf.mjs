// A minimal PDF writer for test uploads: one A4 page with a few lines of
// Helvetica text, a classic cross-reference table and exact byte offsets,
// so that strict PDF readers (lopdf in the hub, poppler) accept the file.

/** Escapes the characters that end or break a PDF literal string. */
function pdfString(text) {
  if (!/^[\x20-\x7e]*$/.test(text)) {
    throw new Error(`onePagePdf writes printable ASCII only, got ${JSON.stringify(text)}`);
  }
  return `(${text.replace(/[\\()]/g, (c) => `\\${c}`)})`;
}

/**
 * Builds a one-page PDF (A4, 595 x 842 pt) that shows `lines` of ASCII text
 * from the top left. Returns the file as a Buffer.
 */
export function onePagePdf(lines) {
  const text = lines
    .map((line, i) => `BT /F1 14 Tf 72 ${770 - i * 22} Td ${pdfString(line)} Tj ET`)
    .join('\n');
  // A grey frame, so that the rendered page is not blank around the text.
  const content = `0.6 g 56 540 483 260 re f 1 g 60 544 475 252 re f 0 g\n${text}\n`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>',
    `<< /Length ${Buffer.byteLength(content, 'latin1')} >>\nstream\n${content}endstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>',
  ];

  // The header's second line contains bytes above 127, which marks the file
  // as binary for tools that guess.
  const chunks = [Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1')];
  let length = chunks[0].length;
  const offsets = [];
  objects.forEach((body, i) => {
    offsets.push(length);
    const chunk = Buffer.from(`${i + 1} 0 obj\n${body}\nendobj\n`, 'latin1');
    chunks.push(chunk);
    length += chunk.length;
  });

  // Each cross-reference entry is exactly 20 bytes: 10-digit offset, space,
  // 5-digit generation, space, type, space, newline.
  const xrefOffset = length;
  const entries = offsets.map((offset) => `${String(offset).padStart(10, '0')} 00000 n \n`).join('');
  const trailer =
    `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${entries}` +
    `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xrefOffset}\n%%EOF\n`;
  chunks.push(Buffer.from(trailer, 'latin1'));
  return Buffer.concat(chunks);
}
