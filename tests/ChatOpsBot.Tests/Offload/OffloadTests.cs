using System.Net;
using System.Text;

namespace ChatOpsBot.Tests.Offload;

/// <summary>
/// <c>ChatOpsBot:Delivery:Offload=XAccelRedirect</c> behind Debian's nginx: the host authorises and records, nginx
/// sends the bytes, and a phone sees what the host streaming them itself would have sent it.
/// </summary>
public sealed class OffloadTests(OffloadSite site) : IClassFixture<OffloadSite>
{
    private const string Etag = "{etag}";

    /// <summary>What a client sees of a response: the status, the headers a proxy does not own, and the body.</summary>
    private sealed record Answer(HttpStatusCode Status, string Headers, byte[] Body)
    {
        public override string ToString() => $"{(int)Status}\n{Headers}\n{Body.Length} bytes";
    }

    /// <summary>Headers that belong to whichever server answered the connection, not to the resource.</summary>
    private static readonly HashSet<string> ConnectionHeaders = new(StringComparer.OrdinalIgnoreCase) { "Date", "Server", "Connection", "Keep-Alive" };

    private static async Task<Answer> SendAsync(HttpClient client, HttpMethod method, string path, string? range = null, string? ifRange = null, (string Name, string Value)? other = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (range is not null)
            request.Headers.TryAddWithoutValidation("Range", range);
        if (ifRange is not null)
            request.Headers.TryAddWithoutValidation("If-Range", ifRange);
        if (other is { } header)
            request.Headers.TryAddWithoutValidation(header.Name, header.Value);
        using var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsByteArrayAsync();
        var headers = response.Headers.Concat(response.Content.Headers)
            .Where(h => !ConnectionHeaders.Contains(h.Key))
            .Select(h => $"{h.Key.ToLowerInvariant()}: {string.Join(" | ", h.Value)}")
            .Order(StringComparer.Ordinal);
        return new Answer(response.StatusCode, string.Join("\n", headers), body);
    }

    private string Resolve(string? header) => header?.Replace(Etag, $"\"{site.Sha256}\"", StringComparison.Ordinal) ?? "";

    [Theory]
    [InlineData("GET", null, null, true)]
    [InlineData("GET", "bytes=0-99", null, true)]
    [InlineData("GET", "bytes=100-", null, true)]
    [InlineData("GET", "bytes=-100", null, true)]
    [InlineData("GET", "bytes=0-", null, true)]
    [InlineData("GET", "bytes=1000-999999999", null, true)]
    [InlineData("GET", "bytes=-999999999", null, true)]
    [InlineData("GET", "bytes=0-99", Etag, true)]
    [InlineData("GET", "bytes=0-99", "\"stale\"", false)]
    [InlineData("GET", "bytes=0-99", "W/" + Etag, false)]
    [InlineData("GET", "bytes=0-99", "Wed, 21 Oct 2015 07:28:00 GMT", false)]
    [InlineData("GET", "bytes=0-1,5-6", null, false)]
    [InlineData("GET", "bytes=5-2", null, false)]
    [InlineData("GET", "bytes=5-5", null, true)]
    [InlineData("GET", "bytes= 0-99", null, false)]
    [InlineData("GET", "BYTES=0-99", null, false)]
    [InlineData("GET", "bytes=abc", null, false)]
    [InlineData("GET", "items=0-5", null, false)]
    [InlineData("GET", "bytes=999999999-", null, false)]
    [InlineData("HEAD", null, null, false)]
    [InlineData("HEAD", "bytes=0-99", null, false)]
    [InlineData("HEAD", "bytes=999999999-", null, false)]
    public async Task ThroughNginxTheOffloadedHostAnswersByteForByteAndHeaderForHeaderAsTheDirectPath(string method, string? range, string? ifRange, bool handedOff)
    {
        var (direct, _) = await OffloadSite.MintAsync(site.Direct);
        var (offloaded, _) = await OffloadSite.MintAsync(site.Offloaded);
        using var straight = OffloadSite.PhoneStraightTo(site.Direct);
        using var throughNginx = site.PhoneThroughNginx();

        var expected = await SendAsync(straight, new HttpMethod(method), $"/i/{direct}/app.ipa", range, ifRange is null ? null : Resolve(ifRange));
        var actual = await SendAsync(throughNginx, new HttpMethod(method), $"/i/{offloaded}/app.ipa", range, ifRange is null ? null : Resolve(ifRange));

        Assert.Equal(expected.Status, actual.Status);
        Assert.Equal(expected.Headers, actual.Headers);
        Assert.Equal(expected.Body, actual.Body);
        Assert.DoesNotContain("x-accel", actual.Headers, StringComparison.OrdinalIgnoreCase);
        Assert.True(string.IsNullOrEmpty(site.Nginx.ErrorLog), site.Nginx.ErrorLog);
        // Whether nginx sent these bytes or the host did: the same request straight to the offloaded host says.
        var (another, _) = await OffloadSite.MintAsync(site.Offloaded);
        using var straightToOffloaded = OffloadSite.PhoneStraightTo(site.Offloaded);
        var decision = await SendAsync(straightToOffloaded, new HttpMethod(method), $"/i/{another}/app.ipa", range, ifRange is null ? null : Resolve(ifRange));
        Assert.Equal(handedOff, decision.Headers.Contains("x-accel-redirect: ", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("If-None-Match", Etag)]
    [InlineData("If-Modified-Since", "Wed, 21 Oct 2099 07:28:00 GMT")]
    [InlineData("If-Match", "\"stale\"")]
    [InlineData("If-Match", Etag)]
    [InlineData("If-Unmodified-Since", "Wed, 21 Oct 2015 07:28:00 GMT")]
    public async Task ConditionalHeadersTheHostIgnoresAreIgnoredThroughNginxToo(string name, string value)
    {
        var (direct, _) = await OffloadSite.MintAsync(site.Direct);
        var (offloaded, _) = await OffloadSite.MintAsync(site.Offloaded);
        using var straight = OffloadSite.PhoneStraightTo(site.Direct);
        using var throughNginx = site.PhoneThroughNginx();

        var expected = await SendAsync(straight, HttpMethod.Get, $"/i/{direct}/app.ipa", other: (name, Resolve(value)));
        var actual = await SendAsync(throughNginx, HttpMethod.Get, $"/i/{offloaded}/app.ipa", other: (name, Resolve(value)));

        Assert.Equal(HttpStatusCode.OK, actual.Status);
        Assert.Equal(expected.Headers, actual.Headers);
        Assert.Equal(site.Ipa, actual.Body);
    }

    [Fact]
    public async Task OffloadedHostHandsAGetToNginxWithTheArtifactsInternalLocationAndNoBody()
    {
        var (token, _) = await OffloadSite.MintAsync(site.Offloaded);
        using var straight = OffloadSite.PhoneStraightTo(site.Offloaded);

        using var response = await straight.GetAsync($"/i/{token}/app.ipa");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal($"/_chatopsbot/artifacts/{site.Sha256[..2]}/{site.Sha256}", Assert.Single(response.Headers.GetValues("X-Accel-Redirect")));
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal("application/octet-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal($"\"{site.Sha256}\"", response.Headers.ETag?.Tag);
        Assert.True(response.Headers.CacheControl?.NoStore);
    }

    [Fact]
    public void OffloadedHostSaysAtStartWhereItHandsDownloadsAndTheOtherDoesNot()
    {
        var notice = Assert.Single(site.Offloaded.Logs, l => l.Contains("[6200]", StringComparison.Ordinal));

        Assert.Contains("X-Accel-Redirect to /_chatopsbot/artifacts/", notice, StringComparison.Ordinal);
        Assert.Contains($"alias {Path.Combine(site.Offloaded.DataDirectory, "artifacts")}/", notice, StringComparison.Ordinal);
        Assert.DoesNotContain(site.Direct.Logs, l => l.Contains("[6200]", StringComparison.Ordinal));
    }

    [Fact]
    public async Task OffloadedHostAnswersAHeadItselfWithoutHandingItOff()
    {
        var (token, _) = await OffloadSite.MintAsync(site.Offloaded);
        using var straight = OffloadSite.PhoneStraightTo(site.Offloaded);

        using var response = await straight.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/i/{token}/app.ipa"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(response.Headers.Contains("X-Accel-Redirect"));
        Assert.Equal(site.Ipa.Length, response.Content.Headers.ContentLength);
    }

    [Theory]
    [InlineData("bytes=0-1,5-6")]
    [InlineData("bytes=5-2")]
    [InlineData("bytes=0-1, 5-6")]
    public async Task RangesNginxWouldReadOtherwiseAreSentByTheHostItself(string range)
    {
        var (token, _) = await OffloadSite.MintAsync(site.Offloaded);
        using var straight = OffloadSite.PhoneStraightTo(site.Offloaded);

        var answer = await SendAsync(straight, HttpMethod.Get, $"/i/{token}/app.ipa", range);

        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Equal(site.Ipa, answer.Body);
        Assert.DoesNotContain("x-accel", answer.Headers, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task WithoutOffloadTheHostSendsTheBytesItselfAndNoRedirectHeader()
    {
        var (token, _) = await OffloadSite.MintAsync(site.Direct);
        using var straight = OffloadSite.PhoneStraightTo(site.Direct);

        using var response = await straight.GetAsync($"/i/{token}/app.ipa");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(response.Headers.Contains("X-Accel-Redirect"));
        Assert.Equal(site.Ipa, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task InternalLocationIsNotReachableFromOutsideNginxAndTheHostNeverServesIt()
    {
        var path = $"/_chatopsbot/artifacts/{site.Sha256[..2]}/{site.Sha256}";
        using var throughNginx = site.PhoneThroughNginx();
        using var straight = OffloadSite.PhoneStraightTo(site.Offloaded);

        using var viaNginx = await throughNginx.GetAsync(path);
        using var viaHost = await straight.GetAsync(path);

        Assert.Equal(HttpStatusCode.NotFound, viaNginx.StatusCode);
        Assert.NotEqual(site.Ipa.Length, (await viaNginx.Content.ReadAsByteArrayAsync()).Length);
        Assert.Equal(HttpStatusCode.NotFound, viaHost.StatusCode);
        Assert.NotEqual(site.Ipa.Length, (await viaHost.Content.ReadAsByteArrayAsync()).Length);
        Assert.True(File.Exists(Path.Combine(site.Offloaded.DataDirectory, "artifacts", site.Sha256[..2], site.Sha256)));
    }

    [Fact]
    public async Task HandedOffWholeFileCountsAsOneCompletedDownloadOfTheWholeFile()
    {
        var (token, id) = await OffloadSite.MintAsync(site.Offloaded);
        using var phone = site.PhoneThroughNginx();
        var started = site.Measurements.Sum("chatopsbot.install.steps", ("step", "download_started"));
        var completed = site.Measurements.Sum("chatopsbot.install.steps", ("step", "download_completed"));

        using var response = await phone.GetAsync($"/i/{token}/app.ipa");

        Assert.Equal(site.Ipa, await response.Content.ReadAsByteArrayAsync());
        var download = Assert.Single(await OffloadSite.DownloadsAsync(site.Offloaded, id));
        Assert.Equal(site.Ipa.Length, download.GetProperty("bytesSent").GetInt64());
        Assert.True(download.GetProperty("completed").GetBoolean());
        Assert.Equal(OffloadSite.Installer, download.GetProperty("userAgent").GetString());
        Assert.Equal(started + 1, site.Measurements.Sum("chatopsbot.install.steps", ("step", "download_started")));
        Assert.Equal(completed + 1, site.Measurements.Sum("chatopsbot.install.steps", ("step", "download_completed")));
    }

    [Fact]
    public async Task HandedOffRangesCountAsOneDownloadThatCompletesWithTheRangeReachingTheEnd()
    {
        var (token, id) = await OffloadSite.MintAsync(site.Offloaded);
        using var phone = site.PhoneThroughNginx();
        var half = site.Ipa.Length / 2;
        var started = site.Measurements.Sum("chatopsbot.install.steps", ("step", "download_started"));
        var completed = site.Measurements.Sum("chatopsbot.install.steps", ("step", "download_completed"));

        var first = await SendAsync(phone, HttpMethod.Get, $"/i/{token}/app.ipa", $"bytes=0-{half - 1}");
        var afterFirst = Assert.Single(await OffloadSite.DownloadsAsync(site.Offloaded, id));
        var completedAfterFirst = site.Measurements.Sum("chatopsbot.install.steps", ("step", "download_completed"));
        var rest = await SendAsync(phone, HttpMethod.Get, $"/i/{token}/app.ipa", $"bytes={half}-");

        Assert.Equal(site.Ipa, first.Body.Concat(rest.Body).ToArray());
        Assert.Equal(half, afterFirst.GetProperty("bytesSent").GetInt64());
        Assert.False(afterFirst.GetProperty("completed").GetBoolean());
        Assert.Equal(completed, completedAfterFirst);
        var download = Assert.Single(await OffloadSite.DownloadsAsync(site.Offloaded, id));
        Assert.Equal(site.Ipa.Length, download.GetProperty("bytesSent").GetInt64());
        Assert.True(download.GetProperty("completed").GetBoolean());
        Assert.Equal(started + 1, site.Measurements.Sum("chatopsbot.install.steps", ("step", "download_started")));
        Assert.Equal(completed + 1, site.Measurements.Sum("chatopsbot.install.steps", ("step", "download_completed")));
    }

    [Fact]
    public async Task UsedUpCappedLinkIsGoneThroughNginxWhileItsOpenDownloadMayFinish()
    {
        var (token, id) = await OffloadSite.MintAsync(site.Offloaded, maxDownloads: 1);
        using var phone = site.PhoneThroughNginx();
        var path = $"/i/{token}/app.ipa";

        var part = await SendAsync(phone, HttpMethod.Get, path, "bytes=0-99");
        var rest = await SendAsync(phone, HttpMethod.Get, path, "bytes=100-");
        var again = await SendAsync(phone, HttpMethod.Get, path);

        Assert.Equal(HttpStatusCode.PartialContent, part.Status);
        Assert.Equal(HttpStatusCode.PartialContent, rest.Status);
        Assert.Equal(site.Ipa, part.Body.Concat(rest.Body).ToArray());
        Assert.Equal(HttpStatusCode.Gone, again.Status);
        Assert.Equal("This install link has reached its download limit. Ask the bot for a new one.", Encoding.UTF8.GetString(again.Body));
        var download = Assert.Single(await OffloadSite.DownloadsAsync(site.Offloaded, id));
        Assert.True(download.GetProperty("completed").GetBoolean());
    }

    [Fact]
    public async Task ThroughNginxADownloadResumesWithinTheGraceAndIsGoneBeyondIt()
    {
        var (token, _) = await OffloadSite.MintAsync(site.Offloaded);
        using var phone = site.PhoneThroughNginx();
        var path = $"/i/{token}/app.ipa";
        var first = await SendAsync(phone, HttpMethod.Get, path, "bytes=0-99");

        site.Offloaded.Clock.Advance(TimeSpan.FromHours(2));
        var resumed = await SendAsync(phone, HttpMethod.Get, path, "bytes=100-199");
        var fresh = await SendAsync(phone, HttpMethod.Get, path);
        site.Offloaded.Clock.Advance(TimeSpan.FromHours(1));
        var beyondGrace = await SendAsync(phone, HttpMethod.Get, path, "bytes=200-");

        Assert.Equal(HttpStatusCode.PartialContent, first.Status);
        Assert.Equal(HttpStatusCode.PartialContent, resumed.Status);
        Assert.Equal(site.Ipa[100..200], resumed.Body);
        Assert.Equal(HttpStatusCode.Gone, fresh.Status);
        Assert.Equal(HttpStatusCode.Gone, beyondGrace.Status);
        Assert.Equal("This install link has expired. Ask the bot for a new one.", Encoding.UTF8.GetString(beyondGrace.Body));
    }
}
