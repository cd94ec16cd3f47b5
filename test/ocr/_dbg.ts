import { loadMrzOcrModel, readMrzFromImage } from '../../server/documents/ocr/index.js';
import { randomDegradation, renderDocument, rng, savePng } from './render.js';
const model = await loadMrzOcrModel();
const r = rng(104);
const degradation = { ...randomDegradation(r, 0.5), flip: false };
const doc = await renderDocument(r, { format: 'MRVA', dpi: 200, degradation });
const res = await readMrzFromImage(doc.image, { model });
console.log(
  doc.lines,
  res.ok && res.lines,
  res.ok && res.rawLines,
  res.ok && res.confidence.min,
  degradation,
);
if (res.ok) {
  const idx: string[] = [];
  res.confidence.perChar.forEach((row, li) =>
    row.forEach((p, i) => {
      if (p < 0.9) idx.push(`${li}:${i}:${p.toFixed(2)}`);
    }),
  );
  console.log(idx.join(' '));
}
await savePng(doc.image, '/tmp/mrz/dbg.png');
import { locateMrzBand } from '../../server/documents/ocr/locate.js';
import { cutBand, segmentLines } from '../../server/documents/ocr/segment.js';
const loc = locateMrzBand(doc.image);
if (loc.ok) {
  const cut = cutBand(doc.image, loc.band, false);
  await savePng(cut.band, '/tmp/mrz/dbgband.png');
  const seg = segmentLines(cut, loc.band.lineCount);
  console.log(loc.band, seg.ok && seg.segmentation.lines);
}
