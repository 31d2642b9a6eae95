/** The one workflow bundle entry (Worker `workflowsPath`): every workflow type of the project. */
export * from './backfill/workflow.ts';
export * from './maintenance/workflow.ts';
export * from './gold-build/workflow.ts';
export * from './quality-checks/workflow.ts';
