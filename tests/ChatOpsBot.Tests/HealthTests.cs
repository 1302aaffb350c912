namespace ChatOpsBot.Tests;

public sealed class HealthTests
{
    [Fact]
    public async Task HealthzAnswersOkOverLoopbackHttp()
    {
        await using var app = new ChatOpsBotApplication();
        using var client = app.CreateLoopbackClient();

        using var response = await client.GetAsync("/healthz");

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync());
        Assert.True(client.BaseAddress!.IsLoopback);
    }
}
