// `trimnet export`: a model file (.safetensors, .npz or .onnx) as ONNX (opset 17, dynamic batch)
// for onnxruntime and other ONNX runtimes.
import type { Command } from 'commander';
import { ArgumentError } from '../../errors.js';
import { assertNotInput } from '../../io/atomic.js';
import { ACTIVATION_HELP, isOnnxPath, modelBytes, readModel } from '../model-io.js';
import { printJson, writeOutput } from '../util.js';

export function register(program: Command): void {
  program
    .command('export')
    .description('write a model as ONNX (opset 17, dynamic batch dimension) that onnxruntime runs')
    .argument('<model>', 'the model file (.safetensors, .npz or .onnx)')
    .requiredOption('--out <file.onnx>', 'where to write the ONNX model')
    .option('--activation <spec>', ACTIVATION_HELP)
    .option('--json', 'print what was written as JSON')
    .action((file: string, o: { out: string; activation?: string; json?: boolean }) => {
      if (!isOnnxPath(o.out)) throw new ArgumentError(`--out must name an .onnx file but received '${o.out}'`);
      assertNotInput(o.out, [file]);
      const source = readModel(file, o, o.json ? () => {} : console.log);
      const bytes = modelBytes(source.model, o.out, { source: file }, source);
      writeOutput(o.out, bytes, [file]);
      const out = { out: o.out, layerSizes: source.model.layerSizes(), activations: source.model.describeActivations(), params: source.model.paramCount(), bytes: bytes.length, folded: source.folded, dropped: source.dropped };
      if (o.json) return printJson(out);
      console.log(`wrote ${o.out}: ${out.layerSizes.join('-')} ${out.activations}, ${out.params} parameters, ${out.bytes} bytes (ONNX opset 17)`);
    });
}
