#!/usr/bin/env python3
"""Inserts <count> expired install links, each with its token hash, into a stopped host's database, shaped as EF
writes them: random 32-byte token hashes, ExpiresAt rising with Id over 54 minutes that end <minutes> minutes ago
less one (links are minted in Id order with one lifetime, so production rows look the same). With <minutes> past the
download grace (2 hours) plus 55, every link is dead, and the expiry job deletes each hash; within it, the links are
merely expired, which the job has nothing to write for. The journal mode is left as the host set it.

Usage: seed_links.py <chatopsbot.db> <count> <minutes>    prints "<first id> <last id>"
"""
import datetime
import os
import sqlite3
import sys


def main() -> None:
    db, count, minutes = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("pragma synchronous = off")  # per connection: only the seeding skips fsyncs
    build_id = con.execute("select Id from Builds order by Id limit 1").fetchone()[0]
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    oldest = now - datetime.timedelta(minutes=minutes)
    step = datetime.timedelta(minutes=54) / count

    def rows():
        for i in range(count):
            expires = oldest + step * i
            yield (build_id, os.urandom(32), "api", None, "bench", "bench",
                   (expires - datetime.timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S.%f"),
                   expires.strftime("%Y-%m-%d %H:%M:%S.%f"))

    con.execute("begin")
    before = con.execute("select coalesce(max(Id), 0) from InstallLinks").fetchone()[0]
    con.executemany(
        "insert into InstallLinks (BuildId, TokenHash, Platform, Workspace, UserId, UserName, CreatedAt, ExpiresAt,"
        " MaxDownloads, RevokedAt) values (?, ?, ?, ?, ?, ?, ?, ?, null, null)", rows())
    last = con.execute("select max(Id) from InstallLinks").fetchone()[0]
    con.execute("commit")
    print(before + 1, last)


if __name__ == "__main__":
    main()
