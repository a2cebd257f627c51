// `npm run example:service`: starts the prediction service.
//   MODEL=path.safetensors   the model (default: trained at start-up on the bundled mini data)
//   HOST (default 127.0.0.1), PORT (default 3000)
//   SERVICE_ADMIN=1          enables /admin/job (a background 2048² async GEMM/SVD) and /admin/metrics/reset
//   JOB=gemm|svd, JOB_SIZE   starts that background job at once (implies SERVICE_ADMIN)
import { TrimnetError } from '../../src/index.js';
import { buildService } from './app.js';
import { loadServiceModel } from './model.js';

async function start(): Promise<void> {
  const host = process.env.HOST || '127.0.0.1';
  const port = Number(process.env.PORT || 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new TrimnetError('E_ARG', `Expected a port number for PORT but received ${process.env.PORT}`);
  const { model, source } = loadServiceModel(process.env.MODEL);
  const admin = process.env.SERVICE_ADMIN === '1' || Boolean(process.env.JOB);
  const job = process.env.JOB ? { kind: process.env.JOB === 'svd' ? ('svd' as const) : ('gemm' as const), size: Number(process.env.JOB_SIZE || 2048) } : undefined;
  const app = await buildService({ model, modelSource: source, admin, job, logger: process.env.LOG === '1' });
  const address = await app.listen({ host, port });
  process.stdout.write(`trimnet service listening on ${address} (model: ${source}; layers ${model.layerSizes().join('-')}, ${model.paramCount()} params)\n`);
  const stop = () => {
    app.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

start().catch((err: unknown) => {
  process.stderr.write(`trimnet service: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
