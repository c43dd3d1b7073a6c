// Build B of the deploy drill: another checkout of the app, generated from this one, whose OrderWorkflow charges the
// payment as an ordinary activity task again (as a provider whose charges last minutes would need) instead of a local
// activity, without a patch. That changes the command sequence: a build-A run replayed on this code meets the
// local-payment patch marker B no longer records (and, once charged, a local-activity marker where B schedules an
// activity task), a non-determinism error. So build A's waiting runs survive the deploy only because they are pinned.
import { cpSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

const CHANGE = {
  from: 'const payments = patched(LOCAL_PAYMENT) ? localPayments : remotePayments;',
  to:
    '// Deploy drill, build B: the charge is an ordinary activity task again, for every run, without a patch.\n' +
    '  const payments = remotePayments;',
};

export type BuildB = { dir: string; main: string; workflowsPath: string; diff: string };

/**
 * Copies the app's code (src/, workflows/, activities/) to `dir`, changes its workflow, and links this checkout's
 * node_modules (a copy of its dependencies would be the same). The copy derives its own build id from its sources.
 */
export function generateBuildB(dir: string): BuildB {
  mkdirSync(dir, { recursive: true });
  for (const part of ['src', 'workflows', 'activities']) cpSync(path.join(root, part), path.join(dir, part), { recursive: true });
  symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  writeFileSync(path.join(dir, 'package.json'), readFileSync(path.join(root, 'package.json')));
  const file = path.join(dir, 'workflows', 'order.workflow.ts');
  const source = readFileSync(file, 'utf8');
  if (!source.includes(CHANGE.from))
    throw new Error(`build B: "${CHANGE.from}" not found in workflows/order.workflow.ts; update chaos/deploy-build.ts`);
  writeFileSync(file, source.replace(CHANGE.from, CHANGE.to));
  return {
    dir,
    main: path.join(dir, 'src', 'main.ts'),
    workflowsPath: path.join(dir, 'workflows', 'index.ts'),
    diff: `--- workflows/order.workflow.ts (build A)\n+++ workflows/order.workflow.ts (build B)\n- ${CHANGE.from}\n+ ${CHANGE.to.replace(/\n/g, '\n+ ')}\n`,
  };
}
