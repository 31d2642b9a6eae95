/** Every gold model, one a file. The runner orders them by their inputs. */
import type { Model } from '../model.ts';
import { indicatorsModel } from './indicators.ts';

export const MODELS: readonly Model[] = [indicatorsModel];
