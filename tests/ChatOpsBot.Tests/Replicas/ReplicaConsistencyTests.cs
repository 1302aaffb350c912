using System.Net;

namespace ChatOpsBot.Tests;

/// <summary>Two replicas on one database and one data directory, started once for these tests.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "xunit disposes through IAsyncLifetime.")]
public sealed class ReplicaPair : IAsyncLifetime
{
    private ReplicaDatabase _database = null!;
    private ReplicaHosts _hosts = null!;

    internal Replica A { get; private set; } = null!;

    internal Replica B { get; private set; } = null!;

    internal string Logs() => _hosts.Logs();

    public async Task InitializeAsync()
    {
        _database = await ReplicaDatabase.CreateAsync();
        _hosts = new ReplicaHosts(_database.Settings);
        (A, B) = await _hosts.StartAsync("A", "B") is [var a, var b] ? (a, b) : throw new InvalidOperationException();
    }

    public async Task DisposeAsync()
    {
        await _hosts.DisposeAsync();
        await _database.DisposeAsync();
    }
}

/// <summary>What one replica writes, the other serves at once: nothing a request needs lives in one process.</summary>
[Trait("Provider", "Postgres")]
public sealed class ReplicaConsistencyTests(ReplicaPair replicas) : IClassFixture<ReplicaPair>
{
    private Replica A => replicas.A;

    private Replica B => replicas.B;

    [Fact]
    public async Task ALinkMintedOnOneReplicaInstallsThroughTheOther()
    {
        var (buildId, ipa) = await A.UploadAsync("minted-on-a");
        var (_, page) = await A.MintAsync(buildId);
        using var phone = B.CreateClient();

        using var installPage = await phone.GetAsync(page);
        using var manifest = await phone.GetAsync(page + "/manifest.plist");
        using var download = await phone.GetAsync(page + "/app.ipa");

        Assert.True(installPage.StatusCode == HttpStatusCode.OK, replicas.Logs());
        Assert.Equal(HttpStatusCode.OK, manifest.StatusCode);
        Assert.Contains($"<string>{ReplicaHosts.PublicBaseUrl}{page}/app.ipa</string>", await manifest.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal(ipa, await download.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task ALinkRevokedOnOneReplicaStopsTheOthersVeryNextManifestAndIpaRequest()
    {
        var (buildId, _) = await A.UploadAsync("link-revoked-on-b");
        var (linkId, page) = await A.MintAsync(buildId);
        using var phone = A.CreateClient();
        using (var before = await phone.GetAsync(page + "/manifest.plist"))
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);

        using var revoked = await B.CreateClient(ReplicaHosts.ReleaseManagerKey).DeleteAsync($"/api/v1/links/{linkId}");
        using var manifest = await phone.GetAsync(page + "/manifest.plist");
        using var download = await phone.GetAsync(page + "/app.ipa");

        Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);
        Assert.Equal(HttpStatusCode.Gone, manifest.StatusCode);
        Assert.Equal(HttpStatusCode.Gone, download.StatusCode);
    }

    [Fact]
    public async Task ABuildRevokedOnOneReplicaStopsTheOthersVeryNextManifestAndIpaRequest()
    {
        var (buildId, _) = await A.UploadAsync("build-revoked-on-b");
        var (_, page) = await A.MintAsync(buildId);
        using var phone = A.CreateClient();
        using (var before = await phone.GetAsync(page + "/app.ipa", HttpCompletionOption.ResponseHeadersRead))
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);

        using var revoked = await B.CreateClient(ReplicaHosts.ReleaseManagerKey).DeleteAsync($"/api/v1/builds/{buildId}");
        using var manifest = await phone.GetAsync(page + "/manifest.plist");
        using var download = await phone.GetAsync(page + "/app.ipa");

        Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        Assert.Equal(HttpStatusCode.Gone, manifest.StatusCode);
        Assert.Equal(HttpStatusCode.Gone, download.StatusCode);
    }
}
