#!/usr/bin/env bash
# Makes released-ef88340.db: a database written by the released version (commit ef88340, schema by EnsureCreated,
# no migration history) through its real host, for MigrationTests. Run once from anywhere in the repository:
#   tests/ChatOpsBot.Tests/Fixtures/make-released-db.sh
# It checks that commit out in a temporary worktree, adds MakeReleasedDatabase.cs.txt to that commit's test project
# (whose fakes of Slack and the Bot Connector it uses), runs it, and writes released-ef88340.db and
# released-ef88340.json (the install token of one live link and the row count of every table) beside this script.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(git -C "$here" rev-parse --show-toplevel)"
tree="$(mktemp -d /tmp/chatopsbot-ef88340-XXXXXX)"
cleanup() { git -C "$repo" worktree remove --force "$tree" >/dev/null 2>&1 || rm -rf "$tree"; }
trap cleanup EXIT
git -C "$repo" worktree add --detach --force "$tree" ef88340 >/dev/null
cp "$here/MakeReleasedDatabase.cs.txt" "$tree/tests/ChatOpsBot.Tests/MakeReleasedDatabase.cs"
RELEASED_DB_OUT="$here" dotnet test "$tree/tests/ChatOpsBot.Tests/ChatOpsBot.Tests.csproj" -c Release --nologo \
  --filter "FullyQualifiedName~MakeReleasedDatabase"
ls -l "$here/released-ef88340.db" "$here/released-ef88340.json"
