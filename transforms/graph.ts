/**
 * The model graph: an edge from each model to the models that read its output. Runs go in
 * topological order; `--select` takes dbt's syntax: `name` (that model), `name+` (it and
 * everything downstream), `+name` (everything upstream and it).
 */
import { DEFAULT_GOLD_CONFIG, type GoldConfig } from './config.ts';
import { lookbackDaysOf, outputTableOf, type Model } from './model.ts';

export class UnknownModelError extends Error {
  constructor(readonly selector: string, known: readonly string[]) {
    super(`--select ${selector}: no model of that name (models: ${known.join(', ')})`);
    this.name = 'UnknownModelError';
  }
}

export class ModelGraph {
  private readonly byName = new Map<string, Model>();
  private readonly byOutput = new Map<string, Model>();

  constructor(models: readonly Model[]) {
    for (const m of models) {
      if (this.byName.has(m.name)) throw new Error(`model ${m.name} defined twice`);
      if (m.output.name !== outputTableOf(m)) throw new Error(`model ${m.name}: output table must be ${outputTableOf(m)}, not ${m.output.name}`);
      this.byName.set(m.name, m);
      this.byOutput.set(outputTableOf(m), m);
    }
    this.ordered(); // throws on a cycle
  }

  get models(): Model[] {
    return [...this.byName.values()];
  }

  model(name: string): Model {
    const m = this.byName.get(name);
    if (!m) throw new UnknownModelError(name, [...this.byName.keys()]);
    return m;
  }

  /** The models whose output `model` reads. */
  parents(model: Model): Model[] {
    return model.inputs.map((i) => this.byOutput.get(i)).filter((m): m is Model => m !== undefined);
  }

  children(model: Model): Model[] {
    return this.models.filter((m) => m.inputs.includes(outputTableOf(model)));
  }

  /** Every model, parents before children (ties by name, so the order is stable). */
  ordered(): Model[] {
    const out: Model[] = [];
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (m: Model, path: string[]) => {
      const s = state.get(m.name);
      if (s === 'done') return;
      if (s === 'visiting') throw new Error(`model graph has a cycle: ${[...path, m.name].join(' -> ')}`);
      state.set(m.name, 'visiting');
      for (const p of this.parents(m).sort((a, b) => a.name.localeCompare(b.name))) visit(p, [...path, m.name]);
      state.set(m.name, 'done');
      out.push(m);
    };
    for (const m of [...this.byName.values()].sort((a, b) => a.name.localeCompare(b.name))) visit(m, []);
    return out;
  }

  /** The models a list of selectors picks, in run order (all models when the list is empty). */
  select(selectors: readonly string[]): Model[] {
    if (selectors.length === 0) return this.ordered();
    const picked = new Set<string>();
    for (const raw of selectors) {
      for (const sel of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
        const up = sel.startsWith('+');
        const down = sel.endsWith('+');
        const root = this.model(sel.replace(/^\+|\+$/g, ''));
        picked.add(root.name);
        if (down) this.walk(root, (m) => this.children(m), picked);
        if (up) this.walk(root, (m) => this.parents(m), picked);
      }
    }
    return this.ordered().filter((m) => picked.has(m.name));
  }

  private walk(from: Model, next: (m: Model) => Model[], into: Set<string>): void {
    for (const n of next(from)) {
      if (into.has(n.name)) continue;
      into.add(n.name);
      this.walk(n, next, into);
    }
  }

  /** The graph as text: each model with its inputs, materialisation and lookback (under `config`). */
  describe(config: GoldConfig = DEFAULT_GOLD_CONFIG): string {
    return this.ordered()
      .map((m) => {
        const lookback = lookbackDaysOf(m, config);
        return `${m.name.padEnd(18)} ${m.materialization.padEnd(10)} <- ${m.inputs.join(', ')}${lookback ? `  (lookback ${lookback} d)` : ''}`;
      })
      .join('\n');
  }
}
