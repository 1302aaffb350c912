using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace ChatOpsBot.Tests;

public sealed class DownloadCapTests(DeliverySite site) : IClassFixture<DeliverySite>
{
    [Fact]
    public async Task TenConcurrentDownloadsOfACapOneLinkServeTheFileOnce()
    {
        var (token, _) = await site.MintAsync(maxDownloads: 1);
        using var phone = site.Phone();

        var responses = await Task.WhenAll(Enumerable.Range(0, 10).Select(async _ =>
        {
            using var response = await phone.GetAsync($"/i/{token}/app.ipa");
            return (response.StatusCode, Body: await response.Content.ReadAsByteArrayAsync());
        }));

        var served = Assert.Single(responses, r => r.StatusCode == HttpStatusCode.OK);
        Assert.Equal(site.Ipa, served.Body);
        Assert.All(responses.Where(r => r.StatusCode != HttpStatusCode.OK), r =>
        {
            Assert.Equal(HttpStatusCode.Gone, r.StatusCode);
            Assert.Contains("download limit", System.Text.Encoding.UTF8.GetString(r.Body), StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task ACapOfTwoServesTwoPeopleAndRefusesTheThird()
    {
        var (token, _) = await site.MintAsync(maxDownloads: 2);
        using var first = site.Phone(userAgent: "first/1.0");
        using var second = site.Phone(userAgent: "second/1.0");
        using var third = site.Phone(userAgent: "third/1.0");

        using var one = await first.GetAsync($"/i/{token}/app.ipa");
        using var two = await second.GetAsync($"/i/{token}/app.ipa");
        using var three = await third.GetAsync($"/i/{token}/app.ipa");

        Assert.Equal(site.Ipa, await one.Content.ReadAsByteArrayAsync());
        Assert.Equal(site.Ipa, await two.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.Gone, three.StatusCode);
    }

    [Fact]
    public async Task RepeatedNearCompleteRangesStopOnceTwiceTheFileHasBeenSent()
    {
        var (token, _) = await site.MintAsync(maxDownloads: 1);
        using var phone = site.Phone();
        var allButTheLastByte = $"bytes=0-{site.Ipa.Length - 2}";

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++)
        {
            using var response = await DeliverySite.GetRangeAsync(phone, $"/i/{token}/app.ipa", allButTheLastByte);
            statuses.Add(response.StatusCode);
        }
        using var page = await phone.GetAsync($"/i/{token}");

        Assert.Equal([HttpStatusCode.PartialContent, HttpStatusCode.PartialContent, HttpStatusCode.Gone, HttpStatusCode.Gone, HttpStatusCode.Gone], statuses);
        Assert.Equal(HttpStatusCode.Gone, page.StatusCode);
    }

    [Fact]
    public async Task AnInterruptedDownloadResumesWithTheRestAndThenTheCapHolds()
    {
        var (token, id) = await site.MintAsync(maxDownloads: 1);
        using var phone = site.Phone();
        var half = site.Ipa.Length / 2;

        using var part = await DeliverySite.GetRangeAsync(phone, $"/i/{token}/app.ipa", $"bytes=0-{half - 1}");
        using var rest = await DeliverySite.GetRangeAsync(phone, $"/i/{token}/app.ipa", $"bytes={half}-");
        using var again = await phone.GetAsync($"/i/{token}/app.ipa");
        using var otherPhone = site.Phone(userAgent: "other/1.0");
        using var someoneElse = await DeliverySite.GetRangeAsync(otherPhone, $"/i/{token}/app.ipa", $"bytes={half}-");

        Assert.Equal(HttpStatusCode.PartialContent, part.StatusCode);
        Assert.Equal(HttpStatusCode.PartialContent, rest.StatusCode);
        byte[] joined = [.. await part.Content.ReadAsByteArrayAsync(), .. await rest.Content.ReadAsByteArrayAsync()];
        Assert.Equal(site.Ipa, joined);
        Assert.Equal(HttpStatusCode.Gone, again.StatusCode);
        Assert.Equal(HttpStatusCode.Gone, someoneElse.StatusCode);
        var download = Assert.Single((await DownloadsAsync(id)).EnumerateArray());
        Assert.Equal(site.Ipa.Length, download.GetProperty("bytesSent").GetInt64());
    }

    [Fact]
    public async Task NearCompleteRangesDuringTheDownloadGraceStopOnceTwiceTheFileHasBeenSent()
    {
        var (token, _) = await site.MintAsync();
        using var phone = site.Phone();
        var allButTheLastByte = $"bytes=0-{site.Ipa.Length - 2}";
        using (var begun = await DeliverySite.GetRangeAsync(phone, $"/i/{token}/app.ipa", allButTheLastByte))
            Assert.Equal(HttpStatusCode.PartialContent, begun.StatusCode);

        site.App.Clock.Advance(TimeSpan.FromMinutes(61));
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            using var response = await DeliverySite.GetRangeAsync(phone, $"/i/{token}/app.ipa", allButTheLastByte);
            statuses.Add(response.StatusCode);
        }
        using var lastByte = await DeliverySite.GetRangeAsync(phone, $"/i/{token}/app.ipa", $"bytes={site.Ipa.Length - 1}-");

        Assert.Equal([HttpStatusCode.PartialContent, HttpStatusCode.Gone, HttpStatusCode.Gone, HttpStatusCode.Gone], statuses);
        // Twice the file less two bytes has been sent: the byte that completes the download still fits.
        Assert.Equal(HttpStatusCode.PartialContent, lastByte.StatusCode);
        Assert.Equal(site.Ipa[^1..], await lastByte.Content.ReadAsByteArrayAsync());
    }

    private async Task<JsonElement> DownloadsAsync(long linkId)
    {
        using var admin = site.App.CreateClient(ChatOpsBotApplication.AdminKey);
        // Bytes are settled once the server has finished sending, which can be just after the client has them all.
        JsonElement downloads = default;
        for (var wait = 0; wait < 200; wait++)
        {
            downloads = (await admin.GetFromJsonAsync<JsonElement>($"/api/v1/links/{linkId}")).GetProperty("downloads");
            if (downloads.EnumerateArray().All(d => d.GetProperty("completed").GetBoolean()))
                break;
            await Task.Delay(50);
        }
        return downloads;
    }
}

public sealed class DeadLinkTests(DeliverySite site) : IClassFixture<DeliverySite>
{
    private static readonly string[] Revealing = [DeliverySite.DisplayName, DeliverySite.AppSlug, "Secret launch notes", "Ada Lovelace", "1.4.2", "187", "ota.example.test"];

    private async Task<HttpResponseMessage[]> FetchAllAsync(string token)
    {
        using var phone = site.Phone();
        return await Task.WhenAll(new[] { "", "/icon.png", "/qr.png", "/manifest.plist", "/app.ipa" }.Select(path => phone.GetAsync($"/i/{token}{path}")));
    }

    private static async Task AssertDeadAsync(HttpResponseMessage[] responses, string reason)
    {
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Gone, r.StatusCode));
        var page = await responses[0].Content.ReadAsStringAsync();
        Assert.Contains(reason, page, StringComparison.Ordinal);
        Assert.Contains("/install &lt;app&gt; &lt;channel&gt;", page, StringComparison.Ordinal);
        foreach (var response in responses)
        {
            Assert.NotEqual("image/png", response.Content.Headers.ContentType?.MediaType);
            var text = await response.Content.ReadAsStringAsync();
            Assert.All(Revealing, secret => Assert.DoesNotContain(secret, text, StringComparison.OrdinalIgnoreCase));
        }
    }

    [Fact]
    public async Task ALiveLinkShowsItsBuildIconAndQrCode()
    {
        var (token, _) = await site.MintAsync();

        var responses = await FetchAllAsync(token);

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var page = await responses[0].Content.ReadAsStringAsync();
        Assert.Contains(DeliverySite.DisplayName, page, StringComparison.Ordinal);
        Assert.Contains("Secret launch notes", page, StringComparison.Ordinal);
        Assert.Contains("Ada Lovelace", page, StringComparison.Ordinal);
        Assert.Equal("image/png", responses[1].Content.Headers.ContentType!.MediaType);
        Assert.Equal("image/png", responses[2].Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task AnExpiredLinkRevealsNothingButThatItIsDead()
    {
        var (token, _) = await site.MintAsync();
        site.App.Clock.Advance(TimeSpan.FromHours(1));

        await AssertDeadAsync(await FetchAllAsync(token), "This install link has expired");
    }

    [Fact]
    public async Task ARevokedLinkRevealsNothingButThatItIsDead()
    {
        var (token, id) = await site.MintAsync();
        using (var revoke = await site.ReleaseManager.DeleteAsync($"/api/v1/links/{id}"))
            Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);

        await AssertDeadAsync(await FetchAllAsync(token), "This install link was revoked");
    }

    [Fact]
    public async Task AUsedUpLinkRevealsNothingButThatItIsDead()
    {
        var (token, _) = await site.MintAsync(maxDownloads: 1);
        using (var download = await site.Phone().GetAsync($"/i/{token}/app.ipa"))
            Assert.Equal(HttpStatusCode.OK, download.StatusCode);

        await AssertDeadAsync(await FetchAllAsync(token), "This install link has been used up");
    }
}
