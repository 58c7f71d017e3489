/**
 * The layer rules of fusionrec (docs/architecture.md), checked in CI: `npm run depcheck`.
 * Read path: serve/cli -> engine -> profile -> signals (model) -> retrieve -> rank -> explain.
 * Nothing that serves imports training or evaluation code; no folder depends on itself through others.
 */
const SERVING = '^src/(serve|engine|bus|cache|profile|retrieve|rank|index|store|encode|generate|model|config|core)/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'modules form no cycle',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-folder-cycles',
      severity: 'error',
      comment: 'folders form no cycle (a folder that reaches itself through others is one layer, not two)',
      scope: 'folder',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'serving-not-training',
      severity: 'error',
      comment: 'nothing on the serving path imports the training pipeline (src/train) or the evaluation (src/eval)',
      from: { path: SERVING, pathNot: '\\.test\\.ts$' },
      to: { path: '^src/(train|eval)/' },
    },
    {
      name: 'only-cli-runs-evaluation',
      severity: 'error',
      comment: 'the evaluation harness is reached from the CLI and benchmarks only',
      from: { path: '^src/', pathNot: '^src/(cli|eval)/' },
      to: { path: '^src/eval/' },
    },
    {
      name: 'core-is-a-leaf',
      severity: 'error',
      comment: 'src/core holds domain types, errors and small pure helpers: it imports nothing of the project',
      from: { path: '^src/core/' },
      to: { path: '^src/', pathNot: '^src/core/' },
    },
    {
      name: 'config-imports-core-only',
      severity: 'error',
      comment: 'the config schema owns every section: it does not import engine, encode or any other layer',
      from: { path: '^src/config/' },
      to: { path: '^src/', pathNot: '^src/(config|core)/' },
    },
    {
      name: 'retrievers-not-ranker',
      severity: 'error',
      comment: "retrievers take the profile and the request's signals, not the ranker's query object",
      from: { path: '^src/retrieve/', pathNot: '\\.test\\.ts$' },
      to: { path: '^src/rank/' },
    },
    {
      name: 'read-path-never-climbs-back',
      severity: 'error',
      comment: 'profile -> model -> retrieve -> rank: a lower layer never imports a higher one',
      from: { path: '^src/(core|config|store|bus|cache|index|profile|model|seq|retrieve|rank)/' },
      to: { path: '^src/(engine|serve|cli|train|eval|demo|ingest)/' },
    },
    {
      name: 'engine-not-edges',
      severity: 'error',
      comment: 'the engine is called by the edges (serve, cli), never the other way round',
      from: { path: '^src/engine/' },
      to: { path: '^src/(serve|cli|train|eval|demo)/' },
    },
    {
      name: 'no-test-imports-in-product',
      severity: 'error',
      comment: 'product code never imports a test or a test fixture (contract suites are imported by tests only)',
      from: { path: '^src/', pathNot: '/contract\\.ts$' },
      to: { path: '^tests/|/contract\\.ts$' },
    },
    {
      name: 'no-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // unit tests sit beside their modules and may import fixtures from tests/: the rules are about product code
    exclude: { path: '\\.test\\.ts$' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
