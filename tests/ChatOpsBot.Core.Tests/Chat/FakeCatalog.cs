using ChatOpsBot.Core.Builds;
using ChatOpsBot.Core.Chat;

namespace ChatOpsBot.Core.Tests.Chat;

/// <summary>An in-memory registry that records the links it mints and the builds it revokes.</summary>
internal sealed class FakeCatalog : IChatCatalog
{
    private static readonly DateTimeOffset Start = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);

    public List<(string Slug, string Name, string? DefaultChannel)> Apps { get; } = [];

    public List<CatalogBuild> Builds { get; } = [];

    public List<(long BuildId, ChatUser User)> Minted { get; } = [];

    public List<long> Revoked { get; } = [];

    public FakeCatalog App(string slug, string name, string? defaultChannel = null)
    {
        Apps.Add((slug, name, defaultChannel));
        return this;
    }

    public CatalogBuild Build(string slug, string channel, string version, string number, bool active = true, string? notes = null,
        ProvisioningProfileType? profile = ProvisioningProfileType.AdHoc, DateTimeOffset? profileExpires = null, int devices = 3, string platform = CatalogPlatforms.Ios)
    {
        var build = new CatalogBuild(Builds.Count + 1, slug, Apps.Single(a => a.Slug == slug).Name, channel, version, number, notes,
            Start.AddHours(Builds.Count), active, platform == CatalogPlatforms.Ios ? profile : null, profileExpires, devices) { Platform = platform };
        Builds.Add(build);
        return build;
    }

    public Task<IReadOnlyList<CatalogApp>> ListAppsAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<CatalogApp>>([.. Apps.OrderBy(a => a.Slug, StringComparer.Ordinal).Select(a => new CatalogApp(a.Slug, a.Name, a.DefaultChannel,
            [.. Builds.Where(b => b.AppSlug == a.Slug && b.IsActive).GroupBy(b => b.Channel).OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => new CatalogChannel(g.Key, g.Count(), g.Max(b => b.UploadedAt)))]))]);

    public async Task<CatalogApp?> FindAppAsync(string slug, CancellationToken cancellationToken) =>
        (await ListAppsAsync(cancellationToken)).SingleOrDefault(a => a.Slug == slug);

    public Task<IReadOnlyList<CatalogBuild>> NewestActiveBuildsAsync(string appSlug, string channel, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<CatalogBuild>>([.. Builds.Where(b => b.AppSlug == appSlug && b.Channel == channel && b.IsActive)
            .GroupBy(b => b.Platform).OrderBy(g => g.Key == CatalogPlatforms.Ios ? 0 : 1).Select(g => g.MaxBy(b => b.Id)!)]);

    public Task<IReadOnlyList<CatalogBuild>> ListBuildsAsync(string appSlug, string? channel, int take, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<CatalogBuild>>([.. Builds.Where(b => b.AppSlug == appSlug && (channel is null || b.Channel == channel))
            .OrderByDescending(b => b.Id).Take(take)]);

    public Task<CatalogBuild?> GetBuildAsync(long buildId, CancellationToken cancellationToken) =>
        Task.FromResult(Builds.SingleOrDefault(b => b.Id == buildId));

    /// <summary>Runs just before a link is minted, as another request would between the engine's read and the mint.</summary>
    public Action<long>? BeforeMint { get; set; }

    public Task<CatalogMint> MintLinkAsync(long buildId, ChatUser user, CancellationToken cancellationToken)
    {
        BeforeMint?.Invoke(buildId);
        if (Builds.SingleOrDefault(b => b.Id == buildId) is not { } build)
            return Task.FromResult(CatalogMint.Refused(LinkRefusal.BuildGone));
        if (!build.IsActive)
            return Task.FromResult(CatalogMint.Refused(LinkRefusal.BuildRevoked));
        Minted.Add((buildId, user));
        return Task.FromResult(CatalogMint.Of(new CatalogLink($"https://ota.example.test/i/token{Minted.Count}", $"https://ota.example.test/i/token{Minted.Count}/qr.png",
            new DateTimeOffset(2026, 11, 23, 10, 0, 0, TimeSpan.Zero)) { LinkId = 1000 + Minted.Count }));
    }

    /// <summary>Links for both phones, as (iOS build, Android build).</summary>
    public List<(long IosBuildId, long AndroidBuildId, ChatUser User)> MintedForBoth { get; } = [];

    public Task<CatalogMint> MintLinkAsync(long iosBuildId, long androidBuildId, ChatUser user, CancellationToken cancellationToken)
    {
        BeforeMint?.Invoke(iosBuildId);
        foreach (var id in (long[])[iosBuildId, androidBuildId])
        {
            if (Builds.SingleOrDefault(b => b.Id == id) is not { } build)
                return Task.FromResult(CatalogMint.Refused(LinkRefusal.BuildGone));
            if (!build.IsActive)
                return Task.FromResult(CatalogMint.Refused(LinkRefusal.BuildRevoked));
        }
        MintedForBoth.Add((iosBuildId, androidBuildId, user));
        var n = Minted.Count + MintedForBoth.Count;
        return Task.FromResult(CatalogMint.Of(new CatalogLink($"https://ota.example.test/i/token{n}", $"https://ota.example.test/i/token{n}/qr.png",
            new DateTimeOffset(2026, 11, 23, 10, 0, 0, TimeSpan.Zero)) { LinkId = 1000 + n }));
    }

    public Task<int> RevokeBuildAsync(long buildId, CancellationToken cancellationToken)
    {
        Revoked.Add(buildId);
        var index = Builds.FindIndex(b => b.Id == buildId);
        Builds[index] = Builds[index] with { IsActive = false };
        return Task.FromResult(2);
    }
}
