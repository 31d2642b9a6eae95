/**
 * transforms: what turns bronze and silver into gold, in DuckDB SQL over the lake's views.
 * Imports only `common` and `lake`.
 * - `checks/`: the data-quality checks (issue 15), their runner and their result tables.
 */
export * from './checks/index.ts';
