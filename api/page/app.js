// The live chart: candles, volume, VWAP and SMA 20/50 from the API (SMA from gold_indicators or
// computed by the API from silver), alert and whale markers, Fear & Greed, news, coverage, and
// live updates from /v1/stream (candle events of the stream service; trades move the last bar).
/* global LightweightCharts */
const LC = LightweightCharts;
const $ = (id) => document.getElementById(id);
const SECONDS = { '1m': 60, '5m': 300, '15m': 900, '1h': 3600, '4h': 14400, '1d': 86400 };
const params = new URLSearchParams(location.search);
const state = { symbol: params.get('symbol') || '', interval: params.get('interval') || '1m', last: null, source: null, markers: [] };

const chart = LC.createChart($('chart'), {
  autoSize: true,
  layout: { background: { color: '#0f1419' }, textColor: '#d7dde4', attributionLogo: true },
  grid: { vertLines: { color: '#1e2630' }, horzLines: { color: '#1e2630' } },
  timeScale: { timeVisible: true, secondsVisible: false },
});
const candles = chart.addSeries(LC.CandlestickSeries, { upColor: '#26a69a', downColor: '#ef5350', borderVisible: false, wickUpColor: '#26a69a', wickDownColor: '#ef5350' });
const volume = chart.addSeries(LC.HistogramSeries, { priceFormat: { type: 'volume' }, priceScaleId: '' });
volume.priceScale().applyOptions({ scaleMargins: { top: 0.8, bottom: 0 } });
const vwap = chart.addSeries(LC.LineSeries, { color: '#ffb74d', lineWidth: 1, priceLineVisible: false, lastValueVisible: false });
const sma20 = chart.addSeries(LC.LineSeries, { color: '#42a5f5', lineWidth: 2, priceLineVisible: false, lastValueVisible: false });
const sma50 = chart.addSeries(LC.LineSeries, { color: '#ab47bc', lineWidth: 2, priceLineVisible: false, lastValueVisible: false });
const markers = LC.createSeriesMarkers(candles, []);

async function api(path) {
  const res = await fetch(path, { headers: { accept: 'application/json' } });
  if (!res.ok) throw new Error(`${path}: ${res.status}`);
  return res.json();
}
const t = (iso) => Math.floor(Date.parse(iso) / 1000);
const bar = (c) => ({ time: t(c.window_start), open: +c.open, high: +c.high, low: +c.low, close: +c.close });

function showLegend(b) {
  $('legend-symbol').textContent = `${state.symbol} ${state.interval}`;
  $('legend-ohlc').textContent = b ? `O ${b.open} H ${b.high} L ${b.low} C ${b.close}` : '';
  $('chart').dataset.lastClose = b ? String(b.close) : '';
  $('chart').dataset.lastTime = b ? String(b.time) : '';
}

async function loadCandles() {
  const body = await api(`/v1/ohlc/${state.symbol}?interval=${state.interval}&limit=500&include_provisional=true`);
  const bars = body.candles.map(bar);
  candles.setData(bars);
  volume.setData(body.candles.map((c) => ({ time: t(c.window_start), value: +c.volume, color: +c.close >= +c.open ? 'rgba(38,166,154,.5)' : 'rgba(239,83,80,.5)' })));
  vwap.setData(body.candles.filter((c) => c.vwap !== null).map((c) => ({ time: t(c.window_start), value: +c.vwap })));
  state.last = bars.at(-1) ? { ...bars.at(-1), volume: +body.candles.at(-1).volume } : null;
  $('chart').dataset.candles = String(bars.length);
  showLegend(state.last);
  chart.timeScale().fitContent();
}

async function loadIndicators() {
  const body = await api(`/v1/indicators/${state.symbol}?interval=${state.interval}&limit=500`);
  const line = (key) => body.indicators.filter((r) => r[key] !== null && r[key] !== undefined).map((r) => ({ time: t(r.window_start), value: +r[key] }));
  sma20.setData(line('sma_20'));
  sma50.setData(line('sma_50'));
  $('sma-source').textContent = `(indicators: ${body.source})`;
}

async function loadMarkers() {
  const [alerts, whales] = await Promise.all([api(`/v1/alerts?symbol=${state.symbol}&limit=200`), api(`/v1/whales?symbol=${state.symbol}&limit=200`)]);
  const step = SECONDS[state.interval];
  const align = (iso) => Math.floor(t(iso) / step) * step;
  state.markers = [
    ...alerts.data.filter((a) => a.window_start).map((a) => ({ time: align(a.window_start), position: 'aboveBar', color: '#ffb74d', shape: 'arrowDown', text: String(a.kind) })),
    ...whales.data.filter((w) => w.trade_time).map((w) => ({ time: align(w.trade_time), position: w.is_buyer_maker ? 'aboveBar' : 'belowBar', color: '#29b6f6', shape: 'circle', text: 'whale' })),
  ].sort((a, b) => a.time - b.time);
  markers.setMarkers(state.markers);
  const list = $('events');
  list.replaceChildren(...[...alerts.data.slice(0, 5).map((a) => `${a.window_start?.slice(0, 16)} ${a.kind}`), ...whales.data.slice(0, 5).map((w) => `${w.trade_time?.slice(0, 16)} whale ${w.quote_qty}`)].map((s) => Object.assign(document.createElement('li'), { textContent: s })));
  if (list.children.length === 0) list.append(Object.assign(document.createElement('li'), { textContent: alerts.available ? 'none yet' : 'gold alerts not built yet' }));
}

async function loadSide() {
  const [sentiment, news, coverage, symbols] = await Promise.all([api('/v1/sentiment?limit=1'), api(`/v1/news?limit=8`), api(`/v1/coverage?symbol=${state.symbol}&limit=90`), api('/v1/symbols')]);
  if (sentiment.latest) {
    $('fng-value').textContent = String(sentiment.latest.value);
    $('fng-label').textContent = sentiment.latest.classification;
  }
  $('news').replaceChildren(
    ...news.news.map((n) => {
      const li = document.createElement('li');
      const a = Object.assign(document.createElement('a'), { textContent: n.title, href: n.link || '#', target: '_blank', rel: 'noopener' });
      li.append(a);
      return li;
    }),
  );
  const strip = $('coverage');
  if (coverage.available && coverage.data.length > 0) {
    const days = [...coverage.data].sort((a, b) => String(a.date).localeCompare(String(b.date)));
    strip.replaceChildren(
      ...days.map((d) => {
        const el = document.createElement('div');
        el.className = `day${+d.missing_minutes > 0 ? (+d.candles_present > 0 ? ' partial' : ' missing') : ''}`;
        el.title = `${d.date} ${d.layer ?? ''}: ${d.candles_present}/${d.minutes_expected} candles, ${d.missing_minutes} missing`;
        return el;
      }),
    );
  } else {
    const s = symbols.symbols.find((x) => x.symbol === state.symbol);
    strip.replaceChildren(Object.assign(document.createElement('span'), { className: 'summary', textContent: s ? `candles ${s.first_date} → ${s.last_date} (${s.candle_days} days)` : '' }));
  }
}

// Live: one EventSource; the browser resumes with Last-Event-ID by itself after a drop.
let source = null;
function connectLive() {
  source?.close();
  const status = $('live-status');
  source = new EventSource(`/v1/stream?symbols=${state.symbol}&channels=candles,trades,alerts`);
  state.source = source;
  source.onopen = () => Object.assign(status, { textContent: 'live' }) && (status.dataset.state = 'live');
  source.onerror = () => {
    status.textContent = 'reconnecting…';
    status.dataset.state = 'down';
  };
  source.addEventListener('candle', (ev) => {
    const c = JSON.parse(ev.data);
    if (c.interval !== state.interval) return;
    $('chart').dataset.liveCandles = String(+($('chart').dataset.liveCandles || 0) + 1);
    const b = { time: Math.floor(c.windowStartUs / 1e6), open: +c.open, high: +c.high, low: +c.low, close: +c.close };
    if (state.last && b.time < state.last.time) return;
    applyBar(b, +c.volume);
  });
  source.addEventListener('trade', (ev) => {
    const tr = JSON.parse(ev.data);
    const step = SECONDS[state.interval];
    const time = Math.floor(tr.tradeTimeUs / 1e6 / step) * step;
    const price = +tr.price;
    if (!state.last || time < state.last.time) return;
    if (time === state.last.time) applyBar({ ...state.last, high: Math.max(state.last.high, price), low: Math.min(state.last.low, price), close: price }, state.last.volume + +tr.qty);
    else applyBar({ time, open: price, high: price, low: price, close: price }, +tr.qty);
  });
  source.addEventListener('alert', () => void loadMarkers().catch(() => {}));
}

function applyBar(b, vol) {
  candles.update(b);
  volume.update({ time: b.time, value: vol, color: b.close >= b.open ? 'rgba(38,166,154,.5)' : 'rgba(239,83,80,.5)' });
  const isNew = !state.last || b.time > state.last.time;
  state.last = { ...b, volume: vol };
  if (isNew) $('chart').dataset.candles = String(+$('chart').dataset.candles + 1);
  $('chart').dataset.liveUpdates = String(+($('chart').dataset.liveUpdates || 0) + 1);
  showLegend(state.last);
}

async function load() {
  for (const btn of document.querySelectorAll('#intervals button')) btn.classList.toggle('active', btn.dataset.interval === state.interval);
  history.replaceState(null, '', `?symbol=${state.symbol}&interval=${state.interval}`);
  await Promise.all([loadCandles(), loadIndicators(), loadMarkers(), loadSide()]);
  connectLive();
  document.body.dataset.ready = 'true';
}

async function main() {
  const { symbols } = await api('/v1/symbols');
  const select = $('symbol');
  select.replaceChildren(...symbols.map((s) => Object.assign(document.createElement('option'), { value: s.symbol, textContent: s.symbol })));
  if (!state.symbol || !symbols.some((s) => s.symbol === state.symbol)) state.symbol = symbols.find((s) => s.symbol === 'BTCUSDT')?.symbol ?? symbols[0]?.symbol ?? '';
  select.value = state.symbol;
  if (!SECONDS[state.interval]) state.interval = '1m';
  select.addEventListener('change', () => {
    state.symbol = select.value;
    void load();
  });
  for (const btn of document.querySelectorAll('#intervals button')) {
    btn.addEventListener('click', () => {
      state.interval = btn.dataset.interval;
      void load();
    });
  }
  if (state.symbol) await load();
}

main().catch((err) => {
  $('live-status').textContent = `error: ${err.message}`;
  $('live-status').dataset.state = 'down';
  throw err;
});
