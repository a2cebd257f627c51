// Softmax cross-entropy on logits, as PyTorch's nn.CrossEntropyLoss (mean over the batch).
// One pass per row: max, log-sum-exp, loss, and (optionally) the gradient
//   dL/dz_ij = (softmax(z_i)_j − [j == y_i]) · scale       (scale = 1/batch for the mean)
// written in place of nothing else, so training needs no temporary arrays.

/**
 * Sums the cross-entropy of `rows` rows of `logits` [rows, cols] against `labels`; counts the rows
 * whose argmax is the label. With `grad`, writes the gradient of (scale · Σ loss) into it.
 */
export function softmaxCrossEntropy(
  logits: Float32Array,
  labels: ArrayLike<number>,
  rows: number,
  cols: number,
  grad?: Float32Array,
  scale = 1,
): { lossSum: number; correct: number } {
  let lossSum = 0;
  let correct = 0;
  for (let i = 0; i < rows; i++) {
    const o = i * cols;
    let max = -Infinity;
    let arg = 0;
    for (let j = 0; j < cols; j++) {
      const v = logits[o + j]!;
      if (v > max) ((max = v), (arg = j));
    }
    let z = 0;
    for (let j = 0; j < cols; j++) z += Math.exp(logits[o + j]! - max);
    const y = labels[i]!;
    lossSum += Math.log(z) + max - logits[o + y]!;
    if (arg === y) correct++;
    if (grad) {
      const inv = scale / z;
      for (let j = 0; j < cols; j++) grad[o + j] = Math.exp(logits[o + j]! - max) * inv;
      grad[o + y]! -= scale;
    }
  }
  return { lossSum, correct };
}
