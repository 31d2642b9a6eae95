/** Every activity of the project, built from one set of dependencies (see activity-deps.ts). */
import type { ActivityDeps } from './activity-deps.ts';
import { createBackfillActivities } from './backfill/activities.ts';
import { createMaintenanceActivities } from './maintenance/activities.ts';
import { createGoldActivities } from './gold-build/activities.ts';
import { createQualityActivities } from './quality-checks/activities.ts';

export function createActivities(deps: ActivityDeps) {
  return {
    ...createBackfillActivities(deps),
    ...createMaintenanceActivities(deps),
    ...createGoldActivities(deps),
    ...createQualityActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
