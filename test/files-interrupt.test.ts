// Output files: written atomically, never over an input, and nothing left behind when a writer
// is interrupted (SIGINT) — neither a partial output nor a temp file.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeNpy } from '../src/io/npy.js';
import { Rng } from '../src/rng.js';

const root = resolve(__dirname, '..');
const bin = join(root, 'bin', 'trimnet.js');
const model = join(root, 'test', 'fixtures', 'nn', 'torch_small.safetensors');
let dir = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'trimnet-files-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Starts a child, waits for `ready` on its stdout (or `afterMs`), sends SIGINT, resolves on exit. */
function interrupt(args: string[], ready: RegExp, afterMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }> {
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir });
    let out = '';
    let sent = false;
    const send = () => {
      if (!sent) {
        sent = true;
        child.kill('SIGINT');
      }
    };
    child.stdout.on('data', (d) => {
      out += d;
      if (ready.test(out)) setTimeout(send, afterMs);
    });
    child.stderr.on('data', (d) => (out += d));
    const guard = setTimeout(send, 20_000);
    child.once('error', fail);
    child.once('exit', (code, signal) => {
      clearTimeout(guard);
      ok({ code, signal, out });
    });
  });
}

describe('interrupted writers leave nothing behind', () => {
  it('trimnet train: SIGINT mid-training leaves no model and no temp file', async () => {
    expect(existsSync(join(root, 'dist', 'src', 'cli', 'main.js')), 'run `npm run build:ts` first').toBe(true);
    const out = join(dir, 'model.safetensors');
    const r = await interrupt([bin, 'train', '--limit', '2000', '--layers', '32', '--epochs', '500', '--out', out], /epoch 1\//, 50);
    expect(r.signal === 'SIGINT' || r.code === 130, r.out).toBe(true);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('writeFileAtomic: SIGINT at random points of repeated 48 MB writes leaves only complete files', async () => {
    const script = join(dir, 'writer.mjs');
    writeFileSync(
      script,
      `import { writeFileAtomic } from ${JSON.stringify(pathToFileURL(join(root, 'dist', 'src', 'io', 'atomic.js')).href)};
       const data = new Uint8Array(48 << 20).fill(7);
       const target = process.argv[2];
       console.log('writing');
       for (let i = 0; i < 200; i++) { writeFileAtomic(target, data); await new Promise((r) => setImmediate(r)); }
       console.log('done');`,
    );
    for (const delay of [0, 40, 150]) {
      const out = join(dir, 'out', `big-${delay}.bin`);
      rmSync(join(dir, 'out'), { recursive: true, force: true });
      spawnSync('mkdir', ['-p', join(dir, 'out')]);
      const r = await interrupt([script, out], /writing/, delay);
      expect(r.signal === 'SIGINT' || r.code === 130, r.out).toBe(true);
      const left = readdirSync(join(dir, 'out'));
      expect(left.filter((f) => f.endsWith('.tmp'))).toEqual([]);
      if (left.length) {
        expect(left).toEqual([`big-${delay}.bin`]);
        expect(statSync(out).size).toBe(48 << 20);
      }
    }
  });
});

describe('writers refuse to overwrite their own input', () => {
  const cases: [string, (m: string) => string[]][] = [
    ['prune', (m) => ['prune', m, '--threshold', '0.01', '--out', m]],
    ['l2', (m) => ['l2', m, '--amount', '0.5', '--out', m]],
    ['stats', (m) => ['stats', m, '--out', m]],
    ['embed', (m) => ['embed', m, '--limit', '20', '--out', m]],
  ];
  for (const [name, args] of cases) {
    it(`trimnet ${name} --out <its input>: exit 1, input unchanged`, () => {
      const m = join(dir, 'model.safetensors');
      copyFileSync(model, m);
      const before = readFileSync(m);
      const r = spawnSync(process.execPath, [bin, ...args(m)], { encoding: 'utf8', cwd: dir, timeout: 60_000 });
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/input|Refusing/i);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(readFileSync(m).equals(before)).toBe(true);
      expect(readdirSync(dir)).toEqual(['model.safetensors']);
    });
  }

  it('trimnet align a.npy b.npy --out a.npy: exit 1, inputs unchanged', () => {
    const a = join(dir, 'a.npy');
    const b = join(dir, 'b.npy');
    const r0 = new Rng(1);
    const mk = () => writeNpy({ data: Float32Array.from({ length: 40 * 6 }, () => r0.normal()), shape: [40, 6] });
    writeFileSync(a, mk());
    writeFileSync(b, mk());
    const before = readFileSync(a);
    const r = spawnSync(process.execPath, [bin, 'align', a, b, '--fit', '0:30', '--eval', '30:', '--out', a], { encoding: 'utf8', cwd: dir, timeout: 60_000 });
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/input|Refusing/i);
    expect(readFileSync(a).equals(before)).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(['a.npy', 'b.npy']);
  });
});
