/** Get-or-create metric helpers; they live in common/metrics.ts since the worker and API need them too. */
export { counter, gauge, histogram } from '../../common/metrics.ts';
