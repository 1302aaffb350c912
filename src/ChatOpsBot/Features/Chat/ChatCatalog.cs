using ChatOpsBot.Core.Chat;
using ChatOpsBot.Data;
using ChatOpsBot.Features.Builds;
using ChatOpsBot.Features.Links;
using Microsoft.EntityFrameworkCore;

namespace ChatOpsBot.Features.Chat;

internal static class ChatRegistration
{
    public static WebApplicationBuilder AddChat(this WebApplicationBuilder builder)
    {
        builder.Services.AddScoped<IChatCatalog, ChatCatalog>();
        builder.Services.AddScoped<ChatEngine>();
        return builder;
    }
}

/// <summary>The chat engine's view of the registry, read straight from the database.</summary>
internal sealed class ChatCatalog(ChatOpsBotDb db, InstallLinks links, BuildRevocation revocation) : IChatCatalog
{
    public async Task<IReadOnlyList<CatalogApp>> ListAppsAsync(CancellationToken cancellationToken)
    {
        var apps = await db.Apps.AsNoTracking().OrderBy(a => a.Slug)
            .Select(a => new { a.Id, a.Slug, a.DisplayName, a.DefaultChannel }).ToListAsync(cancellationToken);
        var channels = await db.Builds.AsNoTracking()
            .Where(b => b.State == BuildState.Active)
            .GroupBy(b => new { b.AppId, b.Channel })
            .Select(g => new { g.Key.AppId, g.Key.Channel, Count = g.Count(), Latest = g.Max(b => b.UploadedAt) })
            .ToListAsync(cancellationToken);
        return [.. apps.Select(a => new CatalogApp(a.Slug, a.DisplayName, a.DefaultChannel,
            [.. channels.Where(c => c.AppId == a.Id).OrderBy(c => c.Channel, StringComparer.Ordinal)
                .Select(c => new CatalogChannel(c.Channel, c.Count, new DateTimeOffset(c.Latest, TimeSpan.Zero)))]))];
    }

    public async Task<CatalogApp?> FindAppAsync(string slug, CancellationToken cancellationToken)
    {
        var channels = new List<ChannelRow>();
        await foreach (var row in ActiveChannelsOf.For(db)(db, slug).WithCancellation(cancellationToken))
            channels.Add(row);
        if (channels.Count > 0)
            return new CatalogApp(slug, channels[0].DisplayName, channels[0].DefaultChannel,
                [.. channels.OrderBy(c => c.Channel, StringComparer.Ordinal)
                    .Select(c => new CatalogChannel(c.Channel, c.Count, new DateTimeOffset(c.Latest, TimeSpan.Zero)))]);
        // No active builds: the app may still exist.
        var app = await db.Apps.AsNoTracking().Where(a => a.Slug == slug)
            .Select(a => new { a.DisplayName, a.DefaultChannel }).SingleOrDefaultAsync(cancellationToken);
        return app is null ? null : new CatalogApp(slug, app.DisplayName, app.DefaultChannel, []);
    }

    public async Task<IReadOnlyList<CatalogBuild>> NewestActiveBuildsAsync(string appSlug, string channel, CancellationToken cancellationToken)
    {
        var newest = new List<CatalogBuild>(2);
        // Newest per platform: an iOS upload does not hide the channel's Android build, nor the other way round.
        foreach (var platform in (string[])[BuildPlatforms.Ios, BuildPlatforms.Android])
        {
            if (await NewestActiveBuild.For(db)(db, appSlug, channel, platform, cancellationToken) is { } build)
                newest.Add(ToCatalog(build, appSlug));
        }
        return newest;
    }

    private sealed record ChannelRow(string DisplayName, string? DefaultChannel, string Channel, int Count, DateTime Latest);

    // Every /install runs these two; compiled once, they skip EF's per-call expression tree walk and cache lookup.
    private static readonly CompiledPerModel<Func<ChatOpsBotDb, string, IAsyncEnumerable<ChannelRow>>> ActiveChannelsOf =
        new(() => EF.CompileAsyncQuery((ChatOpsBotDb db, string slug) => db.Builds.AsNoTracking()
            .Where(b => b.App.Slug == slug && b.State == BuildState.Active)
            .GroupBy(b => new { b.App.DisplayName, b.App.DefaultChannel, b.Channel })
            .Select(g => new ChannelRow(g.Key.DisplayName, g.Key.DefaultChannel, g.Key.Channel, g.Count(), g.Max(b => b.UploadedAt)))));

    private static readonly CompiledPerModel<Func<ChatOpsBotDb, string, string, string, CancellationToken, Task<Build?>>> NewestActiveBuild =
        new(() => EF.CompileAsyncQuery((ChatOpsBotDb db, string slug, string channel, string platform, CancellationToken cancellationToken) => db.Builds.AsNoTracking()
            .Where(b => b.App.Slug == slug && b.Channel == channel && b.State == BuildState.Active && b.Platform == platform)
            .OrderByDescending(b => b.Id)
            .FirstOrDefault()));

    public async Task<IReadOnlyList<CatalogBuild>> ListBuildsAsync(string appSlug, string? channel, int take, CancellationToken cancellationToken)
    {
        var query = db.Builds.AsNoTracking().Where(b => b.App.Slug == appSlug);
        if (channel is not null)
            query = query.Where(b => b.Channel == channel);
        var builds = await query.OrderByDescending(b => b.Id).Take(take).ToListAsync(cancellationToken);
        return [.. builds.Select(b => ToCatalog(b, appSlug))];
    }

    public async Task<CatalogBuild?> GetBuildAsync(long buildId, CancellationToken cancellationToken)
    {
        var build = await db.Builds.AsNoTracking().Include(b => b.App).SingleOrDefaultAsync(b => b.Id == buildId, cancellationToken);
        return build is null ? null : ToCatalog(build, build.App.Slug);
    }

    public async Task<CatalogMint> MintLinkAsync(long buildId, ChatUser user, CancellationToken cancellationToken)
    {
        var outcome = await links.MintAsync(buildId, new Requester(user.Platform, user.Workspace, user.UserId, user.DisplayName), null, cancellationToken);
        return ToCatalogMint(outcome, buildId);
    }

    public async Task<CatalogMint> MintLinkAsync(long iosBuildId, long androidBuildId, ChatUser user, CancellationToken cancellationToken)
    {
        var outcome = await links.MintAsync(iosBuildId, new Requester(user.Platform, user.Workspace, user.UserId, user.DisplayName), null, cancellationToken,
            secondBuildId: androidBuildId);
        return ToCatalogMint(outcome, iosBuildId);
    }

    private static CatalogMint ToCatalogMint(MintResult outcome, long buildId)
    {
        if (outcome.Minted is { } minted)
            return CatalogMint.Of(new CatalogLink(minted.InstallPageUrl, minted.QrCodeUrl, new DateTimeOffset(minted.Link.ExpiresAt, TimeSpan.Zero)) { LinkId = minted.Link.Id });
        return outcome.Refusal switch
        {
            MintRefusal.UnknownBuild => CatalogMint.Refused(LinkRefusal.BuildGone),
            MintRefusal.BuildRevoked => CatalogMint.Refused(LinkRefusal.BuildRevoked),
            // Chat asks for no download cap and names builds by id, so nothing else can refuse it.
            _ => throw new InvalidOperationException($"Build {buildId} cannot get a link: {outcome.Reason}"),
        };
    }

    public async Task<int> RevokeBuildAsync(long buildId, CancellationToken cancellationToken) =>
        await revocation.RevokeAsync(buildId, cancellationToken) is { } revoked ? revoked.LinksStopped : 0;

    internal static CatalogBuild ToCatalog(Build b, string appSlug) => new(
        b.Id, appSlug, b.DisplayName, b.Channel, b.Version, b.BuildNumber, b.Notes,
        new DateTimeOffset(b.UploadedAt, TimeSpan.Zero), b.State == BuildState.Active,
        b.ProfileType, b.ProfileExpiresAt is { } expires ? new DateTimeOffset(expires, TimeSpan.Zero) : null, b.ProfileDeviceCount)
    {
        Platform = b.Platform,
    };
}
