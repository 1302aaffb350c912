using ChatOpsBot.Tests;

namespace ChatOpsBot.Teams.Tests;

/// <summary>The trusted service URLs: a shared store, and this process's bounded cache in front of it.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "xunit disposes through IAsyncLifetime.")]
public sealed class ServiceUrlTrustTests : IAsyncLifetime
{
    private readonly FakeBotFramework _microsoft = new();
    private TeamsServices _services = null!;

    public Task InitializeAsync()
    {
        _services = new TeamsServices(_microsoft);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _microsoft.DisposeAsync();
    }

    private ServiceUrlTrust Trust => _services.Get<ServiceUrlTrust>();

    private ITrustedServiceUrlStore Store => _services.Get<ITrustedServiceUrlStore>();

    private Task<bool> IsTrustedAsync(string serviceUrl) => Trust.IsTrustedAsync(serviceUrl, CancellationToken.None);

    [Fact]
    public async Task ATrustedServiceUrlIsWrittenToTheSharedStore()
    {
        await _services.TrustAsync("https://smba.trafficmanager.net/amer/");

        Assert.True(await Store.ContainsAsync("https://smba.trafficmanager.net/amer", CancellationToken.None));
        Assert.True(await IsTrustedAsync("https://smba.trafficmanager.net/amer/"));
    }

    [Fact]
    public async Task AServiceUrlRefusedOnceIsTrustedAsSoonAsAnotherReplicaStoresIt()
    {
        Assert.False(await IsTrustedAsync("https://smba.trafficmanager.net/emea/"));

        await Store.AddAsync(TrustedServiceUrls.Key("https://smba.trafficmanager.net/emea/"), CancellationToken.None);

        Assert.True(await IsTrustedAsync("https://smba.trafficmanager.net/emea/"));
    }

    [Fact]
    public async Task AFullCacheStillTrustsWhatTheStoreTrustsAndNothingElse()
    {
        for (var i = 0; i < TrustedServiceUrls.Capacity; i++)
            await _services.TrustAsync($"https://smba.example.test/{i}/");

        await _services.TrustAsync("https://smba.trafficmanager.net/apac/");

        Assert.False(_services.Get<TrustedServiceUrls>().Contains("https://smba.trafficmanager.net/apac/"));
        Assert.True(await IsTrustedAsync("https://smba.trafficmanager.net/apac/"));
        Assert.True(await IsTrustedAsync("https://smba.example.test/0/"));
        Assert.False(await IsTrustedAsync("https://smba.trafficmanager.net/unknown/"));
    }

    [Fact]
    public async Task AServiceUrlLongerThanTheStoreKeepsIsNeverTrusted()
    {
        var serviceUrl = "https://smba.trafficmanager.net/" + new string('a', TrustedServiceUrls.MaxLength) + "/";

        await _services.TrustAsync(serviceUrl);

        Assert.False(await Store.ContainsAsync(TrustedServiceUrls.Key(serviceUrl), CancellationToken.None));
        Assert.False(await IsTrustedAsync(serviceUrl));
    }

    [Fact]
    public async Task APlainHttpServiceUrlIsNeverTrustedEvenWhenStored()
    {
        await Store.AddAsync(TrustedServiceUrls.Key("http://smba.example.test/amer/"), CancellationToken.None);

        Assert.False(await IsTrustedAsync("http://smba.example.test/amer/"));
    }
}
