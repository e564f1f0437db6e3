// Checks the SDK's TypeScript declarations against the module (no browser needed):
// 1. `types/usage.ts` type-checks with `strict` against sdk/sdk.d.ts (what `npx tsc -p
//    types` does), its `@ts-expect-error` lines included;
// 2. the values sdk.d.ts declares are exactly the module's exports (imported in Node);
// 3. every error code sdk.js can produce is in the PassgateErrorCode union, and back.
// Exits 0 on success, 1 with the problems otherwise.

import ts from 'typescript';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const sdkDir = join(here, '../../sdk');
const problems = [];

// 1. The usage file compiles.
const configPath = join(here, 'types/tsconfig.json');
const parsed = ts.getParsedCommandLineOfConfigFile(configPath, {}, {
  ...ts.sys,
  onUnRecoverableConfigFileDiagnostic: (d) => problems.push(ts.flattenDiagnosticMessageText(d.messageText, '\n')),
});
const program = ts.createProgram(parsed.fileNames, parsed.options);
for (const d of ts.getPreEmitDiagnostics(program)) {
  const where = d.file ? `${d.file.fileName}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1}: ` : '';
  problems.push(`tsc: ${where}${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
}

// 2. Declared values = exported values.
const checker = program.getTypeChecker();
const dts = program.getSourceFile(join(sdkDir, 'sdk.d.ts'));
if (!dts) problems.push('sdk.d.ts is not part of the program');
const exported = dts ? checker.getExportsOfModule(checker.getSymbolAtLocation(dts)) : [];
const VALUE = ts.SymbolFlags.Function | ts.SymbolFlags.Class | ts.SymbolFlags.Variable;
const declared = exported.filter((s) => s.flags & VALUE).map((s) => s.name).sort();
const mod = await import(pathToFileURL(join(sdkDir, 'sdk.js')).href);
const actual = Object.keys(mod).sort();
if (JSON.stringify(declared) !== JSON.stringify(actual)) {
  problems.push(`exports: declared ${JSON.stringify(declared)}, module has ${JSON.stringify(actual)}`);
}

// 3. Error codes: the union vs the codes in sdk.js.
const union = exported.find((s) => s.name === 'PassgateErrorCode');
const unionType = union && checker.getDeclaredTypeOfSymbol(union);
const declaredCodes = new Set((unionType && unionType.isUnion() ? unionType.types : []).map((t) => t.value));
const source = readFileSync(join(sdkDir, 'sdk.js'), 'utf8');
const produced = new Set();
const maps = source.match(/const (SERVER|BROWSER) = \{[^}]*\}/g) || [];
for (const m of maps) for (const [, code] of m.matchAll(/: '(\w+)'/g)) produced.add(code);
// Lines that make a code: every capitalised literal on them but those compared with.
for (const line of source.split('\n').filter((l) => /\bcode = |PassgateError\('/.test(l))) {
  for (const [, op, code] of line.matchAll(/(===? |!== )?'([A-Z]\w+)'/g)) if (!op) produced.add(code);
}
for (const code of produced) {
  if (!declaredCodes.has(code)) problems.push(`sdk.js produces '${code}', which PassgateErrorCode does not list`);
}
for (const code of declaredCodes) {
  if (!produced.has(code)) problems.push(`PassgateErrorCode lists '${code}', which sdk.js never produces`);
}
if (declaredCodes.size < 10) problems.push(`PassgateErrorCode has only ${declaredCodes.size} members`);

if (problems.length) {
  console.error(`FAILED: sdk-types:\n${problems.join('\n')}`);
  process.exit(1);
}
console.log(`ok: sdk-types (${declared.length} exports, ${declaredCodes.size} error codes)`);
