// The CUDA kernels under the CPU emulator (kernels/cuda/emu): the GPU check driver's
// conformance stages against the CPU kernels, with ASan/UBSan, threads run forward and in
// random order between barriers. Opt-in (about a minute of compiling and emulating):
// TRIMNET_CUDA_EMU=1 or TRIMNET_FULL=1.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const enabled = process.env.TRIMNET_CUDA_EMU === '1' || process.env.TRIMNET_FULL === '1';

describe.runIf(enabled && process.arch === 'x64' && process.platform === 'linux')('cuda kernels under the CPU emulator', () => {
  it('pass the GPU driver conformance cases', async () => {
    // Asynchronous: a blocked worker event loop would time out vitest's own RPC.
    const r = await new Promise<{ status: number | null; out: string }>((resolve) => {
      const child = spawn('bash', ['kernels/cuda/emu/run.sh'], { env: { ...process.env, EMU_ORDERS: 'fwd rand' } });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      child.on('close', (status) => resolve({ status, out }));
    });
    const out = r.out;
    expect(out).toMatch(/gemm conformance: \d+ cases, 0 failed/);
    expect(out).toMatch(/colStats conformance: \d+ cases, 0 failed/);
    expect(out).toMatch(/svd conformance: \d+ cases, 0 failed/);
    expect(out).not.toMatch(/EMU FAILURE|AddressSanitizer|runtime error/);
    expect(r.status, out.slice(-4000)).toBe(0);
  }, 16 * 60 * 1000);
});
