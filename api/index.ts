/**
 * The api folder's front door: what other folders (the CLI) use. Its tests' helpers live in
 * test/support/api-*.ts and may reach inside (ARCHITECTURE.md, "Floors and front doors").
 */
export { runApi } from './main.ts';
