#!/usr/bin/env python3
"""Writes the Teams app package (the zip to upload in Teams' "Upload a custom app" or the Developer Portal).

    python3 manifests/teams/package.py <bot-app-id> [out.zip] [--app-id <teams-app-guid>]

<bot-app-id> is the Azure Bot's Microsoft App ID (Teams__MicrosoftAppId). The Teams app's own id defaults to a GUID
derived from the bot id, so re-packaging the same bot gives the same app (an update, not a second app)."""
import argparse
import os
import re
import uuid
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("bot_id")
    parser.add_argument("out", nargs="?", default="chatopsbot-teams.zip")
    parser.add_argument("--app-id")
    args = parser.parse_args()
    if not GUID.match(args.bot_id):
        parser.error("the bot id must be the Azure Bot's Microsoft App ID, a GUID")
    app_id = args.app_id or str(uuid.uuid5(uuid.NAMESPACE_URL, "chatopsbot-teams:" + args.bot_id.lower()))
    if not GUID.match(app_id):
        parser.error("--app-id must be a GUID")
    with open(os.path.join(HERE, "manifest.json"), encoding="utf-8") as f:
        manifest = f.read().replace("{{BOT_ID}}", args.bot_id.lower()).replace("{{TEAMS_APP_ID}}", app_id)
    with zipfile.ZipFile(args.out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("manifest.json", manifest)
        z.write(os.path.join(HERE, "color.png"), "color.png")
        z.write(os.path.join(HERE, "outline.png"), "outline.png")
    print(args.out)


if __name__ == "__main__":
    main()
