"""Generates the indicator fixtures that gold/indicators is checked against (transforms/indicators.talib.test.ts).

Input: the twelve monthly BTCUSDT 1m kline archives of 2024 (data.binance.vision layout), e.g.
`$MARKETLAKE_REFERENCE_DATA/binance/btcusdt-spot-1m-klines-2024/`.
Output (into the directory given, normally test/fixtures/derived/talib-btcusdt-2024/):
- `BTCUSDT-1h-2024.csv.gz`, `BTCUSDT-1d-2024.csv.gz`: the 1h and 1d klines of 2024 rolled up from
  the 1m klines with exact decimals, in Binance's kline layout (no header), by Binance's rule: a
  window's open, high and low come from its minutes that had trades only (an empty minute carries
  the previous close, which was not traded in the window); its close is its last minute's close;
  volumes and counts are summed. A window without any trade has open = high = low = close.
- `talib-BTCUSDT-1h-2024.csv.gz`, `talib-BTCUSDT-1d-2024.csv.gz`: TA-Lib's outputs over those
  klines' closes (and highs and lows for ATR), one row per kline, with a header; NaN as an empty
  field, numbers as Python's shortest round-trip repr (exact doubles).

Run: `python3 transforms/reference/talib_fixtures.py <klines-2024-dir> <out-dir>` in the venv that
transforms/reference/ensure-venv.sh prints.
"""
import csv
import gzip
import io
import sys
import zipfile
from decimal import Decimal
from pathlib import Path

import numpy as np
import talib

HOUR_MS = 3_600_000
DAY_MS = 86_400_000


def read_minutes(klines_dir: Path):
    for month in range(1, 13):
        path = klines_dir / f"BTCUSDT-1m-2024-{month:02d}.zip"
        with zipfile.ZipFile(path) as z:
            (name,) = z.namelist()
            with z.open(name) as f:
                for row in csv.reader(io.TextIOWrapper(f, encoding="ascii")):
                    if not row or not row[0].isdigit():
                        continue
                    yield row


def roll_up(minutes, size_ms):
    out = []
    current = None
    for row in minutes:
        open_time = int(row[0])
        start = open_time - open_time % size_ms
        if current is None or current["start"] != start:
            if current is not None:
                out.append(current)
            current = {"start": start, "open": None, "high": None, "low": None, "close": None,
                       "volume": Decimal(0), "quote": Decimal(0), "count": 0, "tbv": Decimal(0), "tbq": Decimal(0)}
        trades = int(row[8])
        if trades > 0:
            o, h, l = Decimal(row[1]), Decimal(row[2]), Decimal(row[3])
            if current["open"] is None:
                current["open"] = o
            current["high"] = h if current["high"] is None else max(current["high"], h)
            current["low"] = l if current["low"] is None else min(current["low"], l)
        current["close"] = Decimal(row[4])
        current["volume"] += Decimal(row[5])
        current["quote"] += Decimal(row[7])
        current["count"] += trades
        current["tbv"] += Decimal(row[9])
        current["tbq"] += Decimal(row[10])
    if current is not None:
        out.append(current)
    for w in out:
        if w["open"] is None:
            w["open"] = w["high"] = w["low"] = w["close"]
    return out


def open_gzip_text(path: Path):
    # mtime=0: the same input gives byte-identical files (reproducible fixtures).
    return io.TextIOWrapper(gzip.GzipFile(path, "wb", mtime=0), encoding="ascii", newline="")


def fmt(d: Decimal) -> str:
    return format(d, "f")


def write_klines(path: Path, windows, size_ms):
    with open_gzip_text(path) as f:
        w = csv.writer(f, lineterminator="\n")
        for k in windows:
            w.writerow([k["start"], fmt(k["open"]), fmt(k["high"]), fmt(k["low"]), fmt(k["close"]), fmt(k["volume"]),
                        k["start"] + size_ms - 1, fmt(k["quote"]), k["count"], fmt(k["tbv"]), fmt(k["tbq"]), "0"])


def num(x: float) -> str:
    return "" if np.isnan(x) else repr(float(x))


def write_talib(path: Path, windows):
    close = np.array([float(k["close"]) for k in windows], dtype=np.float64)
    high = np.array([float(k["high"]) for k in windows], dtype=np.float64)
    low = np.array([float(k["low"]) for k in windows], dtype=np.float64)
    macd, macd_signal, macd_hist = talib.MACD(close, fastperiod=12, slowperiod=26, signalperiod=9)
    bb_upper, bb_middle, bb_lower = talib.BBANDS(close, timeperiod=20, nbdevup=2, nbdevdn=2, matype=talib.MA_Type.SMA)
    columns = {
        "sma_20": talib.SMA(close, 20),
        "sma_50": talib.SMA(close, 50),
        "sma_200": talib.SMA(close, 200),
        "ema_12": talib.EMA(close, 12),
        "ema_26": talib.EMA(close, 26),
        "macd": macd,
        "macd_signal": macd_signal,
        "macd_hist": macd_hist,
        "rsi_14": talib.RSI(close, 14),
        "bb_upper": bb_upper,
        "bb_middle": bb_middle,
        "bb_lower": bb_lower,
        "atr_14": talib.ATR(high, low, close, 14),
    }
    with open_gzip_text(path) as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["open_time", *columns.keys()])
        for i, k in enumerate(windows):
            w.writerow([k["start"], *(num(c[i]) for c in columns.values())])


def main():
    klines_dir, out_dir = Path(sys.argv[1]), Path(sys.argv[2])
    out_dir.mkdir(parents=True, exist_ok=True)
    minutes = list(read_minutes(klines_dir))
    assert len(minutes) == 527_040, f"expected every minute of 2024, got {len(minutes)}"
    for name, size in (("1h", HOUR_MS), ("1d", DAY_MS)):
        windows = roll_up(minutes, size)
        write_klines(out_dir / f"BTCUSDT-{name}-2024.csv.gz", windows, size)
        write_talib(out_dir / f"talib-BTCUSDT-{name}-2024.csv.gz", windows)
        print(f"{name}: {len(windows)} klines", file=sys.stderr)
    print(f"ta-lib {talib.__version__}, TA-Lib C {talib.__ta_version__.decode() if isinstance(talib.__ta_version__, bytes) else talib.__ta_version__}, numpy {np.__version__}", file=sys.stderr)


if __name__ == "__main__":
    main()
