// Every variable the config module reads is documented: a row of a configuration table in docs/configuration.md and a
// line of .env.example; and every variable those tables name is one the app reads. Pure file reading.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from '@jest/globals';
import { configVariables } from '../../src/config.ts';

const read = (path: string) => readFile(new URL(`../../${path}`, import.meta.url), 'utf8');

/** The first cell of every table row that starts with a code span: the configuration tables' variable columns. */
async function documentedRows(): Promise<string[]> {
  const page = await read('docs/configuration.md');
  return page
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .map((row) => row.split('|')[1]!);
}

describe('configuration documentation', () => {
  it('when the app reads a variable, then docs/configuration.md has a table row for it and .env.example a line', async () => {
    const rows = await documentedRows();
    const example = await read('.env.example');
    const undocumented = configVariables.filter((name) => !rows.some((cell) => cell.includes(`\`${name}\``)));
    const missingExample = configVariables.filter((name) => !new RegExp(`^(# )?${name}=`, 'm').test(example));
    expect({ undocumented, missingExample }).toEqual({ undocumented: [], missingExample: [] });
  });

  it('when docs/configuration.md has a table row for a variable, then the app reads it', async () => {
    const named = (await documentedRows()).flatMap((cell) => [...cell.matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((m) => m[1]!));
    expect(named.length).toBeGreaterThan(0);
    expect(named.filter((name) => !configVariables.includes(name))).toEqual([]);
  });
});
