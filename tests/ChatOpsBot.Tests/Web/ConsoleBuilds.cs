using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ChatOpsBot.Core.Tests.Builds;

namespace ChatOpsBot.Tests.Web;

/// <summary>Builds put in place through the API, for the console's pages to show.</summary>
internal static class ConsoleBuilds
{
    /// <summary>An ad hoc IPA (three devices) whose profile ends at <paramref name="expires"/>.</summary>
    public static byte[] IpaExpiring(DateTime expires, string? displayName = null)
    {
        var profile = TestProfiles.AdHoc();
        profile["ExpirationDate"] = expires;
        var builder = new TestIpaBuilder().WithProfile(TestProfiles.Sign(profile))
            .WithAppFile("AppIcon60x60@2x.png", TestPng.EncodeCrushed(RgbaImage.Sample(120, 120)));
        if (displayName is not null)
            builder.WithInfoString("CFBundleDisplayName", displayName);
        return builder.Build();
    }

    /// <summary>Uploads through the API with the release manager's key and returns the build's id.</summary>
    public static async Task<long> UploadAsync(ChatOpsBotApplication app, byte[] ipa, string channel = "beta", string appSlug = "demo", string? notes = null)
    {
        using var api = app.CreateClient(ChatOpsBotApplication.ReleaseManagerKey);
        using var form = new MultipartFormDataContent
        {
            { new StringContent(channel), "channel" },
            { new StringContent(appSlug), "app" },
            { new ByteArrayContent(ipa), "file", "Demo.ipa" },
        };
        if (notes is not null)
            form.Add(new StringContent(notes), "notes");
        using var response = await api.PostAsync("/api/v1/builds", form);
        Xunit.Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
    }
}
