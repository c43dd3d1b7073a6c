// The workflow's custom search attributes, from their one definition (`searchAttributes` in
// workflows/order.definitions.ts), as `temporal server start-dev --search-attribute` values: one `Name=Type` line
// each, e.g. `OrderId=Keyword`. scripts/provision/temporal.sh starts the dev server with them, and
// test/unit/temporal-surface.test.ts checks that docker-compose.yml (which cannot run this) lists the same.
// Usage: node scripts/search-attributes.ts
import type { SearchAttributeType } from '@temporalio/common';
import { searchAttributes } from '../workflows/order.definitions.ts';

/** The Temporal CLI's name of each search attribute type. */
export const cliTypeNames: Record<SearchAttributeType, string> = {
  TEXT: 'Text',
  KEYWORD: 'Keyword',
  INT: 'Int',
  DOUBLE: 'Double',
  BOOL: 'Bool',
  DATETIME: 'Datetime',
  KEYWORD_LIST: 'KeywordList',
};

/** `Name=Type` for each defined search attribute, in definition order. */
export const searchAttributeFlags = (): string[] => Object.values(searchAttributes).map((key) => `${key.name}=${cliTypeNames[key.type]}`);

if (import.meta.main) console.log(searchAttributeFlags().join('\n'));
