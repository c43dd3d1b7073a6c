// The worker's deployment version (Worker Deployment Versioning): its deployment name and build id. Unless
// WORKER_BUILD_ID names one, the build id is derived from the workflow code the worker bundles: every module reachable
// from the bundle's entry through value imports (type-only imports are erased), by path and content, plus the version
// of the workflow SDK. So changed workflow code is a new build, and two checkouts of the same code are the same build.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WorkerDeploymentVersion } from '@temporalio/common';
import { ConfigError, type Config } from '../config.ts';
import { workflowsPath } from './worker.ts';

const projectRoot = fileURLToPath(new URL('../../', import.meta.url));

/** Relative module specifiers of a source's value imports and re-exports (not `import type` / `export type`). */
export function valueImports(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const specifiers: string[] = [];
  // [^;]* keeps a match inside one statement; import and export statements have no `;` before their `from`.
  for (const m of code.matchAll(/(?:^|[;\n])\s*(import|export)\s+(type\s+)?[^;'"]*?\bfrom\s*['"]([^'"]+)['"]/g)) {
    if (!m[2]) specifiers.push(m[3]!);
  }
  for (const m of code.matchAll(/(?:^|[;\n])\s*import\s*['"]([^'"]+)['"]/g)) specifiers.push(m[1]!);
  return specifiers.filter((s) => s.startsWith('.'));
}

/** The files the bundle of `entry` is built from (our own modules), with their paths relative to `root`. */
export function workflowSources(entry: string, root = projectRoot): Array<{ file: string; source: string }> {
  const seen = new Map<string, string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    const source = readFileSync(file, 'utf8');
    seen.set(file, source);
    for (const spec of valueImports(source)) visit(path.resolve(path.dirname(file), spec));
  };
  visit(entry);
  return [...seen].map(([file, source]) => ({ file: path.relative(root, file), source })).sort((a, b) => a.file.localeCompare(b.file));
}

function workflowSdkVersion(): string {
  const require = createRequire(import.meta.url);
  let dir = path.dirname(require.resolve('@temporalio/workflow'));
  while (path.basename(dir) !== 'workflow') dir = path.dirname(dir);
  return (JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string }).version;
}

/** `wf-` and 12 hex digits of a hash of the workflow sources reachable from `entry` and the workflow SDK's version. */
export function workflowBuildId(entry = workflowsPath, root = projectRoot): string {
  const hash = createHash('sha256').update(`@temporalio/workflow@${workflowSdkVersion()}\n`);
  for (const { file, source } of workflowSources(entry, root)) hash.update(`${file}\n${source.length}\n${source}`);
  return `wf-${hash.digest('hex').slice(0, 12)}`;
}

/** The worker's deployment version, or a ConfigError naming the setting when it has no usable build id. */
export function deploymentVersion(
  config: Pick<Config, 'WORKER_DEPLOYMENT_NAME' | 'WORKER_BUILD_ID'>,
  derive: () => string = () => workflowBuildId(),
): WorkerDeploymentVersion {
  let buildId = config.WORKER_BUILD_ID;
  if (buildId === undefined) {
    try {
      buildId = derive();
    } catch (err) {
      throw new ConfigError(
        `invalid configuration:\n  WORKER_BUILD_ID: unset, and no build id could be derived from the workflow sources ` +
          `(${String(err)}); set WORKER_BUILD_ID or WORKER_VERSIONING=false`,
      );
    }
  }
  return { deploymentName: config.WORKER_DEPLOYMENT_NAME, buildId };
}
