// The import rules of the code base, checked by `npm run lint` (dependency-cruiser). The saga core reads as one slice
// from the bottom up: pure modules (src/domain, src/lib) at the ground, the engines' clients above them, the use cases
// above those, the composition root (src/roles, src/main.ts) on top. A module may import its own layer or lower ones,
// never a higher one, and no files may import each other in a circle. workflows/ is deterministic code that Temporal
// replays: besides itself it may import only the Temporal workflow API and the pure domain (types of the activities
// are fine: they are erased).

/** Bottom to top; each entry is a list of path patterns. */
const LAYERS = [
  ['^src/domain/', '^src/lib/', '^src/config-engines\\.ts$'],
  ['^workflows/', '^src/config\\.ts$', '^src/metrics/'],
  ['^src/telemetry/'],
  ['^src/logger\\.ts$'],
  ['^src/(db|messaging|temporal)/'],
  ['^src/(outbox|bridge|notifier|health|users|products|dead-letters)/'],
  ['^src/orders/'],
  ['^activities/', '^src/seed/', '^src/reconciler/'],
  ['^src/api/'],
  ['^src/roles/'],
  ['^src/main\\.ts$'],
];

const upward = LAYERS.slice(0, -1).map((layer, i) => ({
  name: `layer-${i + 1}-imports-upwards`,
  comment: `${layer.join(' ')} may import only its own layer or lower ones (.dependency-cruiser.cjs lists the layers)`,
  severity: 'error',
  from: { path: layer },
  to: { path: LAYERS.slice(i + 1).flat(), dependencyTypesNot: ['type-only'] },
}));

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'files that import each other in a circle', from: {}, to: { circular: true } },
    ...upward,
    {
      name: 'workflows-deterministic',
      comment: 'workflow code imports only @temporalio/workflow, @temporalio/common, src/domain and itself (types aside)',
      severity: 'error',
      from: { path: '^workflows/' },
      to: {
        dependencyTypesNot: ['type-only'],
        pathNot: ['^workflows/', '^src/domain/', '@temporalio/(workflow|common)'],
      },
    },
    {
      name: 'domain-pure',
      comment: 'src/domain and src/lib hold pure modules: no I/O clients, nothing of the app above them',
      severity: 'error',
      from: { path: ['^src/domain/', '^src/lib/'] },
      to: { pathNot: ['^src/domain/', '^src/lib/', '^zod', 'node_modules/zod/', '^node:', '^(net|crypto)$'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    includeOnly: '^(src|workflows|activities)/',
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    moduleSystems: ['es6'],
  },
};
