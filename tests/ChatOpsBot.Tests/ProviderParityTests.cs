using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ChatOpsBot.Core.Tests.Builds;

namespace ChatOpsBot.Tests;

/// <summary>What one provider accepts the other does too: on SQLite and, in ./test.sh's second pass, on PostgreSQL.</summary>
public sealed class ProviderParityTests
{
    [Fact]
    public async Task AnAppWhoseNameIsLongerThanTheModelSaysIsRegisteredAndServedAsItIs()
    {
        await using var app = new ChatOpsBotApplication(ChatOpsBotApplication.WithApiKeys());
        using var api = app.CreateClient(ChatOpsBotApplication.UploaderKey);
        var name = string.Concat(Enumerable.Repeat("Very Long Name ", 20)).Trim();
        var builder = new TestIpaBuilder().WithProfile(TestProfiles.Sign(TestProfiles.AdHoc()));
        builder.Info["CFBundleDisplayName"] = name;
        using var form = new MultipartFormDataContent
        {
            { new StringContent("beta"), "channel" },
            { new StringContent("long"), "app" },
            { new ByteArrayContent(builder.Build()), "file", "Long.ipa" },
        };

        using var response = await api.PostAsync("/api/v1/builds", form);

        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync() + app.ServerErrors());
        Assert.True(name.Length > 255);
        Assert.Equal(name, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("displayName").GetString());
        var apps = await api.GetFromJsonAsync<JsonElement>("/api/v1/apps");
        Assert.Contains(name, apps.GetRawText(), StringComparison.Ordinal);
    }
}
