// The order state machine as a mermaid stateDiagram-v2, drawn from the lifecycle table (TRANSITIONS and
// ORDER_STATUSES in src/domain/order-lifecycle.ts), so the README's picture cannot drift from the code:
// test/unit/state-diagram.test.ts fails when the block in README.md differs from what this generates.
//
//   node scripts/state-diagram.ts            prints the block
//   node scripts/state-diagram.ts --write    rewrites it in README.md between the marker comments
//                                            (npm run docs:state-diagram; another file: --write <path>)
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ORDER_STATUSES, TRANSITIONS, type OrderStatus, type Transition } from '../src/domain/order-lifecycle.ts';

export const BEGIN_MARKER = '<!-- state-diagram:begin -->';
export const END_MARKER = '<!-- state-diagram:end -->';

/** The arrow's label: the transition's name, then what else it does. */
function label(name: string, t: Transition): string {
  const effects = [
    ...(t.to === null ? ['row removed'] : []),
    ...(t.releasesStock ? ['releases stock'] : []),
    ...(t.event === null ? [] : [`announces ${t.event}`]),
  ];
  return effects.length === 0 ? name : `${name} (${effects.join(', ')})`;
}

/**
 * The mermaid block (fenced) for a lifecycle table: `[*]` into every status no transition leads to, one arrow per
 * (from status, transition) labelled with the transition, a deletion (to null) back to `[*]`, and every final status
 * (one no transition leaves) to `[*]`. Statuses and transitions come out in table order. Pure.
 */
export function stateDiagram(
  transitions: Readonly<Record<string, Transition>> = TRANSITIONS,
  statuses: readonly OrderStatus[] = ORDER_STATUSES,
): string {
  const table = Object.entries(transitions);
  const lines = ['```mermaid', 'stateDiagram-v2'];
  for (const status of statuses) {
    if (!table.some(([, t]) => t.to === status)) lines.push(`  [*] --> ${status}`);
  }
  for (const from of statuses) {
    for (const [name, t] of table) {
      if (t.from.includes(from)) lines.push(`  ${from} --> ${t.to ?? '[*]'}: ${label(name, t)}`);
    }
  }
  for (const status of statuses) {
    if (!table.some(([, t]) => t.from.includes(status))) lines.push(`  ${status} --> [*]`);
  }
  lines.push('```');
  return lines.join('\n');
}

function markerPositions(text: string): { begin: number; end: number } {
  const begin = text.indexOf(BEGIN_MARKER);
  const end = text.indexOf(END_MARKER);
  if (begin < 0 || end < 0 || end < begin || text.indexOf(BEGIN_MARKER, begin + 1) >= 0) {
    throw new Error(`expected one ${BEGIN_MARKER} followed by one ${END_MARKER}`);
  }
  return { begin: begin + BEGIN_MARKER.length, end };
}

/** What stands between the markers, without the blank lines around it. */
export function diagramBlockIn(text: string): string {
  const { begin, end } = markerPositions(text);
  return text.slice(begin, end).trim();
}

/** `text` with the block between the markers replaced by `block` (blank lines around it, as Prettier keeps them). */
export function replaceDiagramBlock(text: string, block: string): string {
  const { begin, end } = markerPositions(text);
  return `${text.slice(0, begin)}\n\n${block}\n\n${text.slice(end)}`;
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const block = stateDiagram();
  if (args[0] === '--write') {
    const file = args[1] ?? fileURLToPath(new URL('../README.md', import.meta.url));
    const text = readFileSync(file, 'utf8');
    const next = replaceDiagramBlock(text, block);
    if (next !== text) writeFileSync(file, next);
    console.log(next === text ? `${file}: state diagram already up to date` : `${file}: state diagram rewritten`);
  } else if (args.length === 0) {
    console.log(block);
  } else {
    console.error('usage: node scripts/state-diagram.ts [--write [file]]');
    process.exit(2);
  }
}
