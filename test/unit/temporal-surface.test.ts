// Temporal's surface is declared once: the custom search attributes come from `searchAttributes` in
// workflows/order.definitions.ts. The no-Docker stack reads them through scripts/search-attributes.ts; the compose
// file cannot run code, so its list is checked here against the definition. Pure file reading, no servers.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from '@jest/globals';
import { cliTypeNames, searchAttributeFlags } from '../../scripts/search-attributes.ts';
import { searchAttributes } from '../../workflows/order.definitions.ts';

const read = (path: string) => readFile(new URL(`../../${path}`, import.meta.url), 'utf8');

/** What the definition declares, as name and CLI type name (`OrderId`, `Keyword`), sorted by name. */
const defined = () =>
  Object.values(searchAttributes)
    .map((key) => ({ name: key.name, type: cliTypeNames[key.type] }))
    .sort((a, b) => a.name.localeCompare(b.name));

/** The values given to `--search-attribute` (as `--search-attribute X` or `--search-attribute=X`) in `args`. */
function searchAttributeArgs(args: string[]): Array<{ name: string; type: string }> {
  const values: string[] = [];
  args.forEach((arg, i) => {
    if (arg === '--search-attribute') values.push(args[i + 1] ?? '');
    else if (arg.startsWith('--search-attribute=')) values.push(arg.slice('--search-attribute='.length));
  });
  return values
    .map((value) => {
      const match = /^([^=]+)=([^=]+)$/.exec(value);
      if (!match) throw new Error(`--search-attribute ${JSON.stringify(value)} is not Name=Type`);
      return { name: match[1]!, type: match[2]! };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * The block-list `command:` of a compose service (`services: <name>: command:` followed by `- arg` lines), with
 * comments skipped and quotes removed. Enough YAML for this file; anything else fails loudly rather than reads empty.
 */
function composeCommand(yaml: string, service: string): string[] {
  const lines = yaml.split('\n');
  const indent = (line: string) => line.length - line.trimStart().length;
  const skip = (line: string) => line.trim() === '' || line.trimStart().startsWith('#');
  const services = lines.indexOf('services:');
  if (services < 0) throw new Error('no top-level services: in the compose file');
  const start = lines.findIndex((line, i) => i > services && line === `  ${service}:`);
  if (start < 0) throw new Error(`no service ${service} in the compose file`);
  const end = lines.findIndex((line, i) => i > start && !skip(line) && indent(line) <= 2);
  const body = lines.slice(start + 1, end < 0 ? undefined : end);
  const at = body.findIndex((line) => /^ {4}command:\s*$/.test(line));
  if (at < 0) throw new Error(`service ${service} has no block-list command:`);
  const args: string[] = [];
  for (const line of body.slice(at + 1)) {
    if (skip(line)) continue;
    const item = /^ {6}- (.*)$/.exec(line);
    if (!item) break;
    args.push(item[1]!.trim().replace(/^'(.*)'$|^"(.*)"$/, (_, single?: string, double?: string) => single ?? double ?? ''));
  }
  if (args.length === 0) throw new Error(`service ${service}'s command: lists no arguments`);
  return args;
}

describe('Temporal search attributes, declared once', () => {
  it('when the definition has custom search attributes, then the flag script prints each as Name=Type for the CLI', () => {
    const flags = searchAttributeFlags();
    expect([...flags].sort()).toEqual(defined().map(({ name, type }) => `${name}=${type}`));
    // The types `temporal server start-dev --help` accepts.
    for (const flag of flags) expect(flag).toMatch(/^[A-Za-z_][A-Za-z0-9_]*=(Text|Keyword|Int|Double|Bool|Datetime|KeywordList)$/);
  });

  it("when docker-compose.yml starts the Temporal dev server, then its --search-attribute args are exactly the definition's", async () => {
    const command = composeCommand(await read('docker-compose.yml'), 'temporal');
    expect(command.slice(0, 2)).toEqual(['server', 'start-dev']);
    expect(searchAttributeArgs(command)).toEqual(defined());
  });

  it("when docker-compose.yml's production profile sets up its Temporal cluster, then it registers exactly the definition's", async () => {
    const yaml = await read('docker-compose.yml');
    const service = yaml.slice(yaml.indexOf('\n  prod-temporal-setup:\n'));
    const list = /for attribute in ([^;\n]+); do/.exec(service.slice(0, service.indexOf('\n  prod-', 1)));
    if (!list) throw new Error('prod-temporal-setup has no `for attribute in …; do` loop');
    const registered = list[1]!.trim().split(/\s+/);
    expect(searchAttributeArgs(registered.flatMap((pair) => ['--search-attribute', pair]))).toEqual(defined());
  });

  it('when the no-Docker stack starts the dev server, then it takes the search attributes from the flag script, none hard-coded', async () => {
    const script = await read('scripts/provision/temporal.sh');
    expect(script).toContain('node "$SAGA_ROOT/scripts/search-attributes.ts"');
    expect(script).toContain('"${search_attributes[@]}"');
    const code = script.split('\n').filter((line) => !line.trimStart().startsWith('#'));
    expect(code.filter((line) => /--search-attribute\s+\w+=/.test(line))).toEqual([]);
  });
});

describe('production workflow bundle', () => {
  it('when the worker bundles workflows/index.ts, then it serves the order workflow only (test workflows live under test/)', async () => {
    const entry = await import('../../workflows/index.ts');
    expect(Object.keys(entry)).toEqual(['orderWorkflow']);
  });
});
