#!/usr/bin/env node
// Makes data/fashion-mnist-mini/: the first 10,000 training and first 2,000 test images and labels
// of Fashion-MNIST, in its own IDX format (gzipped), from Debian's dataset-fashion-mnist package.
// The bytes of each kept record are copied unchanged; only the record count in the header changes.
//   node scripts/make-mini-dataset.mjs [SRC_DIR] [TRAIN_COUNT] [TEST_COUNT]
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = process.argv[2] ?? process.env.TRIMNET_FASHION_MNIST ?? '/usr/share/datasets/fashion-mnist';
const counts = { train: Number(process.argv[3] ?? 10000), t10k: Number(process.argv[4] ?? 2000) };
const out = join(root, 'data', 'fashion-mnist-mini');
mkdirSync(out, { recursive: true });

for (const split of ['train', 't10k']) {
  for (const [kind, rank] of [['images', 3], ['labels', 1]]) {
    const file = `${split}-${kind}-idx${rank}-ubyte.gz`;
    const raw = gunzipSync(readFileSync(join(src, file)));
    const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    if (dv.getUint32(0) !== 0x0800 + rank) throw new Error(`${file}: unexpected IDX magic`);
    const n = counts[split];
    let record = 1;
    for (let i = 1; i < rank; i++) record *= dv.getUint32(4 + 4 * i);
    const header = 4 + 4 * rank;
    const kept = Buffer.from(raw.subarray(0, header + n * record));
    kept.writeUInt32BE(n, 4);
    // mtime 0 in the gzip header (zlib writes 0) keeps the output byte-identical run to run.
    writeFileSync(join(out, file), gzipSync(kept, { level: 9 }));
    console.log(`${file}: ${n} of ${dv.getUint32(4)} records`);
  }
}
