using System.Net;

namespace ChatOpsBot.Tests;

/// <summary>
/// An outside review's second pass: the IPA route of a dead link answers HEAD and unsatisfiable ranges the way it
/// answers GET, so nobody learns the file's size or hash from a link that can no longer install anything.
/// </summary>
public sealed class ReviewDeadLinkTests(DeliverySite site) : IClassFixture<DeliverySite>
{
    private async Task<HttpResponseMessage[]> ProbeAsync(HttpClient phone, string token)
    {
        using var head = new HttpRequestMessage(HttpMethod.Head, $"/i/{token}/app.ipa");
        var headResponse = await phone.SendAsync(head);
        var beyondTheEnd = await DeliverySite.GetRangeAsync(phone, $"/i/{token}/app.ipa", $"bytes={site.Ipa.Length + 10}-");
        return [headResponse, beyondTheEnd];
    }

    private static void AssertRevealsNothing(HttpResponseMessage[] responses, long size)
    {
        foreach (var response in responses)
        {
            Assert.Equal(HttpStatusCode.Gone, response.StatusCode);
            Assert.Null(response.Headers.ETag);
            Assert.Null(response.Content.Headers.ContentRange);
            Assert.NotEqual(size, response.Content.Headers.ContentLength);
        }
    }

    [Fact]
    public async Task AUsedUpLinksFileIsNotDescribedToAnotherPhoneThroughHeadOrAnUnsatisfiableRange()
    {
        var (token, _) = await site.MintAsync(maxDownloads: 1);
        using (var download = await site.Phone().GetAsync($"/i/{token}/app.ipa"))
            Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        using var otherPhone = site.Phone(userAgent: "other/1.0");

        AssertRevealsNothing(await ProbeAsync(otherPhone, token), site.Ipa.Length);
    }

    [Fact]
    public async Task AnExpiredLinksFileIsNotDescribedDuringTheDownloadGraceThroughHeadOrAnUnsatisfiableRange()
    {
        var (token, _) = await site.MintAsync();
        site.App.Clock.Advance(TimeSpan.FromMinutes(61));
        using var phone = site.Phone();

        AssertRevealsNothing(await ProbeAsync(phone, token), site.Ipa.Length);
    }

    [Fact]
    public async Task ALiveLinkStillAnswersHeadAndUnsatisfiableRanges()
    {
        var (token, _) = await site.MintAsync(maxDownloads: 1);
        using var phone = site.Phone();

        var responses = await ProbeAsync(phone, token);

        Assert.Equal(HttpStatusCode.OK, responses[0].StatusCode);
        Assert.Equal(site.Ipa.Length, responses[0].Content.Headers.ContentLength);
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, responses[1].StatusCode);
        foreach (var response in responses)
            response.Dispose();
        using var download = await phone.GetAsync($"/i/{token}/app.ipa");
        Assert.Equal(site.Ipa, await download.Content.ReadAsByteArrayAsync());
    }
}
