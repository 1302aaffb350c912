#!/usr/bin/env python3
"""Inserts <count> expired, not yet swept install links into a stopped host's database, shaped as EF writes them:
random 32-byte token hashes, ExpiredAt NULL, ExpiresAt rising with Id over the past 55 minutes (links are minted in Id
order with one lifetime, so production rows look the same; inside the download grace, so this is the expiry pass's
work, not the token-forgetting pass's). The journal mode is left as the host set it.

Usage: seed_links.py <chatopsbot.db> <count>    prints "<first id> <last id>"
"""
import datetime
import os
import sqlite3
import sys


def main() -> None:
    db, count = sys.argv[1], int(sys.argv[2])
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("pragma synchronous = off")  # per connection: only the seeding skips fsyncs
    build_id = con.execute("select Id from Builds order by Id limit 1").fetchone()[0]
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    oldest = now - datetime.timedelta(minutes=55)
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
        " MaxDownloads, RevokedAt, ExpiredAt) values (?, ?, ?, ?, ?, ?, ?, ?, null, null, null)", rows())
    last = con.execute("select max(Id) from InstallLinks").fetchone()[0]
    con.execute("commit")
    print(before + 1, last)


if __name__ == "__main__":
    main()
