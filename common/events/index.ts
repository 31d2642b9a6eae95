/** Normalised events shared by producers, streaming, workflows and the API. */
export * from './trade.ts';
export * from './deadletter.ts';
