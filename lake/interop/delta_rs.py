"""delta-rs (the `deltalake` package) as an independent Delta engine for marketlake's interop tests.

  python delta_rs.py read <table_dir> [version]   -> JSON: {"version": v, "rows": [...], "files": n}
  python delta_rs.py write <table_dir>            -> writes a partitioned table in two versions and
                                                     prints JSON of the rows of each version

Values are printed as strings so that nothing is lost in JSON: decimals with their full scale,
timestamps as epoch microseconds, dates as YYYY-MM-DD, booleans as true/false.
"""
import datetime
import decimal
import json
import os
import sys

import pyarrow as pa
from deltalake import DeltaTable, write_deltalake

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def as_text(v):
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, decimal.Decimal):
        return format(v, "f")
    if isinstance(v, datetime.datetime):
        if v.tzinfo is None:
            v = v.replace(tzinfo=datetime.timezone.utc)
        d = v - EPOCH
        return str((d.days * 86400 + d.seconds) * 1_000_000 + d.microseconds)
    if isinstance(v, datetime.date):
        return v.isoformat()
    return str(v)


def read(path, version=None):
    dt = DeltaTable(path, version=version) if version is not None else DeltaTable(path)
    table = dt.to_pyarrow_table()
    rows = [{k: as_text(v) for k, v in r.items()} for r in table.to_pylist()]
    print(json.dumps({"version": dt.version(), "files": len(dt.file_uris()), "rows": rows, "schema": dt.schema().to_json()}))


def batch(first_id, n, day):
    ids = list(range(first_id, first_id + n))
    return pa.table(
        {
            "symbol": pa.array(["BTCUSDT" if i % 2 == 0 else "ETHUSDT" for i in ids], pa.string()),
            "date": pa.array([day for _ in ids], pa.date32()),
            "trade_id": pa.array(ids, pa.int64()),
            "price": pa.array([decimal.Decimal(f"{60000 + i}.{i % 100:02d}000001") for i in ids], pa.decimal128(18, 8)),
            "quote_qty": pa.array([decimal.Decimal(f"{i}.0000000000000001") for i in ids], pa.decimal128(38, 16)),
            "is_buyer_maker": pa.array([i % 3 == 0 for i in ids], pa.bool_()),
            "trade_time": pa.array(
                [datetime.datetime.combine(day, datetime.time(0, 0), tzinfo=datetime.timezone.utc) + datetime.timedelta(microseconds=i * 1001) for i in ids],
                pa.timestamp("us", tz="UTC"),
            ),
            "note": pa.array([None if i % 4 == 0 else f"n{i}" for i in ids], pa.string()),
        }
    )


def write(path):
    v0 = batch(1, 10, datetime.date(2024, 3, 1))
    write_deltalake(path, v0, partition_by=["symbol", "date"])
    v1 = batch(100, 6, datetime.date(2024, 3, 2))
    write_deltalake(path, v1, partition_by=["symbol", "date"], mode="append")
    rows0 = [{k: as_text(v) for k, v in r.items()} for r in v0.to_pylist()]
    rows1 = rows0 + [{k: as_text(v) for k, v in r.items()} for r in v1.to_pylist()]
    print(json.dumps({"versions": {"0": rows0, "1": rows1}}))


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "read":
        read(sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else None)
    elif cmd == "write":
        write(sys.argv[2])
    else:
        sys.exit(f"unknown command {cmd}")
    # deltalake 1.6 with pyarrow 26 can abort in native thread teardown at interpreter exit
    # ("terminate called without an active exception") after all work is done and printed.
    # Flush and leave without that teardown so the exit code reflects the work, not the cleanup.
    sys.stdout.flush()
    os._exit(0)
