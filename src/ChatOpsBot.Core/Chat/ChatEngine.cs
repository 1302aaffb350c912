using System.Globalization;
using ChatOpsBot.Core.Builds;

namespace ChatOpsBot.Core.Chat;

/// <summary>
/// The one command engine both chat platforms use: parses what was typed, applies the rules (defaults, permissions,
/// suggestions, profile warnings) and answers with a platform-neutral <see cref="ChatReply"/>.
/// </summary>
public sealed class ChatEngine(IChatCatalog catalog, TimeProvider time, IAnnouncements? announcements = null, IDeviceDirectory? devices = null)
{
    private const int MaxListedBuilds = 10;
    private const int NotesExcerptLength = 300;
    private static readonly TimeSpan ProfileWarningWindow = TimeSpan.FromDays(7);

    public async Task<ChatReply> HandleAsync(ChatCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        var words = command.Text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(w => w.ToLowerInvariant()).ToArray();
        if (words.Length == 0)
            return Help();
        var args = words[1..];
        return words[0] switch
        {
            "install" => await InstallAsync(command.User, args, cancellationToken),
            "builds" or "list" => await BuildsAsync(command, args, cancellationToken),
            "help" or "?" => Help(),
            "revoke" => await RevokeAsync(command.User, args, cancellationToken),
            "subscribe" => await SubscribeAsync(command, args, cancellationToken),
            "unsubscribe" => await UnsubscribeAsync(command, args, cancellationToken),
            "announce" => await AnnounceAsync(command.User, args, cancellationToken),
            "announcement" => await AnnouncementAsync(command.User, args, cancellationToken),
            "device" => await DeviceLinkAsync(command.User, args, cancellationToken),
            // "devices forget <name>" too, for Slack's /devices.
            "devices" => args.Length == 0
                ? await MyDevicesAsync(command.User, cancellationToken)
                : args[0] == "forget"
                    ? await ForgetAsync(command.User, ["device", .. args[1..]], cancellationToken)
                    : await MissingDevicesAsync(command.User, args, cancellationToken),
            "forget" => await ForgetAsync(command.User, args, cancellationToken),
            _ => ChatReply.Message($"I don't know \"{words[0]}\". Try \"help\" to see what I can do."),
        };
    }

    public async Task<ChatReply> HandleActionAsync(ChatAction action, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(action);
        if (action.ActionId == ChatActions.RequestDevice)
            return await RequestDeviceAsync(action, cancellationToken);
        if (action.ActionId == ChatActions.RegisterWithApple)
            return await RegisterWithAppleAsync(action, cancellationToken);
        if (action.ActionId != ChatActions.GetLink
            || !long.TryParse(action.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var buildId))
            return ChatReply.Message("That button is no longer supported. Try \"help\".");
        var build = await catalog.GetBuildAsync(buildId, cancellationToken);
        if (build is null)
            return ChatReply.Message(BuildGone);
        if (!build.IsActive)
            return ChatReply.Message(BuildRevoked(build));
        return await LinkReplyAsync(action.User, build, cancellationToken);
    }

    private async Task<ChatReply> InstallAsync(ChatUser user, string[] args, CancellationToken cancellationToken)
    {
        if (args.Length == 0)
            return ChatReply.Message("Which app? Usage: install <app> [channel] [build]. \"builds\" lists the apps.");
        // The common case reads one app; listing them all is only needed to match loosely or to suggest names.
        var app = await catalog.FindAppAsync(args[0], cancellationToken);
        if (app is null)
        {
            var apps = await catalog.ListAppsAsync(cancellationToken);
            app = FindApp(apps, args[0]);
            if (app is null)
                return UnknownApp(apps, args[0]);
        }

        // "ios" or "android" anywhere after the app asks for that platform's build, unless the app has a channel of that name.
        string? platform = null;
        var rest = new List<string>();
        foreach (var word in args[1..])
        {
            if (platform is null && CatalogPlatforms.Parse(word) is { } named && !app.Channels.Any(c => c.Name == word))
                platform = named;
            else
                rest.Add(word);
        }
        args = [args[0], .. rest];

        if (ResolveChannel(app, args, out var channelName) is { } noChannel)
            return noChannel;
        var platformName = platform is null ? "" : CatalogPlatforms.NameOf(platform) + " ";

        if (args.Length > 2)
        {
            var builds = (await catalog.ListBuildsAsync(app.Slug, channelName, int.MaxValue, cancellationToken))
                .Where(b => platform is null || b.Platform == platform).ToList();
            var build = builds.FirstOrDefault(b => string.Equals(b.BuildNumber, args[2], StringComparison.OrdinalIgnoreCase));
            if (build is null)
            {
                var recent = string.Join(", ", builds.Where(b => b.IsActive).Take(5).Select(b => b.BuildNumber));
                return ChatReply.Message($"{app.DisplayName} has no {platformName}build {args[2]} in {channelName}."
                    + (recent.Length > 0 ? $" Recent builds: {recent}." : ""));
            }
            if (!build.IsActive)
                return ChatReply.Message($"{Describe(build)} has been revoked. \"install {app.Slug} {channelName}\" gets the newest build.");
            return await LinkReplyAsync(user, [build], cancellationToken);
        }
        // The newest build of each platform: with both, one link whose page offers the one for the phone that opens it.
        var newest = (await catalog.NewestActiveBuildsAsync(app.Slug, channelName, cancellationToken))
            .Where(b => platform is null || b.Platform == platform).ToList();
        if (newest.Count == 0)
            return ChatReply.Message($"{app.DisplayName} has no active {platformName}build in {channelName}.");
        if (newest is [{ Platform: CatalogPlatforms.Ios } ios, { Platform: CatalogPlatforms.Android } android])
            return await BothPhonesReplyAsync(user, ios, android, cancellationToken);
        return await LinkReplyAsync(user, newest, cancellationToken);
    }

    private async Task<ChatReply> BothPhonesReplyAsync(ChatUser user, CatalogBuild ios, CatalogBuild android, CancellationToken cancellationToken)
    {
        var minted = await catalog.MintLinkAsync(ios.Id, android.Id, user, cancellationToken);
        // One of them was revoked or cleaned up a moment ago: a link for what is left, or the reason there is none.
        if (minted.Link is not { } link)
            return await LinkReplyAsync(user, [ios, android], cancellationToken);
        var verdict = devices is null ? InstallVerdict.NotApplicable : await devices.VerdictAsync(user, ios.Id, cancellationToken);
        var line = $"Your install link for {ios.DisplayName}, iOS {ios.Version} ({ios.BuildNumber}) and Android {android.Version} ({android.BuildNumber}): {link.InstallPageUrl}";
        return new ChatReply(verdict.Warning is { } plain ? plain + " " + line : line, [.. BothPhonesBlocks(ios, android, link, verdict)])
        {
            LinkIds = link.LinkId is { } id ? [id] : [],
        };
    }

    private IEnumerable<ReplyBlock> BothPhonesBlocks(CatalogBuild ios, CatalogBuild android, CatalogLink link, InstallVerdict verdict)
    {
        yield return new HeaderBlock($"{ios.DisplayName} · iOS and Android");
        yield return new FactsBlock([
            new Fact("Platforms", "iOS and Android"),
            new Fact("iOS", $"{ios.Version} ({ios.BuildNumber})"),
            new Fact("Android", $"{android.Version} ({android.BuildNumber})"),
            new Fact("Channel", ios.Channel),
            new Fact("Link expires", Time: link.ExpiresAt),
        ]);
        var (iosNotes, androidNotes) = (Excerpt(ios.Notes), Excerpt(android.Notes));
        if (iosNotes is not null && androidNotes is not null && iosNotes != androidNotes)
        {
            yield return new TextBlock("iOS: " + iosNotes);
            yield return new TextBlock("Android: " + androidNotes);
        }
        else if ((iosNotes ?? androidNotes) is { } notes)
            yield return new TextBlock(notes);
        foreach (var warning in ProfileWarnings(ios))
            yield return new WarningBlock("iOS build: " + warning);
        if (verdict.Warning is { } notInProfile)
            yield return new WarningBlock(notInProfile + " Ask a release manager to add it to the profile and rebuild, or try another device. The Android build is not affected.");
        else if (verdict.Hint is { } hint)
            yield return new TextBlock(hint);
        else if (verdict.Kind == DeviceVerdictKind.Included)
            yield return new TextBlock($"Your {verdict.Models[0]} is in the iOS build's profile.");
        yield return new LinkButtonBlock("Install on iPhone or Android", link.InstallPageUrl);
        yield return new ImageBlock(link.QrCodeUrl, "QR code of the install page: scan it with your iPhone's or Android phone's camera");
        yield return new ContextBlock(
            "One link for both phones: on an iPhone or iPad the page installs the iOS build, on Android it downloads the APK. "
            + "Chat apps open links in their own browser: if nothing happens, open the link in Safari (iPhone) or Chrome (Android). "
            + "The address: " + link.InstallPageUrl);
    }

    private async Task<ChatReply> LinkReplyAsync(ChatUser user, CatalogBuild build, CancellationToken cancellationToken) =>
        await LinkReplyAsync(user, [build], cancellationToken);

    private async Task<ChatReply> LinkReplyAsync(ChatUser user, List<CatalogBuild> builds, CancellationToken cancellationToken)
    {
        var blocks = new List<ReplyBlock>();
        var texts = new List<string>();
        var linkIds = new List<long>();
        foreach (var build in builds)
        {
            var minted = await catalog.MintLinkAsync(build.Id, user, cancellationToken);
            // The build was read active a moment ago; a revoke or a clean-up in between leaves no link to give.
            if (minted.Link is not { } link)
            {
                if (builds.Count == 1)
                    return ChatReply.Message(minted.Refusal == LinkRefusal.BuildRevoked ? BuildRevoked(build) : BuildGone);
                continue;
            }
            // Whether this person's registered devices are in an iOS build's profile; Android builds have no device list.
            var verdict = devices is null || build.Platform == CatalogPlatforms.Android
                ? InstallVerdict.NotApplicable
                : await devices.VerdictAsync(user, build.Id, cancellationToken);
            blocks.AddRange(LinkBlocks(build, link, verdict));
            var line = builds.Count == 1
                ? $"Your install link for {build.DisplayName} {build.Version} ({build.BuildNumber}) for {build.PlatformName}: {link.InstallPageUrl}"
                : $"{build.PlatformName} {build.Version} ({build.BuildNumber}): {link.InstallPageUrl}";
            texts.Add(verdict.Warning is { } plain ? plain + " " + line : line);
            if (link.LinkId is { } id)
                linkIds.Add(id);
        }
        if (texts.Count == 0)
            return ChatReply.Message(BuildGone);
        var text = builds.Count == 1 ? texts[0] : $"Your install links for {builds[0].DisplayName}: {string.Join("; ", texts)}";
        return new ChatReply(text, blocks) { LinkIds = linkIds };
    }

    private IEnumerable<ReplyBlock> LinkBlocks(CatalogBuild build, CatalogLink link, InstallVerdict verdict)
    {
        var android = build.Platform == CatalogPlatforms.Android;
        yield return new HeaderBlock($"{build.DisplayName} {build.Version} ({build.BuildNumber}) · {build.PlatformName}");
        yield return new FactsBlock([
            new Fact("Platform", build.PlatformName),
            new Fact("Version", build.Version),
            new Fact("Build", build.BuildNumber),
            new Fact("Channel", build.Channel),
            new Fact("Link expires", Time: link.ExpiresAt),
        ]);
        if (Excerpt(build.Notes) is { } notes)
            yield return new TextBlock(notes);
        foreach (var warning in ProfileWarnings(build))
            yield return new WarningBlock(warning);
        if (verdict.Warning is { } notInProfile)
        {
            yield return new WarningBlock(notInProfile + " Ask a release manager to add it to the profile and rebuild, or try another device.");
            yield return new ListItemBlock("Not in the profile",
                "The button sends the release managers your device's model and UDID; I'll message you when a build you can install is uploaded.",
                new ReplyAction(AskToAddDevice, ChatActions.RequestDevice, build.Id.ToString(CultureInfo.InvariantCulture)));
        }
        else if (verdict.Hint is { } hint)
            yield return new TextBlock(hint);
        else if (verdict.Kind == DeviceVerdictKind.Included)
            yield return new TextBlock($"Your {verdict.Models[0]} is in this build's profile.");
        if (android)
        {
            yield return new LinkButtonBlock("Install on Android", link.InstallPageUrl);
            yield return new ImageBlock(link.QrCodeUrl, "QR code of the install page: scan it with the Android phone's camera");
            yield return new ContextBlock(
                "The page downloads the APK; Android then asks once to allow your browser to install apps. "
                + "Chat apps open links in their own browser: if the download does not start, open the link in Chrome. "
                + "The address: " + link.InstallPageUrl);
        }
        else
        {
            yield return new LinkButtonBlock("Install on iPhone", link.InstallPageUrl);
            yield return new ImageBlock(link.QrCodeUrl, "QR code of the install page: scan it with the iPhone camera");
            yield return new ContextBlock(
                "Nothing happens when you tap Install? Chat apps open links in their own browser, which cannot install apps: "
                + "open the link in Safari instead. If the button doesn't work, open Safari and paste this address: "
                + link.InstallPageUrl);
        }
    }

    private IEnumerable<string> ProfileWarnings(CatalogBuild build)
    {
        var now = time.GetUtcNow();
        if (build.ProfileExpiresAt is { } expires)
        {
            if (expires <= now)
                yield return $"The provisioning profile expired on {Date(expires)}: iOS will refuse to install this build. Ask for a newer one.";
            else if (expires - now <= ProfileWarningWindow)
                yield return $"The provisioning profile expires on {Date(expires)}: after that this build will no longer install or open.";
        }
        switch (build.ProfileType)
        {
            case ProvisioningProfileType.AdHoc:
                yield return $"Ad-hoc build: it installs only on the {build.ProfileDeviceCount ?? 0} devices registered in its profile.";
                break;
            case ProvisioningProfileType.Development:
                yield return $"Development build: it installs only on the {build.ProfileDeviceCount ?? 0} devices registered in its profile.";
                break;
            case ProvisioningProfileType.Enterprise:
                yield return "Enterprise build: after installing, trust the developer in Settings › General › VPN & Device Management; on iOS 18 and later, restart the device before opening the app.";
                break;
        }
    }

    private async Task<ChatReply> BuildsAsync(ChatCommand command, string[] args, CancellationToken cancellationToken)
    {
        var apps = await catalog.ListAppsAsync(cancellationToken);
        if (args.Length == 0)
        {
            if (apps.Count == 0)
                return ChatReply.Message("No builds have been uploaded yet.");
            var blocks = new List<ReplyBlock> { new HeaderBlock("Apps") };
            blocks.AddRange(apps.Select(a => new ListItemBlock(
                $"{a.DisplayName} ({a.Slug})",
                a.Channels.Count == 0
                    ? "no active builds"
                    : string.Join(", ", a.Channels.Select(c => $"{c.Name}: {c.ActiveBuilds} build{(c.ActiveBuilds == 1 ? "" : "s")}, latest {Date(c.LatestUploadAt)}")))));
            if (announcements is not null && ConversationOf(command) is { } conversation)
            {
                var subscriptions = await announcements.ListSubscriptionsAsync(conversation, cancellationToken);
                blocks.Add(new HeaderBlock("Announced here"));
                blocks.Add(subscriptions.Count == 0
                    ? new TextBlock("Nothing yet: \"subscribe <app> [channel]\" posts an app's new builds to this conversation.")
                    : new TextBlock(string.Join("\n", subscriptions.Select(s => $"{s.AppName} ({s.AppSlug}) {s.Channel}"))));
            }
            blocks.Add(new ContextBlock("\"builds <app>\" lists an app's recent builds; \"install <app> [channel]\" gets you a link."));
            return new ChatReply(string.Join(", ", apps.Select(a => a.Slug)), blocks);
        }

        if (FindApp(apps, args[0]) is not { } app)
            return UnknownApp(apps, args[0]);
        var channel = args.Length > 1 ? args[1] : null;
        if (channel is not null && !app.Channels.Any(c => c.Name == channel))
            return UnknownChannel(app, channel);
        var builds = await catalog.ListBuildsAsync(app.Slug, channel, MaxListedBuilds, cancellationToken);
        if (builds.Count == 0)
            return ChatReply.Message($"{app.DisplayName} has no builds{(channel is null ? "" : $" in {channel}")}.");
        var list = new List<ReplyBlock> { new HeaderBlock($"{app.DisplayName}: recent builds{(channel is null ? "" : $" in {channel}")}") };
        list.AddRange(builds.Select(b => new ListItemBlock(
            $"{b.Version} ({b.BuildNumber}) · {b.PlatformName} · {b.Channel}",
            $"uploaded {Date(b.UploadedAt)}{(b.IsActive ? "" : " · revoked")}{(Excerpt(b.Notes, 120) is { } n ? " · " + n : "")}",
            b.IsActive ? new ReplyAction("Get link", ChatActions.GetLink, b.Id.ToString(CultureInfo.InvariantCulture)) : null)));
        return new ChatReply($"Recent builds of {app.DisplayName}", list);
    }

    private async Task<ChatReply> RevokeAsync(ChatUser user, string[] args, CancellationToken cancellationToken)
    {
        if (!user.IsReleaseManager)
            return ChatReply.Message("Sorry, only release managers can revoke builds. Ask one of them if a build should stop installing.");
        if (args.Length < 3)
            return ChatReply.Message("Usage: revoke <app> <channel> <build>.");
        var apps = await catalog.ListAppsAsync(cancellationToken);
        if (FindApp(apps, args[0]) is not { } app)
            return UnknownApp(apps, args[0]);
        var builds = await catalog.ListBuildsAsync(app.Slug, args[1], int.MaxValue, cancellationToken);
        var build = builds.FirstOrDefault(b => string.Equals(b.BuildNumber, args[2], StringComparison.OrdinalIgnoreCase));
        if (build is null)
            return app.Channels.Any(c => c.Name == args[1]) || builds.Count > 0
                ? ChatReply.Message($"{app.DisplayName} has no build {args[2]} in {args[1]}.")
                : UnknownChannel(app, args[1]);
        if (!build.IsActive)
            return ChatReply.Message($"{Describe(build)} was already revoked.");
        var stopped = await catalog.RevokeBuildAsync(build.Id, cancellationToken);
        return ChatReply.Message($"Revoked {Describe(build)}. {stopped} live link{(stopped == 1 ? "" : "s")} stopped working.");
    }

    private async Task<ChatReply> SubscribeAsync(ChatCommand command, string[] args, CancellationToken cancellationToken)
    {
        if (announcements is null)
            return ChatReply.Message(NoAnnouncements);
        if (ConversationOf(command) is not { } conversation)
            return ChatReply.Message("Type \"subscribe\" in the channel or conversation that should get the announcements.");
        if (args.Length == 0)
            return ChatReply.Message("Which app? Usage: subscribe <app> [channel]. \"builds\" lists the apps.");
        var apps = await catalog.ListAppsAsync(cancellationToken);
        if (FindApp(apps, args[0]) is not { } app)
            return UnknownApp(apps, args[0]);
        if (ResolveChannel(app, args, out var channel) is { } noChannel)
            return noChannel;
        var added = await announcements.SubscribeAsync(app.Slug, channel, conversation, command.User, cancellationToken);
        return Shared(added
            ? $"Subscribed: new {app.DisplayName} builds in {channel} will be announced here when a release manager announces them. \"unsubscribe {app.Slug} {channel}\" stops it."
            : $"This conversation is already subscribed to {app.DisplayName} {channel}.");
    }

    private async Task<ChatReply> UnsubscribeAsync(ChatCommand command, string[] args, CancellationToken cancellationToken)
    {
        if (announcements is null)
            return ChatReply.Message(NoAnnouncements);
        if (ConversationOf(command) is not { } conversation)
            return ChatReply.Message("Type \"unsubscribe\" in the channel or conversation that gets the announcements.");
        if (args.Length == 0)
            return ChatReply.Message("Which app? Usage: unsubscribe <app> [channel].");
        var subscriptions = (await announcements.ListSubscriptionsAsync(conversation, cancellationToken))
            .Where(s => string.Equals(s.AppSlug, args[0], StringComparison.OrdinalIgnoreCase)).ToList();
        // A channel that lost all its builds can still be unsubscribed, so the subscriptions decide, not the catalog.
        var channel = args.Length > 1 ? args[1] : null;
        if (channel is null && subscriptions.Count == 1)
            channel = subscriptions[0].Channel;
        if (channel is null)
        {
            if (subscriptions.Count == 0)
                return ChatReply.Message($"This conversation is not subscribed to \"{args[0]}\".");
            return ChatReply.Message($"This conversation is subscribed to several channels of {subscriptions[0].AppName}: "
                + $"{string.Join(", ", subscriptions.Select(s => s.Channel))}. Say which: unsubscribe {subscriptions[0].AppSlug} <channel>.");
        }
        var subscription = subscriptions.FirstOrDefault(s => s.Channel == channel);
        if (subscription is null || !await announcements.UnsubscribeAsync(subscription.AppSlug, channel, conversation, cancellationToken))
            return ChatReply.Message($"This conversation is not subscribed to {args[0]} {channel}.");
        return Shared($"Unsubscribed: {subscription.AppName} {channel} builds will no longer be announced here.");
    }

    private async Task<ChatReply> AnnounceAsync(ChatUser user, string[] args, CancellationToken cancellationToken)
    {
        if (!user.IsReleaseManager)
            return ChatReply.Message("Sorry, only release managers can announce builds. \"subscribe <app> [channel]\" gets this conversation the announcements.");
        if (announcements is null)
            return ChatReply.Message(NoAnnouncements);
        if (args.Length < 2)
            return ChatReply.Message("Usage: announce <app> <channel> [build]. Without a build, the newest one is announced.");
        var apps = await catalog.ListAppsAsync(cancellationToken);
        if (FindApp(apps, args[0]) is not { } app)
            return UnknownApp(apps, args[0]);
        var builds = await catalog.ListBuildsAsync(app.Slug, args[1], int.MaxValue, cancellationToken);
        CatalogBuild? build;
        if (args.Length > 2)
        {
            build = builds.FirstOrDefault(b => string.Equals(b.BuildNumber, args[2], StringComparison.OrdinalIgnoreCase));
            if (build is null)
                return app.Channels.Any(c => c.Name == args[1]) || builds.Count > 0
                    ? ChatReply.Message($"{app.DisplayName} has no build {args[2]} in {args[1]}.")
                    : UnknownChannel(app, args[1]);
            if (!build.IsActive)
                return ChatReply.Message($"{Describe(build)} has been revoked, so it cannot be announced.");
        }
        else
        {
            build = builds.FirstOrDefault(b => b.IsActive);
            if (build is null)
                return app.Channels.Any(c => c.Name == args[1])
                    ? ChatReply.Message($"{app.DisplayName} has no active build in {args[1]}.")
                    : UnknownChannel(app, args[1]);
        }
        var started = await announcements.AnnounceAsync(build.Id, user, cancellationToken);
        var id = started.Id.ToString(CultureInfo.InvariantCulture);
        if (started.Conversations == 0)
            return ChatReply.Message($"No conversation is subscribed to {app.DisplayName} {build.Channel}, so nobody was told about {Describe(build)}. "
                + $"\"subscribe {app.Slug} {build.Channel}\" in a channel subscribes it.");
        return ChatReply.Message($"Announcing {Describe(build)} to {started.Conversations} conversation{(started.Conversations == 1 ? "" : "s")} "
            + $"(announcement {id}). \"announcement {id}\" shows who received it and what failed.");
    }

    private async Task<ChatReply> AnnouncementAsync(ChatUser user, string[] args, CancellationToken cancellationToken)
    {
        if (!user.IsReleaseManager)
            return ChatReply.Message("Sorry, only release managers can see where announcements went.");
        if (announcements is null)
            return ChatReply.Message(NoAnnouncements);
        if (args.Length == 0 || !long.TryParse(args[0], NumberStyles.None, CultureInfo.InvariantCulture, out var id))
            return ChatReply.Message("Usage: announcement <id>. The announce command tells the id.");
        if (await announcements.GetAnnouncementAsync(id, cancellationToken) is not { } status)
            return ChatReply.Message($"There is no announcement {args[0]}.");
        var counts = Enum.GetValues<DeliveryState>()
            .Select(state => (State: state, Count: status.Targets.Count(t => t.State == state)))
            .Where(c => c.Count > 0)
            .Select(c => $"{c.Count} {c.State.ToString().ToLowerInvariant()}");
        var summary = status.Targets.Count == 0 ? "no conversations" : string.Join(", ", counts);
        var blocks = new List<ReplyBlock>
        {
            new HeaderBlock($"Announcement {args[0]}: {Describe(status.Build)}"),
            new TextBlock($"By {status.AnnouncedBy}: {summary}."),
        };
        blocks.AddRange(status.Targets.Select(t => new ListItemBlock(
            $"{t.Conversation.Name ?? t.Conversation.ConversationId} ({t.Conversation.Platform})",
            t.State switch
            {
                DeliveryState.Delivered => "delivered" + (t.DeliveredAt is { } at ? " " + at.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture) : ""),
                DeliveryState.Failed => $"failed for good after {t.Attempts} attempt{(t.Attempts == 1 ? "" : "s")}: {t.LastError}",
                _ => t.Attempts == 0 ? "on its way" : $"retrying after {t.Attempts} attempt{(t.Attempts == 1 ? "" : "s")}: {t.LastError}",
            })));
        return new ChatReply($"Announcement {args[0]}: {summary}", blocks);
    }

    /// <summary>
    /// The message an announcement posts to every subscribed conversation. It never carries an install link: links
    /// are personal, so the button asks the bot for one for whoever presses it.
    /// </summary>
    /// <param name="build">The announced build.</param>
    /// <param name="iconUrl">An https URL of the app's icon, or null.</param>
    public static ChatReply Announcement(CatalogBuild build, string? iconUrl)
    {
        ArgumentNullException.ThrowIfNull(build);
        var title = $"{build.DisplayName} {build.Version} ({build.BuildNumber}) for {build.PlatformName} is out in {build.Channel}";
        var blocks = new List<ReplyBlock> { new HeaderBlock(title) };
        if (iconUrl is not null)
            blocks.Add(new ImageBlock(iconUrl, $"{build.DisplayName} icon"));
        blocks.Add(new FactsBlock([
            new Fact("Platform", build.PlatformName),
            new Fact("Version", build.Version),
            new Fact("Build", build.BuildNumber),
            new Fact("Channel", build.Channel),
            new Fact("Uploaded", Time: build.UploadedAt),
        ]));
        if (Excerpt(build.Notes) is { } notes)
            blocks.Add(new TextBlock(notes));
        blocks.Add(new ListItemBlock(
            $"{build.DisplayName} {build.Version} ({build.BuildNumber})",
            "Each person gets their own install link, valid for a limited time.",
            new ReplyAction("Get my install link", ChatActions.GetLink, build.Id.ToString(CultureInfo.InvariantCulture))));
        blocks.Add(new ContextBlock($"Announced because this conversation subscribed to {build.AppSlug} {build.Channel}; \"unsubscribe {build.AppSlug} {build.Channel}\" stops it."));
        return new ChatReply(title, blocks) { Private = false };
    }

    private const string NoDevices = "Device registration is not available here.";

    /// <summary>The label of the button that asks the release managers to add the presser's devices.</summary>
    public const string AskToAddDevice = "Ask to add my device";

    /// <summary>The label of the release managers' button that registers missing devices through Apple's API.</summary>
    public const string RegisterInAppStoreConnect = "Register in App Store Connect";

    /// <summary>What to do once devices are in Apple's list: existing profiles do not change.</summary>
    public const string RegenerateProfile =
        "Existing profiles do not change: regenerate the ad-hoc or development profile in Apple's developer portal (or with fastlane match's force_for_new_devices), then rebuild the app and upload it.";

    /// <summary>The button under a list of missing devices, when App Store Connect registration is configured.</summary>
    public static ReplyAction RegisterButton(long buildId) =>
        new(RegisterInAppStoreConnect, ChatActions.RegisterWithApple, buildId.ToString(CultureInfo.InvariantCulture));

    private async Task<ChatReply> RegisterWithAppleAsync(ChatAction action, CancellationToken cancellationToken)
    {
        if (!action.User.IsReleaseManager)
            return ChatReply.Message("Sorry, only release managers can register devices with Apple.");
        if (devices is null || !devices.CanRegisterWithApple)
            return ChatReply.Message("App Store Connect registration is not configured here.");
        if (!long.TryParse(action.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var buildId))
            return ChatReply.Message("That button is no longer supported. Try \"help\".");
        var results = await devices.RegisterWithAppleAsync(buildId, cancellationToken);
        if (results is null)
            return ChatReply.Message("I can't tell which devices that build lacks: it no longer exists, or was uploaded before I kept device lists.");
        if (results.Count == 0)
            return ChatReply.Message("Every registered device is in that build's profile: nothing to register.");
        var registered = results.Count(r => r.Outcome is AppleRegistrationOutcome.Registered or AppleRegistrationOutcome.AlreadyRegistered);
        var summary = $"{registered} of {results.Count} device{(results.Count == 1 ? " is" : "s are")} in App Store Connect now.";
        var blocks = new List<ReplyBlock> { new HeaderBlock("App Store Connect"), new TextBlock(summary) };
        blocks.AddRange(results.Select(r => new TextBlock(r.Sentence)));
        if (registered > 0)
            blocks.Add(new WarningBlock(RegenerateProfile));
        return new ChatReply(summary + " " + string.Join(" ", results.Select(r => r.Sentence)) + (registered > 0 ? " " + RegenerateProfile : ""), blocks);
    }

    private async Task<ChatReply> RequestDeviceAsync(ChatAction action, CancellationToken cancellationToken)
    {
        if (devices is null)
            return ChatReply.Message(NoDevices);
        if (!long.TryParse(action.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var buildId))
            return ChatReply.Message("That button is no longer supported. Try \"help\".");
        var result = await devices.RequestAsync(action.User, buildId, action.Conversation, cancellationToken);
        var models = result.Models is { Count: > 0 } named ? string.Join(" and ", named) : "device";
        return ChatReply.Message(result.Outcome switch
        {
            DeviceRequestOutcome.Requested =>
                $"I've asked the release managers to add your {models} to {result.AppName}'s profile. I'll message you when a build you can install is uploaded.",
            DeviceRequestOutcome.AlreadyWaiting =>
                $"You've already asked for {result.AppName}: the release managers have your {models}. I'll message you when a build you can install is uploaded.",
            DeviceRequestOutcome.NotNeeded => "Your device is in this build's profile: nothing to ask for.",
            DeviceRequestOutcome.NoDevices => "You have no registered device yet: \"device\" registers the iPhone or iPad you open its link on.",
            DeviceRequestOutcome.NobodyToAsk => "No release manager is configured here, so I have nobody to ask. Tell whoever looks after the app's builds.",
            _ => BuildGone,
        });
    }

    private async Task<ChatReply> DeviceLinkAsync(ChatUser user, string[] args, CancellationToken cancellationToken)
    {
        if (devices is null)
            return ChatReply.Message(NoDevices);
        if (args.Length > 0)
            return ChatReply.Message("Usage: device (registers the iPhone or iPad you open the link on). \"devices\" lists yours.");
        var offer = await devices.CreateLinkAsync(user, cancellationToken);
        return new ChatReply($"Open this link in Safari on the iPhone or iPad to register it: {offer.Url}",
        [
            new HeaderBlock("Register your iPhone or iPad"),
            new TextBlock("Open this link in Safari on the device and tap \"Add this device\": iOS tells me its identifier (UDID) and model, "
                + "so release managers can add it to test builds and I can tell you before installing whether a build will install."),
            new LinkButtonBlock("Register this device", offer.Url),
            new FactsBlock([new Fact("Link expires", Time: offer.ExpiresAt)]),
            new ContextBlock("The link is personal and works once. In Slack or Teams, open it in Safari: their own browsers cannot install the profile. "
                + "If the button doesn't work, open Safari on the device and paste this address: " + offer.Url),
        ]);
    }

    private async Task<ChatReply> MyDevicesAsync(ChatUser user, CancellationToken cancellationToken)
    {
        if (devices is null)
            return ChatReply.Message(NoDevices);
        var mine = await devices.ListAsync(user, cancellationToken);
        if (mine.Count == 0)
            return ChatReply.Message("You have no registered devices. \"device\" gives you a link that registers the iPhone or iPad you open it on.");
        var blocks = new List<ReplyBlock> { new HeaderBlock("Your devices") };
        blocks.AddRange(mine.Select(d => new ListItemBlock(d.Name, $"UDID {d.Udid} · registered {Date(d.RegisteredAt)}")));
        blocks.Add(new ContextBlock("\"forget device <name>\" removes one; \"device\" registers another."));
        return new ChatReply($"Your devices: {string.Join(", ", mine.Select(d => d.Name))}", blocks);
    }

    private async Task<ChatReply> ForgetAsync(ChatUser user, string[] args, CancellationToken cancellationToken)
    {
        if (args.Length == 0 || args[0] is not ("device" or "devices"))
            return ChatReply.Message("Usage: forget device <name>. \"devices\" lists yours.");
        if (devices is null)
            return ChatReply.Message(NoDevices);
        var mine = await devices.ListAsync(user, cancellationToken);
        if (mine.Count == 0)
            return ChatReply.Message("You have no registered devices.");
        var name = string.Join(' ', args[1..]);
        if (name.Length == 0)
            return ChatReply.Message($"Which one? Usage: forget device <name>. Yours: {string.Join(", ", mine.Select(d => d.Name))}.");
        // The whole name or the UDID first, then a prefix of the name that only one device has.
        var matches = mine.Where(d => string.Equals(d.Name, name, StringComparison.OrdinalIgnoreCase) || Devices.Udid.SameDevice(d.Udid, name)).ToList();
        if (matches.Count == 0)
            matches = [.. mine.Where(d => d.Name.StartsWith(name, StringComparison.OrdinalIgnoreCase))];
        if (matches.Count == 0)
            return ChatReply.Message($"You have no device called \"{name}\". Yours: {string.Join(", ", mine.Select(d => d.Name))}.");
        if (matches.Count > 1)
            return ChatReply.Message($"\"{name}\" could be {string.Join(" or ", matches.Select(d => $"{d.Name} (UDID {d.Udid})"))}: "
                + "say the whole name, or the UDID.");
        var device = matches[0];
        return await devices.ForgetAsync(user, device.Id, cancellationToken)
            ? ChatReply.Message($"Forgot {device.Name}: its UDID and details are deleted here. A release manager can remove it from Apple's list too.")
            : ChatReply.Message($"{device.Name} was already gone.");
    }

    private async Task<ChatReply> MissingDevicesAsync(ChatUser user, string[] args, CancellationToken cancellationToken)
    {
        if (!user.IsReleaseManager)
            return ChatReply.Message("Sorry, only release managers can see other people's devices. \"devices\" lists yours.");
        if (devices is null)
            return ChatReply.Message(NoDevices);
        var apps = await catalog.ListAppsAsync(cancellationToken);
        if (FindApp(apps, args[0]) is not { } app)
            return UnknownApp(apps, args[0]);
        if (ResolveChannel(app, args, out var channel) is { } noChannel)
            return noChannel;
        var builds = await catalog.ListBuildsAsync(app.Slug, channel, int.MaxValue, cancellationToken);
        var build = builds.FirstOrDefault(b => b.IsActive && b.ProfileType is ProvisioningProfileType.AdHoc or ProvisioningProfileType.Development);
        if (build is null)
            return ChatReply.Message($"{app.DisplayName} has no active ad-hoc or development build in {channel}: its builds install without a device list.");
        var missing = await devices.MissingFromAsync(build.Id, cancellationToken);
        if (missing is null)
            return ChatReply.Message($"{Describe(build)} was uploaded before I kept device lists, so I cannot tell which devices it includes. Upload it again to check.");
        if (missing.Count == 0)
            return ChatReply.Message($"Every registered device is in the profile of {Describe(build)}.");
        var blocks = new List<ReplyBlock> { new HeaderBlock($"Not in the profile of {Describe(build)}") };
        blocks.AddRange(missing.Select(d => new ListItemBlock($"{d.Name} · {d.OwnerName}", $"UDID {d.Udid} · registered {Date(d.RegisteredAt)}")));
        if (devices.CanRegisterWithApple)
            blocks.Add(new ListItemBlock(RegisterInAppStoreConnect, "Registers these devices with Apple's API; then regenerate the profile and rebuild.", RegisterButton(build.Id)));
        blocks.Add(new ContextBlock(string.Create(CultureInfo.InvariantCulture,
            $"Add them in Apple's developer portal (GET /api/v1/devices?format=apple&missingFrom={build.Id} gives Apple's upload file), regenerate the profile and upload a new build.")));
        return new ChatReply($"{missing.Count} registered device{(missing.Count == 1 ? " is" : "s are")} not in the profile of {Describe(build)}", blocks);
    }

    private const string NoAnnouncements = "Subscriptions and announcements are not available here.";

    private static ConversationAddress? ConversationOf(ChatCommand command) =>
        command.Conversation ?? (command.ConversationId is { Length: > 0 } id
            ? new ConversationAddress(command.User.Platform, command.User.Workspace, id)
            : null);

    /// <summary>A change the whole conversation should see, such as a new subscription.</summary>
    private static ChatReply Shared(string text) => ChatReply.Message(text) with { Private = false };

    private static ChatReply Help() => new(
        "Commands: install <app> [channel] [build], builds [app] [channel], subscribe <app> [channel], unsubscribe <app> [channel], device, devices, forget device <name>, help",
        [
            new HeaderBlock("What I can do"),
            new TextBlock(
                "install <app> [channel] [build] [ios|android]: a personal install link for the channel's newest build; with an iOS and an Android build, one link for both phones (or the platform you name)\n"
                + "builds: the apps and their channels\n"
                + "builds <app> [channel]: recent builds, each with a Get link button\n"
                + "subscribe <app> [channel]: announce the app's new builds in this conversation; unsubscribe <app> [channel] stops it\n"
                + "device: a link that registers your iPhone or iPad, so I can tell you before installing whether a build will install on it\n"
                + "devices: your registered devices; forget device <name> removes one\n"
                + "help: this message\n"
                + "Release managers: announce <app> <channel> [build] tells every subscribed conversation (\"announcement <id>\" shows where it went); "
                + "revoke <app> <channel> <build> stops a build and all its links; "
                + "devices <app> [channel] lists registered devices the newest ad-hoc or development build does not include"),
            new HeaderBlock("If installing doesn't work"),
            new TextBlock(
                "• Nothing happens when you tap Install: open the link in Safari; chat apps' browsers cannot install apps.\n"
                + "• \"Untrusted Enterprise Developer\": Settings › General › VPN & Device Management, trust the developer.\n"
                + "• iOS 18 and later: restart the device after trusting, then open the app.\n"
                + "• \"Unable to install\" on an ad-hoc build: your device is not in the build's profile; \"device\" registers it, then ask a release manager to add it.\n"
                + "• The link expired: ask me again for a new one."),
        ]);

    private static CatalogApp? FindApp(IReadOnlyList<CatalogApp> apps, string name) =>
        apps.FirstOrDefault(a => string.Equals(a.Slug, name, StringComparison.OrdinalIgnoreCase));

    private const string BuildGone = "That build no longer exists.";

    private static string BuildRevoked(CatalogBuild build) =>
        $"{Describe(build)} has been revoked. Ask for the newest build with \"install {build.AppSlug} {build.Channel}\".";

    private static ChatReply UnknownApp(IReadOnlyList<CatalogApp> apps, string name)
    {
        var suggestions = apps
            .Select(a => (a.Slug, Distance: Levenshtein(name, a.Slug)))
            .Where(s => s.Distance <= Math.Max(2, name.Length / 3))
            .OrderBy(s => s.Distance).ThenBy(s => s.Slug, StringComparer.Ordinal)
            .Take(3).Select(s => s.Slug).ToList();
        if (suggestions.Count > 0)
            return ChatReply.Message($"I don't know an app called \"{name}\". Did you mean {string.Join(" or ", suggestions.Select(s => $"\"{s}\""))}?");
        return ChatReply.Message(apps.Count == 0
            ? "No builds have been uploaded yet."
            : $"I don't know an app called \"{name}\". Apps: {string.Join(", ", apps.Select(a => a.Slug).Take(20))}.");
    }

    /// <summary>
    /// The channel a command names after the app, else the app's default channel; or the reply saying why there is
    /// none (the app has no builds, or no such channel).
    /// </summary>
    private static ChatReply? ResolveChannel(CatalogApp app, string[] args, out string channel)
    {
        var chosen = args.Length > 1 ? args[1] : DefaultChannelRule.Choose(app.DefaultChannel, app.Channels);
        channel = chosen ?? "";
        if (chosen is null)
            return ChatReply.Message($"{app.DisplayName} has no builds yet.");
        return app.Channels.Any(c => c.Name == chosen) ? null : UnknownChannel(app, chosen);
    }

    private static ChatReply UnknownChannel(CatalogApp app, string channel) => ChatReply.Message(app.Channels.Count == 0
        ? $"{app.DisplayName} has no active builds."
        : $"{app.DisplayName} has no channel \"{channel}\". Channels: {string.Join(", ", app.Channels.Select(c => c.Name))}.");

    private static string Describe(CatalogBuild build) => $"{build.DisplayName} {build.Version} ({build.BuildNumber}) in {build.Channel}";

    private static string Date(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string? Excerpt(string? text, int length = NotesExcerptLength)
    {
        if (string.IsNullOrWhiteSpace(text))
            return null;
        text = text.Trim();
        if (text.Length <= length)
            return text;
        var cut = text.LastIndexOf(' ', length - 1);
        return text[..(cut > length / 2 ? cut : length - 1)].TrimEnd() + "…";
    }

    internal static int Levenshtein(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
            previous[j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = char.ToLowerInvariant(a[i - 1]) == char.ToLowerInvariant(b[j - 1]) ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}
