// Worker Deployment Versioning settings: the defaults, a build id derived from the workflow sources (changed workflow
// code is a new build, type-only imports do not count), a versioned worker without a usable build id refused naming
// the setting, and the deploy command line. Pure: reads and copies files only.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { deploymentVersion, valueImports, workflowBuildId, workflowSources } from '../../src/temporal/build-id.ts';
import { formatStatus, parseDeployArgs } from '../../scripts/deploy.ts';
import { eagerStartApplies } from '../../src/roles/resources.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const copies: string[] = [];
afterAll(() => copies.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A copy of the workflow sources (workflows/ and src/domain/) in a directory of its own, as another checkout. */
function checkout(): { root: string; entry: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'build-id-'));
  copies.push(dir);
  cpSync(path.join(root, 'workflows'), path.join(dir, 'workflows'), { recursive: true });
  cpSync(path.join(root, 'src/domain'), path.join(dir, 'src/domain'), { recursive: true });
  return { root: dir, entry: path.join(dir, 'workflows/index.ts') };
}

describe('worker versioning settings', () => {
  it('when nothing is set, then versioning is off, the deployment is order-saga and the build id is derived', () => {
    const config = loadConfig({});
    expect([config.WORKER_VERSIONING, config.WORKER_DEPLOYMENT_NAME, config.WORKER_BUILD_ID]).toEqual([false, 'order-saga', undefined]);
    expect(deploymentVersion(config)).toEqual({ deploymentName: 'order-saga', buildId: workflowBuildId() });
  });

  it('when the build id is empty or has a space, then start-up is refused naming WORKER_BUILD_ID', () => {
    for (const value of ['', 'build 2'])
      expect(() => loadConfig({ WORKER_VERSIONING: 'true', WORKER_BUILD_ID: value })).toThrow(/WORKER_BUILD_ID: letters, digits/);
    expect(() => loadConfig({ WORKER_DEPLOYMENT_NAME: 'order.saga' })).toThrow(/WORKER_DEPLOYMENT_NAME/);
    expect(loadConfig({ WORKER_BUILD_ID: '2026-12-06.1' }).WORKER_BUILD_ID).toBe('2026-12-06.1');
  });

  it('when no build id is set and none can be derived, then the worker is refused naming WORKER_BUILD_ID', () => {
    const config = loadConfig({ WORKER_VERSIONING: 'true' });
    const derive = () => {
      throw new Error('ENOENT: workflows/index.ts');
    };
    expect(() => deploymentVersion(config, derive)).toThrow(ConfigError);
    expect(() => deploymentVersion(config, derive)).toThrow(/WORKER_BUILD_ID: unset, and no build id could be derived/);
    expect(deploymentVersion({ ...config, WORKER_BUILD_ID: 'b7' }, derive).buildId).toBe('b7');
  });
});

describe('the derived build id', () => {
  it('when the imports of a module are read, then type-only imports and packages are left out', () => {
    const source = [
      "import type { A } from './a.ts';",
      "import { b, type C } from './b.ts';",
      "export { d } from '../d.ts';",
      "export type { E } from './e.ts';",
      "import { sleep } from '@temporalio/workflow';",
      "// import { f } from './f.ts';",
    ].join('\n');
    expect(valueImports(source)).toEqual(['./b.ts', '../d.ts']);
  });

  it('when the workflow bundle is built, then its sources are the workflows and the lifecycle table they use', () => {
    expect(workflowSources(path.join(root, 'workflows/index.ts')).map((s) => s.file)).toEqual([
      'src/domain/order-lifecycle.ts',
      'workflows/index.ts',
      'workflows/order.definitions.ts',
      'workflows/order.workflow.ts',
    ]);
  });

  it('when another checkout has the same workflow code, then it is the same build; a changed workflow is another', () => {
    const same = checkout();
    expect(workflowBuildId(same.entry, same.root)).toBe(workflowBuildId());
    const changed = checkout();
    const file = path.join(changed.root, 'workflows/order.workflow.ts');
    writeFileSync(file, readFileSync(file, 'utf8').replace("startToCloseTimeout: '30s'", "startToCloseTimeout: '45s'"));
    expect(workflowBuildId(changed.entry, changed.root)).not.toBe(workflowBuildId());
    expect(workflowBuildId()).toMatch(/^wf-[0-9a-f]{12}$/);
  });
});

describe('npm run deploy', () => {
  it('when the command line is read, then each command takes its arguments and anything else is refused with the usage', () => {
    expect(parseDeployArgs(['status'])).toEqual({ kind: 'status' });
    expect(parseDeployArgs(['current', 'wf-1'])).toEqual({ kind: 'current', buildId: 'wf-1' });
    expect(parseDeployArgs(['ramp', 'wf-1', '25'])).toEqual({ kind: 'ramp', buildId: 'wf-1', percent: 25 });
    expect(() => parseDeployArgs(['ramp', 'wf-1', '120'])).toThrow(/0 to 100/);
    for (const args of [[], ['current'], ['ramp', 'wf-1'], ['promote', 'wf-1'], ['status', 'x']])
      expect(() => parseDeployArgs(args)).toThrow(/usage: npm run deploy/);
  });

  it('when the status is shown, then each build says whether it is current and how many orders it still holds', () => {
    const text = formatStatus(
      {
        deploymentName: 'order-saga',
        exists: true,
        current: 'wf-b',
        ramping: null,
        builds: [
          { buildId: 'wf-b', status: 'current', drainage: undefined, openWorkflows: 3, pollers: ['w1', 'w2'] },
          { buildId: 'wf-a', status: 'draining', drainage: 'draining', openWorkflows: 7, pollers: ['w3'] },
        ],
        unversionedPollers: [],
      },
      'wf-b',
    );
    expect(text).toContain('current: wf-b');
    expect(text).toContain('build wf-b (this checkout): current, 3 open order workflows pinned to it, 2 workers seen polling');
    expect(text).toContain('build wf-a: draining (draining), 7 open order workflows pinned to it, 1 workers seen polling');
  });
});

describe('eager workflow start (the bridge beside a worker)', () => {
  const settings = (env: Record<string, string> = {}) => loadConfig({ ...env });

  it('when the process runs the bridge and the worker, then the bridge starts workflows eagerly', () => {
    expect(eagerStartApplies(settings(), ['worker', 'notifier', 'bridge', 'relay', 'api', 'reconciler'])).toBe(true);
  });

  it('when the worker runs elsewhere, versioning is on, or BRIDGE_EAGER_START=false, then it does not', () => {
    expect(eagerStartApplies(settings(), ['bridge'])).toBe(false);
    expect(eagerStartApplies(settings({ WORKER_VERSIONING: 'true', WORKER_BUILD_ID: 'b1' }), ['worker', 'bridge'])).toBe(false);
    expect(eagerStartApplies(settings({ BRIDGE_EAGER_START: 'false' }), ['worker', 'bridge'])).toBe(false);
  });
});
