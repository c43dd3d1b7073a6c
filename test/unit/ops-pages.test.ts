// The console page as the server renders it: the session's CSRF token filled in, and the redrive form offering exactly
// the topics and reason codes the redrive API takes (a free-text field let a typo become a 400).
import { describe, expect, it } from '@jest/globals';
import { EVENT_TOPICS, REASON_CODES } from '../../src/dead-letters/dead-letter-filter.ts';
import { consolePage } from '../../src/api/ops/ops-pages.ts';

const optionsOf = (html: string, selectId: string) => {
  const select = new RegExp(`<select id="${selectId}"[^>]*>([\\s\\S]*?)</select>`).exec(html)?.[1] ?? '';
  return [...select.matchAll(/<option value="([^"]*)">/g)].map((m) => m[1]);
};

describe('the console page', () => {
  it('when rendered, then it carries the CSRF token and the redrive form offers every topic and reason code, after "any"', async () => {
    const html = await consolePage('token<&>');

    expect(html).toContain('<meta name="csrf-token" content="token&lt;&amp;&gt;" />');
    expect(html).not.toMatch(/\{\{\w+\}\}/);
    expect(optionsOf(html, 'redrive-topic')).toEqual(['', ...EVENT_TOPICS]);
    expect(optionsOf(html, 'redrive-reason')).toEqual(['', ...REASON_CODES]);
  });
});
