// Issue 16 items 2 and 3: numbers a user did not mean are refused, and every error is one
// `trimnet: …` line that names the flag typed, checked before any work, never naming a temp file.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { targetParamsOption } from '../src/cli/prune/common.js';
import { intOption, numberOption } from '../src/cli/util.js';
import { cliRunner, expectOneLineError } from './helpers/cli.js';

const model = join(import.meta.dirname, 'fixtures', 'nn', 'torch_small.safetensors'); // 784-64-32-10
const dir = mkdtempSync(join(tmpdir(), 'trimnet-cli-errors-'));
const trimnet = cliRunner(dir, { TRIMNET_FASHION_MNIST: '/nonexistent/fmnist' });
const out = join(dir, 'x.safetensors');

describe('numbers', () => {
  it('refuses hex, empty lists, zero epochs and fractional counts, naming the flag', () => {
    expectOneLineError(trimnet('prune', model, '--threshold', '0x10', '--out', out), /Expected a number ≥ 0 for --threshold but received "0x10"/);
    expectOneLineError(trimnet('prune', model, '--threshold', 'Infinity', '--out', out), /for --threshold/);
    expectOneLineError(trimnet('prune', model, '--threshold', '', '--out', out), /for --threshold but received ""/);
    expectOneLineError(trimnet('train', '--layers', ''), /comma-separated numbers, each an integer ≥ 1.* for --layers but received ""/);
    expectOneLineError(trimnet('train', '--layers', '64,,32'), /for --layers/);
    expectOneLineError(trimnet('train', '--epochs', '0'), /Expected an integer ≥ 1 for --epochs but received "0"/);
    expectOneLineError(trimnet('train', '--lr', '0'), /Expected a number > 0 for --lr/);
    expectOneLineError(trimnet('train', '--batch-size', '0b11'), /for --batch-size but received "0b11"/);
    expectOneLineError(trimnet('prune', model, '--target-params', '1.5', '--out', out), /Expected a fraction in \(0, 1\] or a whole number of parameters > 1 for --target-params but received "1.5"/);
    expectOneLineError(trimnet('sweep', model, '--thresholds', ''), /for --thresholds but received ""/);
    expectOneLineError(trimnet('sweep', model, '--thresholds', '0,0x1'), /for --thresholds/);
    expectOneLineError(trimnet('l2', model, '--count', '1.5', '--out', out), /Expected an integer ≥ 0 for --count/);
    expectOneLineError(trimnet('embed', model, '--layer', '0x1', '--out', join(dir, 'e.npy')), /for --layer/);
    expect(existsSync(out)).toBe(false);
  });

  it('gives one message per rule: 0, -1 and 1.5 break the same rule the same way', () => {
    // The parsers themselves (no child process): the message names the rule once, then the value.
    const message = (f: () => unknown, v: string) => {
      try {
        f();
      } catch (e) {
        return (e as Error).message.replace(`"${v}"`, 'V');
      }
      return 'accepted';
    };
    const target = (v: string) => message(() => targetParamsOption(v), v);
    expect(target('0')).toBe(target('-1'));
    expect(target('0')).toBe(target('1.5'));
    expect(target('0')).toBe(target('0x10'));
    const epochs = intOption('--epochs');
    const e = (v: string) => message(() => epochs(v), v);
    expect(e('0')).toBe(e('-1'));
    expect(e('0')).toBe(e('2.5'));
    expect(e('0')).toBe('Expected an integer ≥ 1 for --epochs but received V');
    const lr = numberOption('--lr', { above: 0 });
    expect(message(() => lr('0'), '0')).toBe(message(() => lr('-1e-3'), '-1e-3'));
    expect(lr('1e-3')).toBe(0.001);
    expect(lr('.5')).toBe(0.5);
  });

  it('blames the flag, not the library option, for APoZ λ > 1', () => {
    expectOneLineError(trimnet('prune', model, '--statistic', 'apoz', '--threshold', '1.5', '--out', out), /for --threshold but received 1.5/);
    expectOneLineError(trimnet('sweep', model, '--statistic', 'mean,apoz', '--thresholds', '0,1.5'), /for --thresholds/);
  });
});

describe('one line per error', () => {
  it("turns commander's usage errors into one trimnet: line", () => {
    expectOneLineError(trimnet('prune', model, '--threshold', '0.1'), /required option '--out <file>' not specified/);
    expectOneLineError(trimnet('eval'), /missing required argument 'model'/);
    expectOneLineError(trimnet('frobnicate'), /unknown command 'frobnicate'/);
    expectOneLineError(trimnet('eval', model, '--bogus'), /unknown option '--bogus'/);
    expectOneLineError(trimnet('eval', model, '--limit'), /option '--limit <n>' argument missing/);
    expect(trimnet('--help').code).toBe(0);
    expect(trimnet('prune', '--help').code).toBe(0);
  });

  it('--backend foo blames --backend', () => {
    expectOneLineError(trimnet('--backend', 'foo', 'info'), /for --backend but received "foo"/);
    const r = trimnet('--backend', 'foo', 'info');
    expect(r.err).not.toMatch(/TRIMNET_BACKEND/);
  });
});

describe('output paths are checked before any work', () => {
  it('refuses /proc/x, a directory, a path under a file, and a missing directory, in words', () => {
    mkdirSync(join(dir, 'somedir'), { recursive: true });
    mkdirSync(join(dir, 'somedir.svg'), { recursive: true });
    writeFileSync(join(dir, 'afile'), 'x');
    const cases: [string, RegExp][] = [
      ['/proc/x', /Cannot write \/proc\/x(\.svg)?: files cannot be created in \/proc/],
      ['somedir', /Cannot write somedir(\.svg)?: it is a directory/],
      [join('afile', 'x.safetensors'), /is not a directory/],
      [join('nodir', 'x.safetensors'), /its directory does not exist: .*nodir/],
    ];
    for (const [path, msg] of cases) {
      // --data fashion-mnist is not installed here: had the work started, that error would come first
      for (const args of [
        ['prune', model, '--threshold', '0.1', '--data', 'fashion-mnist', '--out', path],
        ['train', '--data', 'fashion-mnist', '--out', path],
        ['sweep', model, '--data', 'fashion-mnist', '--plot', path.replace(/(\.safetensors)?$/, '.svg')],
        ['l2', model, '--amount', '0.5', '--out', path],
      ]) {
        const r = trimnet(...args);
        expectOneLineError(r, msg);
        expect(r.err).not.toMatch(/\.tmp/);
      }
    }
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it.skipIf(process.getuid?.() === 0)('says EACCES in words (not as root, who may write anywhere)', async () => {
    const { chmodSync } = await import('node:fs');
    const locked = join(dir, 'locked');
    mkdirSync(locked);
    chmodSync(locked, 0o500);
    const r = trimnet('prune', model, '--threshold', '0.1', '--out', join(locked, 'x.safetensors'));
    expectOneLineError(r, /no permission to create files in/);
  });

  it('refuses --plot with an unknown extension before any work', () => {
    expectOneLineError(trimnet('sweep', model, '--data', 'fashion-mnist', '--plot', join(dir, 'p.jpg')), /ending in \.svg or \.png for --plot/);
  });
});
