using ChatOpsBot.Tests;

namespace ChatOpsBot.Teams.Tests;

[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "xunit disposes through IAsyncLifetime.")]
public sealed class BotTokenClientTests : IAsyncLifetime
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

    [Fact]
    public async Task TokenIsRequestedByClientCredentialsForTheBotFrameworkScope()
    {
        var token = await _services.Get<BotTokenClient>().GetTokenAsync(CancellationToken.None);

        Assert.Equal("connector-token-1", token);
        var form = Assert.Single(_microsoft.TokenRequests);
        Assert.Equal(FakeBotFramework.TenantId, form["tenant"]);
        Assert.Equal("client_credentials", form["grant_type"]);
        Assert.Equal(FakeBotFramework.AppId, form["client_id"]);
        Assert.Equal(FakeBotFramework.AppPassword, form["client_secret"]);
        Assert.Equal("https://api.botframework.com/.default", form["scope"]);
    }

    [Fact]
    public async Task TokenIsCachedUntilFiveMinutesBeforeItExpires()
    {
        var client = _services.Get<BotTokenClient>();
        Assert.Equal("connector-token-1", await client.GetTokenAsync(CancellationToken.None));

        _services.Clock.Inner.Advance(TimeSpan.FromMinutes(55) - TimeSpan.FromSeconds(1));
        Assert.Equal("connector-token-1", await _services.Get<BotTokenClient>().GetTokenAsync(CancellationToken.None));

        _services.Clock.Inner.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("connector-token-2", await _services.Get<BotTokenClient>().GetTokenAsync(CancellationToken.None));
        Assert.Equal(2, _microsoft.TokenRequests.Count);
    }

    [Fact]
    public async Task ConcurrentCallersShareOneTokenRequest()
    {
        _microsoft.TokenGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        // Each call runs to its first await: one is at the token endpoint, the others wait their turn.
        var calls = Enumerable.Range(0, 10).Select(_ => _services.Get<BotTokenClient>().GetTokenAsync(CancellationToken.None)).ToList();
        _microsoft.TokenGate.SetResult();
        var tokens = await Task.WhenAll(calls);

        Assert.All(tokens, t => Assert.Equal("connector-token-1", t));
        Assert.Single(_microsoft.TokenRequests);
    }

    [Fact]
    public async Task MultiTenantBotAsksTheBotFrameworkTenant()
    {
        await using var services = new TeamsServices(_microsoft, new()
        {
            ["Teams:MicrosoftAppType"] = "MultiTenant",
            ["Teams:ToChannelFromBotLoginUrl"] = null,
        });

        Assert.Equal(new Uri("https://login.microsoftonline.com/botframework.com/oauth2/v2.0/token"),
            services.Get<Microsoft.Extensions.Options.IOptions<TeamsOptions>>().Value.LoginUrl);
    }
}
