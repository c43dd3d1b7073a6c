// Every variable the config module reads is documented: a row of README.md's configuration table and a line of
// .env.example. Pure file reading.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from '@jest/globals';
import { configVariables } from '../../src/config.ts';

const read = (path: string) => readFile(new URL(`../../${path}`, import.meta.url), 'utf8');

describe('configuration documentation', () => {
  it('when the app reads a variable, then README.md has a table row for it and .env.example a line', async () => {
    const readme = await read('README.md');
    const section = readme.slice(
      readme.indexOf('\n## Configuration\n'),
      readme.indexOf('\n## ', readme.indexOf('\n## Configuration\n') + 1),
    );
    const rows = section.split('\n').filter((line) => line.startsWith('| `'));
    const example = await read('.env.example');
    const undocumented = configVariables.filter((name) => !rows.some((row) => row.split('|')[1]!.includes(`\`${name}\``)));
    const missingExample = configVariables.filter((name) => !new RegExp(`^(# )?${name}=`, 'm').test(example));
    expect({ undocumented, missingExample }).toEqual({ undocumented: [], missingExample: [] });
  });
});
