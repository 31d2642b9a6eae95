/**
 * The floors of marketlake, enforced (ARCHITECTURE.md, "Floors and front doors"):
 *
 *   common → lake → {producers, streaming, transforms} → workflows → api → cli
 *
 * - A folder imports only from its own floor's folder and the floors below it; siblings on one
 *   floor talk through Kafka and the lake, not imports (their tests may use each other).
 * - stack/ (local infrastructure), grafana/ and prometheus/ (dashboards and scrape config as code)
 *   stand beside the floors: only cli/, bench/ and tests use them; they use only common/.
 * - test/ (infra, fixtures, test/support) and bench/ are used by tests and benchmarks only.
 * - A folder with a front door (its index.ts) is entered only through it. Inside the folder,
 *   and from its own test helpers (test/support/<folder>/ or test/support/<folder>-*.ts),
 *   anything goes.
 * - No circles.
 * - Workflow files (the Temporal sandbox bundle) import no Node built-in. That they import
 *   activities only as types, through no chain of value imports, is checked by
 *   .ci/workflow-sandbox.mjs (this parser does not tell type imports from value imports).
 *
 * Run: `npm run deps` (also part of `npm test`). test/dependency-rules.test.ts plants violations.
 */

/** The floors, bottom up. */
const FLOORS = [['common'], ['lake'], ['producers', 'streaming', 'transforms'], ['workflows'], ['api'], ['cli']];
/** Beside the floors: used by cli/, bench/ and tests only. */
const INFRA = ['stack', 'grafana', 'prometheus'];
/** Folders entered only through their index.ts. */
const FRONT_DOORS = ['lake', 'producers', 'streaming', 'transforms', 'workflows', 'api', 'common/events'];

const TEST_FILE = '\\.test\\.ts$';


const floorOf = (folder) => FLOORS.findIndex((f) => f.includes(folder));
const any = (folders) => `^(${folders.join('|')})/`;

const floorRules = FLOORS.flatMap((floor, level) =>
  floor.map((folder) => {
    const above = FLOORS.slice(level + 1).flat();
    const siblings = floor.filter((f) => f !== folder);
    return [
      above.length > 0 && {
        name: `floor-${folder}-imports-no-higher-floor`,
        comment: `${folder}/ sits on floor ${level}: it may not import ${above.join(', ')} (ARCHITECTURE.md, Floors)`,
        severity: 'error',
        from: { path: `^${folder}/` },
        to: { path: any(above) },
      },
      siblings.length > 0 && {
        name: `floor-${folder}-imports-no-sibling`,
        comment: `${folder}/ and ${siblings.join(', ')} share a floor and meet through Kafka and the lake; only tests may import a sibling (through its front door)`,
        severity: 'error',
        from: { path: `^${folder}/`, pathNot: TEST_FILE },
        to: { path: any(siblings) },
      },
    ].filter(Boolean);
  }),
).flat();

const rules = [
  {
    name: 'no-circular',
    comment: 'A circle of imports has no bottom: break it by moving the shared concept into a module of its own.',
    severity: 'error',
    from: {},
    to: { circular: true },
  },
  ...floorRules,
  {
    name: 'infra-only-for-cli-bench-and-tests',
    comment: `${INFRA.join(', ')} are local infrastructure and its configuration: services never import them, only cli/, bench/, test/ and test files do`,
    severity: 'error',
    from: { path: any(FLOORS.flat().filter((f) => f !== 'cli')), pathNot: TEST_FILE },
    to: { path: any(INFRA) },
  },
  {
    name: 'infra-imports-only-common',
    comment: 'stack/ may use common/, grafana/ and prometheus/; grafana/ and prometheus/ only common/',
    severity: 'error',
    from: { path: any(INFRA), pathNot: TEST_FILE },
    to: { path: '^[^/]+/', pathNot: ['^(common|node_modules)/', '^(stack|grafana|prometheus)/'] },
  },
  {
    name: 'infra-dashboards-import-no-stack',
    severity: 'error',
    from: { path: '^(grafana|prometheus)/', pathNot: TEST_FILE },
    to: { path: '^stack/' },
  },
  {
    name: 'production-imports-no-test-code',
    comment: 'test/ (infra, fixtures, test/support) and bench/ serve tests and benchmarks; production code never imports them',
    severity: 'error',
    from: { pathNot: [TEST_FILE, '^(test|bench)/'] },
    to: { path: '^(test|bench)/' },
  },
  {
    name: 'nothing-imports-bench',
    severity: 'error',
    from: { pathNot: '^bench/' },
    to: { path: '^bench/' },
  },
  ...FRONT_DOORS.map((folder) => ({
    name: `front-door-${folder.replace('/', '-')}`,
    comment: `${folder}/ is entered only through ${folder}/index.ts (its own files and its test support, test/support/${folder}/ or test/support/${folder}-*.ts, excepted)`,
    severity: 'error',
    from: { pathNot: [`^${folder}/`, `^test/support/${folder}(/|-)`] },
    to: { path: `^${folder}/`, pathNot: `^${folder}/index\\.ts$` },
  })),
  {
    name: 'workflow-sandbox-no-node-builtins',
    comment: "Temporal runs workflow code in a deterministic sandbox: Node built-ins are not there (workflows/**/workflow.ts, workflows/workflows.ts)",
    severity: 'error',
    from: { path: ['^workflows/workflows\\.ts$', '^workflows/[^/]+/workflow\\.ts$', '^workflows/workflow\\.ts$'] },
    to: { dependencyTypes: ['core'] },
  },
];

module.exports = {
  forbidden: rules,
  options: {
    // TypeScript 7 has no JavaScript API for dependency-cruiser's TypeScript extractor; swc (which
    // Temporal's worker already installs) parses the sources.
    parser: 'swc',
    // The project's code (and what it imports: packages and Node built-ins, not followed).
    exclude: { path: ['(^|/)node_modules/', '^lake/data/', '^\\.[^/]', '^(coverage|patches)/', '^[^/]+\\.[a-z]+$'] },
    doNotFollow: { path: 'node_modules' },
    moduleSystems: ['es6', 'cjs'],
    reporterOptions: { text: { highlightFocused: true } },
  },
};
