// Datasets in the MNIST family's IDX layout: 'mini' (the Fashion-MNIST subset bundled in data/),
// 'fashion-mnist' (the full set from Debian's dataset-fashion-mnist), or any directory holding
// train-images/train-labels/t10k-images/t10k-labels IDX files (gzipped or not).
// Pixels are scaled to [0, 1] and flattened: x is a [n, rows·cols] float32 Tensor.

import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataError, FormatError, expected } from '../errors.js';
import { Tensor } from '../tensor.js';
import { readIdx } from './idx.js';

export const FASHION_MNIST_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

export interface Split {
  x: Tensor; // [n, features], values in [0, 1]
  labels: Int32Array; // [n]
}

export interface Dataset {
  name: string;
  dir: string;
  /** An empty split (0 rows) when `split: 'test'` was asked for, and vice versa. */
  train: Split;
  test: Split;
  classes: string[];
}

export interface LoadDatasetOptions {
  /** Load only one split (the other comes back empty). Default: both. */
  split?: 'train' | 'test' | 'both';
  /** Keep at most this many rows of each split (the first ones). */
  limit?: number;
}

/** data/fashion-mnist-mini, found from this file (src/io or dist/src/io). */
export function miniDatasetDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const cand = join(dir, 'data', 'fashion-mnist-mini');
    if (existsSync(join(cand, 'train-labels-idx1-ubyte.gz'))) return cand;
    dir = dirname(dir);
  }
  throw new DataError('The bundled dataset (data/fashion-mnist-mini) is missing from this installation of trimnet');
}

const ROLES = {
  trainImages: ['train-images-idx3-ubyte', 'train-images.idx3-ubyte'],
  trainLabels: ['train-labels-idx1-ubyte', 'train-labels.idx1-ubyte'],
  testImages: ['t10k-images-idx3-ubyte', 't10k-images.idx3-ubyte', 'test-images-idx3-ubyte'],
  testLabels: ['t10k-labels-idx1-ubyte', 't10k-labels.idx1-ubyte', 'test-labels-idx1-ubyte'],
} as const;

function findFile(dir: string, names: readonly string[]): string | null {
  for (const n of names) for (const f of [`${n}.gz`, n]) if (existsSync(join(dir, f))) return join(dir, f);
  return null;
}

function loadSplit(dir: string, images: readonly string[], labels: readonly string[], limit: number, missing: (f: string) => never): Split {
  const imgPath = findFile(dir, images) ?? missing(`${images[0]}.gz`);
  const lblPath = findFile(dir, labels) ?? missing(`${labels[0]}.gz`);
  const img = readIdx(imgPath);
  const lbl = readIdx(lblPath);
  if (img.shape.length < 2 || !(img.data instanceof Uint8Array)) throw new FormatError(`${imgPath}: expected uint8 images [n, rows, cols] but found shape [${img.shape.join(', ')}]`);
  if (lbl.shape.length !== 1) throw new FormatError(`${lblPath}: expected a 1-D label file but found shape [${lbl.shape.join(', ')}]`);
  const total = img.shape[0]!;
  if (lbl.shape[0] !== total) throw new DataError(`${imgPath} has ${total} images but ${lblPath} has ${lbl.shape[0]} labels`);
  const n = Math.min(total, limit);
  const features = img.data.length / Math.max(total, 1);
  const x = new Float32Array(n * features);
  const src = img.data;
  for (let i = 0; i < x.length; i++) x[i] = src[i]! / 255;
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) y[i] = lbl.data[i]!;
  return { x: new Tensor(x, [n, features]), labels: y };
}

function emptySplit(features: number): Split {
  return { x: Tensor.zeros([0, features]), labels: new Int32Array(0) };
}

/**
 * Loads 'mini', 'fashion-mnist' or a directory of IDX files. 'fashion-mnist' reads
 * $TRIMNET_FASHION_MNIST or /usr/share/datasets/fashion-mnist and, when it is not there, throws a
 * DataError that says how to install it.
 */
export function loadDataset(nameOrDir: string, opts: LoadDatasetOptions = {}): Dataset {
  if (typeof nameOrDir !== 'string' || nameOrDir === '') throw expected("'mini', 'fashion-mnist' or a directory", 'dataset', nameOrDir);
  const split = opts.split ?? 'both';
  if (!['train', 'test', 'both'].includes(split)) throw expected("'train', 'test' or 'both'", 'split', split);
  const limit = opts.limit ?? Infinity;
  if (!(limit === Infinity || (Number.isInteger(limit) && limit >= 0))) throw expected('a non-negative integer', 'limit', limit);

  let dir: string;
  let missing: (f: string) => never;
  if (nameOrDir === 'mini') {
    dir = miniDatasetDir();
    missing = (f) => {
      throw new DataError(`The bundled dataset is incomplete: ${join(dir, f)} is missing`);
    };
  } else if (nameOrDir === 'fashion-mnist') {
    dir = process.env.TRIMNET_FASHION_MNIST || FASHION_MNIST_DIR;
    missing = (f) => {
      throw new DataError(
        `The full Fashion-MNIST is not installed (${join(dir, f)} is missing): run 'apt-get install dataset-fashion-mnist' (or scripts/install-deps.sh bench), set TRIMNET_FASHION_MNIST=DIR, or use --data mini`,
      );
    };
  } else {
    dir = nameOrDir;
    if (!existsSync(dir) || !statSync(dir).isDirectory()) {
      throw new DataError(`Dataset '${nameOrDir}' is not 'mini', 'fashion-mnist' or an existing directory of IDX files`);
    }
    missing = (f) => {
      throw new DataError(`${dir} does not hold an IDX dataset: ${f} (or its uncompressed form) is missing`);
    };
  }
  const train = split === 'test' ? null : loadSplit(dir, ROLES.trainImages, ROLES.trainLabels, limit, missing);
  const test = split === 'train' ? null : loadSplit(dir, ROLES.testImages, ROLES.testLabels, limit, missing);
  const features = (train ?? test)!.x.cols;
  if (train && test && train.x.cols !== test.x.cols) throw new DataError(`${dir}: training images have ${train.x.cols} pixels but test images have ${test.x.cols}`);
  let maxLabel = 0;
  for (const s of [train, test]) if (s) for (const l of s.labels) if (l > maxLabel) maxLabel = l;
  const fashion = nameOrDir === 'mini' || nameOrDir === 'fashion-mnist';
  const classes = fashion ? [...FASHION_MNIST_CLASSES] : Array.from({ length: maxLabel + 1 }, (_, i) => String(i));
  return { name: nameOrDir, dir, train: train ?? emptySplit(features), test: test ?? emptySplit(features), classes };
}
