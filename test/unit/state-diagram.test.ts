// The README's state diagram is generated from the lifecycle table (scripts/state-diagram.ts): the block between its
// markers must be exactly what the generator draws today, and the generator must follow the table it is given.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from '@jest/globals';
import { ORDER_STATUSES, TRANSITIONS, type Transition } from '../../src/domain/order-lifecycle.ts';
import { BEGIN_MARKER, END_MARKER, diagramBlockIn, replaceDiagramBlock, stateDiagram } from '../../scripts/state-diagram.ts';

const read = (path: string) => readFile(new URL(`../../${path}`, import.meta.url), 'utf8');

describe('order state diagram', () => {
  it('when the README shows the state diagram, then it is what npm run docs:state-diagram generates', async () => {
    const readme = await read('README.md');
    // On failure: run `npm run docs:state-diagram` and commit README.md.
    expect(diagramBlockIn(readme)).toBe(stateDiagram());
  });

  it('when drawn from the lifecycle table, then every (status, transition) pair is one labelled arrow', () => {
    const lines = stateDiagram().split('\n');
    expect(lines.slice(0, 2)).toEqual(['```mermaid', 'stateDiagram-v2']);
    expect(lines.at(-1)).toBe('```');
    expect(lines).toContain('  [*] --> Pending');
    expect(lines).toContain('  Pending --> Processing: start');
    expect(lines).toContain('  Processing --> Completed: complete (announces OrderCompleted)');
    expect(lines).toContain('  Processing --> Expired: expire (releases stock, announces OrderExpired)');
    expect(lines).toContain('  Pending --> [*]: delete (row removed, releases stock)');
    for (const final of ['Completed', 'Cancelled', 'Expired']) expect(lines).toContain(`  ${final} --> [*]`);
    const pairs = Object.values(TRANSITIONS).reduce((n, t) => n + t.from.length, 0);
    expect(lines.filter((line) => /^ {2}\w+ --> .+: /.test(line))).toHaveLength(pairs);
    // Mermaid ends a transition's label at `#` or `;`.
    expect(lines.filter((line) => /[#;]/.test(line))).toEqual([]);
  });

  it('when the table changes, then the diagram follows it', () => {
    const refund: Transition = { from: ['Completed'], to: 'Cancelled', releasesStock: false, event: 'OrderRefunded' };
    const lines = stateDiagram({ ...TRANSITIONS, refund }, ORDER_STATUSES).split('\n');
    expect(lines).toContain('  Completed --> Cancelled: refund (announces OrderRefunded)');
    // Completed is no longer final; Cancelled and Expired still are.
    expect(lines).not.toContain('  Completed --> [*]');
    expect(lines).toContain('  Cancelled --> [*]');
  });

  it('when the block is rewritten, then only the text between the markers changes', () => {
    const page = `# Title\n\n${BEGIN_MARKER}\n\nold\n\n${END_MARKER}\n\nafter\n`;
    const rewritten = replaceDiagramBlock(page, 'new');
    expect(rewritten).toBe(`# Title\n\n${BEGIN_MARKER}\n\nnew\n\n${END_MARKER}\n\nafter\n`);
    expect(diagramBlockIn(rewritten)).toBe('new');
    expect(replaceDiagramBlock(rewritten, 'new')).toBe(rewritten);
    expect(() => diagramBlockIn('no markers')).toThrow(BEGIN_MARKER);
    expect(() => replaceDiagramBlock(`${END_MARKER}\n${BEGIN_MARKER}`, 'x')).toThrow();
  });
});
