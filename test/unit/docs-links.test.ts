// The README stays short enough to read in ten minutes, and the documentation's relative links and images resolve:
// every linked file exists, and every `#anchor` names a heading of its page (GitHub's slugs). Pure file reading.
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';

const root = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string) => readFile(join(root, path), 'utf8');

async function pages(): Promise<string[]> {
  const docs = (await readdir(join(root, 'docs'))).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`);
  return ['README.md', ...docs.sort()];
}

/** Markdown without its fenced code blocks (their contents are not links). */
const withoutCode = (text: string) => text.replace(/^```[\s\S]*?^```/gm, '');

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchorsOf(text: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const [, heading] of withoutCode(text).matchAll(/^#{1,6} (.+)$/gm)) {
    const base = heading!
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

/** Every link or image target of a page that is not a URL. */
const relativeTargets = (text: string) =>
  [...withoutCode(text).matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((target) => !/^[a-z]+:/.test(target));

describe('documentation', () => {
  it('when a newcomer opens the README, then it has at most 250 lines of at most 120 characters', async () => {
    const lines = (await read('README.md')).replace(/\n$/, '').split('\n');
    expect(lines.length).toBeLessThanOrEqual(250);
    // Bytes, as `awk 'length > 120'` counts them: a table's arrows and dashes must not push a line past the limit.
    const wide = lines.map((line, i) => ({ line: i + 1, length: Buffer.byteLength(line) })).filter((l) => l.length > 120);
    expect(wide).toEqual([]);
  });

  it('when a page links to a file or an anchor, then the file and the heading exist', async () => {
    const broken: string[] = [];
    for (const page of await pages()) {
      const text = await read(page);
      for (const target of relativeTargets(text)) {
        const [path, anchor] = target.split('#') as [string, string | undefined];
        const file = path === '' ? page : normalize(join(dirname(page), path));
        if (!existsSync(join(root, file))) {
          broken.push(`${page}: ${target} (no ${file})`);
        } else if (anchor !== undefined && file.endsWith('.md') && !anchorsOf(await read(file)).has(anchor)) {
          broken.push(`${page}: ${target} (no heading #${anchor} in ${file})`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it('when the README says where to go next, then it links every page under docs/', async () => {
    const readme = await read('README.md');
    const next = readme.slice(readme.indexOf('\n## Where to go next\n'));
    const linked = new Set(relativeTargets(next).map((target) => target.split('#')[0]));
    const docs = (await pages()).filter((page) => page.startsWith('docs/'));
    expect(docs.filter((page) => !linked.has(page))).toEqual([]);
  });
});
