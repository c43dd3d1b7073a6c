// The arguments of `npm run ops -- dlq list|redrive …` (scripts/ops.ts), validated with the API's own rules so both
// refuse the same mistakes with the same words, and the table the list prints. Pure: no I/O.
import { parseArgs } from 'node:util';
import {
  filterOf,
  MAX_REDRIVE,
  narrows,
  OrderId,
  rangeProblem,
  ReasonName,
  StateName,
  Timestamp,
  TopicName,
  type DeadLetterFilter,
} from './dead-letter-filter.ts';
import type { DeadLetterEntry } from './dead-letter.store.ts';

export type DlqCommand =
  | { command: 'list'; filter: DeadLetterFilter; limit: number; json: boolean }
  | { command: 'redrive'; filter: DeadLetterFilter; dryRun: boolean; json: boolean };

export const DLQ_USAGE = `usage: npm run ops -- dlq list    [--topic T] [--reason R] [--order-id N] [--state dead|redriven] [--from ISO] [--to ISO] [--limit N] [--json]
       npm run ops -- dlq redrive [--topic T] [--reason R] [--order-id N]... [--from ISO] [--to ISO] [--dry-run] [--json]`;

/** A mistake in the command line; its message is meant for the operator. */
export class UsageError extends Error {}

const valid = <T>(
  schema: { safeParse: (v: unknown) => { success: true; data: T } | { success: false; error: { issues: Array<{ message: string }> } } },
  value: unknown,
  option: string,
): T => {
  const result = schema.safeParse(value);
  if (!result.success) throw new UsageError(`--${option}: ${result.error.issues[0]?.message ?? 'invalid'}`);
  return result.data;
};

const integer = (text: string, option: string): number => {
  if (!/^\d{1,10}$/.test(text)) throw new UsageError(`--${option}: '${text}' is not a positive integer`);
  return Number(text);
};

/**
 * Parses the arguments after `dlq`.
 * @example parseDlqCommand(['redrive', '--reason', 'invalid_json', '--dry-run'])
 */
export function parseDlqCommand(argv: string[]): DlqCommand {
  const [command, ...rest] = argv;
  if (command !== 'list' && command !== 'redrive') throw new UsageError(`unknown command '${command ?? ''}'\n${DLQ_USAGE}`);
  let values;
  try {
    ({ values } = parseArgs({
      args: rest,
      strict: true,
      options: {
        topic: { type: 'string' },
        reason: { type: 'string' },
        'order-id': { type: 'string', multiple: true },
        state: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        limit: { type: 'string' },
        'dry-run': { type: 'boolean' },
        json: { type: 'boolean' },
      },
    }));
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n${DLQ_USAGE}`);
  }
  const fields = {
    ...(values.topic !== undefined && { topic: valid(TopicName, values.topic, 'topic') }),
    ...(values.reason !== undefined && { reason: valid(ReasonName, values.reason, 'reason') }),
    ...(values['order-id'] !== undefined && {
      orderIds: values['order-id'].map((id) => valid(OrderId, integer(id, 'order-id'), 'order-id')),
    }),
    ...(values.from !== undefined && { from: valid(Timestamp, values.from, 'from') }),
    ...(values.to !== undefined && { to: valid(Timestamp, values.to, 'to') }),
  };
  const problem = rangeProblem(fields.from, fields.to);
  if (problem) throw new UsageError(problem);
  const json = values.json ?? false;
  if (command === 'list') {
    const state = values.state === undefined ? undefined : valid(StateName, values.state, 'state');
    const limit = values.limit === undefined ? 50 : integer(values.limit, 'limit');
    if (limit < 1 || limit > 500) throw new UsageError('--limit: must be from 1 to 500');
    return { command, filter: filterOf({ ...fields, ...(state && { state }) }), limit, json };
  }
  if (values.state !== undefined || values.limit !== undefined) {
    throw new UsageError(`redrive takes no --state or --limit: it sends 'dead' entries, at most ${MAX_REDRIVE} per run`);
  }
  const filter = filterOf(fields);
  if (!narrows(filter)) throw new UsageError('redrive needs at least one filter: --topic, --reason, --order-id, --from or --to');
  return { command, filter, dryRun: values['dry-run'] ?? false, json };
}

const cut = (text: string, width: number) => (text.length > width ? `${text.slice(0, width - 1)}…` : text);

/** The list as a table, one dead letter a line, reasons cut to fit. */
export function deadLetterTable(entries: DeadLetterEntry[]): string {
  const columns: Array<[string, number, (e: DeadLetterEntry) => string]> = [
    ['id', 8, (e) => String(e.id)],
    ['topic', 24, (e) => e.topic],
    ['code', 22, (e) => e.reasonCode],
    ['order', 10, (e) => (e.orderId === null ? '-' : String(e.orderId))],
    ['tries', 5, (e) => String(e.attempts)],
    ['state', 8, (e) => e.state],
    ['last failed', 24, (e) => e.lastFailedAt],
    ['reason', 60, (e) => e.reason],
  ];
  const line = (cells: string[]) =>
    cells
      .map((c, i) => cut(c, columns[i]![1]).padEnd(columns[i]![1]))
      .join(' ')
      .trimEnd();
  return [line(columns.map(([title]) => title)), ...entries.map((e) => line(columns.map(([, , cell]) => cell(e))))].join('\n');
}
