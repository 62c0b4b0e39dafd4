// Which folder may import which. Pure: source text goes in, the imports that break a rule come out.
// A scanner rather than a regex over lines: a path inside a comment, a string or a regex literal is
// not an import, and a multi-line `import { … } from` still is.
import path from 'node:path';

export type SourceFile = { path: string; source: string };

export type ImportRule = {
  /** Folders (with a trailing slash) whose files the rule covers. */
  files: readonly string[];
  /** Folders, or single files, those files must not import. */
  forbidden: readonly string[];
  /** What a *.test.ts file may still import from `forbidden`. */
  testsMayImport?: readonly string[];
  reason: string;
};

export type ImportViolation = { file: string; specifier: string; target: string; reason: string };

const MONITORING = ['alerts/', 'slo/', 'dashboards/', 'alertmanager/'];

export const IMPORT_RULES: readonly ImportRule[] = [
  {
    files: [...MONITORING, 'observability/', 'app/'],
    forbidden: ['harness/'],
    // Tests use real components: the harness starts them (stack/, alert-receiver/) and drives them (load/).
    testsMayImport: ['harness/stack/', 'harness/load/', 'harness/alert-receiver/', 'harness/integration/support.ts'],
    reason: 'harness/ holds runnable tools and tests; the services and the monitoring code must build and run without it',
  },
  {
    files: ['app/'],
    forbidden: [...MONITORING, 'observability/'],
    reason: 'a service loads only service code; monitoring artifacts are built from app/, never the other way round',
  },
];

// `from '…'`, `import '…'`, `import('…')`, `require('…')`: the code just before a string that makes it a specifier.
const SPECIFIER_BEFORE = /(?:^|[^\w$.])(?:from|import|import\s*\(|require\s*\()\s*$/;
// After one of these, a `/` starts a regex literal rather than a division.
const REGEX_AFTER_CHAR = /[(,=:[!&|?{};+\-*%<>~^]$/;
const REGEX_AFTER_WORD = /(?:^|[^\w$.])(?:return|typeof|case|do|else|in|of|new|delete|void|throw|yield|await)$/;

/** The module specifiers a TypeScript or JavaScript source imports or re-exports, in order. */
export function importSpecifiers(source: string): string[] {
  const found: string[] = [];
  // Code seen so far, with comments, strings and regexes reduced to placeholders.
  let code = '';
  // One entry per `${` we are inside: how many `{` it has opened since.
  const templateBraces: number[] = [];
  let i = 0;

  // Reads template text from `from` up to its closing backtick or its next `${`.
  const templateText = (from: number): number => {
    let j = from;
    while (j < source.length) {
      if (source[j] === '\\') j += 2;
      else if (source[j] === '`') return j + 1;
      else if (source[j] === '$' && source[j + 1] === '{') {
        templateBraces.push(0);
        return j + 2;
      } else j += 1;
    }
    return j;
  };

  while (i < source.length) {
    const c = source[i]!;
    const next = source[i + 1];
    if (c === '/' && next === '/') {
      const end = source.indexOf('\n', i);
      i = end === -1 ? source.length : end;
    } else if (c === '/' && next === '*') {
      const end = source.indexOf('*/', i + 2);
      i = end === -1 ? source.length : end + 2;
      code += ' ';
    } else if (c === "'" || c === '"') {
      let j = i + 1;
      while (j < source.length && source[j] !== c && source[j] !== '\n') j += source[j] === '\\' ? 2 : 1;
      if (SPECIFIER_BEFORE.test(code.slice(-40))) found.push(source.slice(i + 1, j));
      code += '""';
      i = j + 1;
    } else if (c === '`') {
      i = templateText(i + 1);
      code += '``';
    } else if (c === '/' && isRegexStart(code.trimEnd())) {
      let j = i + 1;
      let inClass = false;
      while (j < source.length && source[j] !== '\n' && (inClass || source[j] !== '/')) {
        if (source[j] === '\\') j += 1;
        else if (source[j] === '[') inClass = true;
        else if (source[j] === ']') inClass = false;
        j += 1;
      }
      code += '/r/';
      i = j + 1;
    } else if ((c === '{' || c === '}') && templateBraces.length > 0) {
      const open = templateBraces.pop()!;
      if (c === '}' && open === 0) {
        i = templateText(i + 1);
        code += '``';
      } else {
        templateBraces.push(c === '{' ? open + 1 : open - 1);
        code += c;
        i += 1;
      }
    } else {
      code += c;
      i += 1;
    }
  }
  return found;
}

function isRegexStart(codeBefore: string): boolean {
  return codeBefore === '' || REGEX_AFTER_CHAR.test(codeBefore) || REGEX_AFTER_WORD.test(codeBefore);
}

/** The repository path a relative specifier points to; null for packages and `node:` modules. */
export function resolveImport(fromFile: string, specifier: string): string | null {
  if (!specifier.startsWith('./') && !specifier.startsWith('../')) return null;
  return path.posix.normalize(path.posix.join(path.posix.dirname(fromFile), specifier));
}

const within = (file: string, entries: readonly string[]) => entries.some((e) => (e.endsWith('/') ? file.startsWith(e) : file === e));

export function importViolations(files: readonly SourceFile[], rules: readonly ImportRule[] = IMPORT_RULES): ImportViolation[] {
  const violations: ImportViolation[] = [];
  for (const file of files) {
    const applicable = rules.filter((rule) => within(file.path, rule.files));
    if (applicable.length === 0) continue;
    const isTest = file.path.endsWith('.test.ts');
    for (const specifier of importSpecifiers(file.source)) {
      const target = resolveImport(file.path, specifier);
      if (target === null) continue;
      for (const rule of applicable) {
        if (!within(target, rule.forbidden)) continue;
        if (isTest && rule.testsMayImport && within(target, rule.testsMayImport)) continue;
        violations.push({ file: file.path, specifier, target, reason: rule.reason });
      }
    }
  }
  return violations;
}
