/** Types for the `sentiment` npm package (AFINN-165 word scores), which ships none. */
declare module 'sentiment' {
  interface AnalysisResult {
    score: number;
    comparative: number;
    calculation: Record<string, number>[];
    tokens: string[];
    words: string[];
    positive: string[];
    negative: string[];
  }
  interface AnalyzeOptions {
    extras?: Record<string, number>;
    language?: string;
  }
  class Sentiment {
    analyze(phrase: string, options?: AnalyzeOptions): AnalysisResult;
  }
  export default Sentiment;
}
