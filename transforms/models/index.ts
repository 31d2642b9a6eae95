/** Every gold model, one a file. The runner orders them by their inputs. */
import type { Model } from '../model.ts';
import { alertsModel } from './alerts.ts';
import { coverageModel } from './coverage.ts';
import { indicatorsModel } from './indicators.ts';
import { marketOverviewModel } from './market-overview.ts';
import { marketSentimentModel } from './market-sentiment.ts';
import { sentimentModel } from './sentiment.ts';
import { signalsModel } from './signals.ts';
import { whaleTradesModel } from './whale-trades.ts';

export const MODELS: readonly Model[] = [indicatorsModel, signalsModel, whaleTradesModel, alertsModel, sentimentModel, marketSentimentModel, marketOverviewModel, coverageModel];
