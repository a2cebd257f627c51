// docs/api.md lists every export of src/index.ts with one line, and nothing that is not exported.
// The exports are read with the TypeScript compiler (so `export *` and type exports count).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');

function exportsOfIndex(): string[] {
  const file = join(root, 'src', 'index.ts');
  const program = ts.createProgram([file], { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, strict: true, noEmit: true, skipLibCheck: true });
  const checker = program.getTypeChecker();
  const symbol = checker.getSymbolAtLocation(program.getSourceFile(file)!)!;
  return checker.getExportsOfModule(symbol).map((s) => s.name).sort();
}

/** Names documented in docs/api.md: list items "- `name` — one line". */
function documented(): string[] {
  const md = readFileSync(join(root, 'docs', 'api.md'), 'utf8');
  return [...md.matchAll(/^- `([A-Za-z_$][\w$]*)` — \S.*$/gm)].map((m) => m[1]!);
}

describe('docs/api.md', () => {
  const exported = exportsOfIndex();
  const docs = documented();

  it('lists every export of src/index.ts', () => {
    expect(exported.length).toBeGreaterThan(100);
    expect(exported.filter((n) => !docs.includes(n))).toEqual([]);
  });

  it('lists nothing that is not exported, each name once', () => {
    expect(docs.filter((n) => !exported.includes(n))).toEqual([]);
    expect(docs.filter((n, i) => docs.indexOf(n) !== i)).toEqual([]);
  });
});
