using System.Net;
using Microsoft.Extensions.Options;

namespace ChatOpsBot.Tests;

public sealed class StartupTests
{
    [Fact]
    public async Task TemporaryUploadFilesLeftByAnEarlierRunAreRemovedAtStart()
    {
        using var app = new ChatOpsBotApplication();
        var temporary = Path.Combine(app.DataDirectory, "artifacts", ".tmp");
        Directory.CreateDirectory(temporary);
        await File.WriteAllTextAsync(Path.Combine(temporary, "leftover"), "partial upload");

        using var client = app.CreateLoopbackClient();
        using var ready = await client.GetAsync("/readyz");

        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Empty(Directory.EnumerateFiles(temporary));
        Assert.True(File.Exists(Path.Combine(app.DataDirectory, "chatopsbot.db")));
    }

    [Theory]
    [InlineData("ChatOpsBot:ApiKeys:0:Role", "ChatOpsBot:ApiKeys:0:Role is required")]
    [InlineData("ChatOpsBot:ApiKeys:0:Key", "ChatOpsBot:ApiKeys:0: set exactly one of Key or KeyHash")]
    public void ApiKeyMissingASettingStopsTheHostNamingTheKey(string omitted, string message)
    {
        var settings = ChatOpsBotApplication.WithApiKeys();
        settings.Remove(omitted);
        using var app = new ChatOpsBotApplication(settings);

        var error = Assert.Throws<OptionsValidationException>(() => app.CreateLoopbackClient());

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ApiKeyHashThatIsNotLowercaseHexStopsTheHost()
    {
        var settings = ChatOpsBotApplication.WithApiKeys(new() { ["ChatOpsBot:ApiKeys:2:KeyHash"] = new string('G', 64) });
        using var app = new ChatOpsBotApplication(settings);

        var error = Assert.Throws<OptionsValidationException>(() => app.CreateLoopbackClient());

        Assert.Contains("ChatOpsBot:ApiKeys:2:KeyHash", error.Message, StringComparison.Ordinal);
    }
}
