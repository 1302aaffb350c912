using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ChatOpsBot.Core.Tests.Builds;
using ChatOpsBot.Features.Builds;

namespace ChatOpsBot.Tests.Offload;

/// <summary>
/// <c>ChatOpsBot:Delivery:Offload=XAccelRedirect</c> with <c>ChatOpsBot:Artifacts:Provider=S3</c> behind Debian's
/// nginx and s3rver: the host authorises, resolves the range and records, nginx fetches exactly those bytes from the
/// store with a URL the host presigned, and a phone sees what the host streaming them itself would have sent it.
/// </summary>
[Trait("Provider", "Sqlite")]
public sealed class StoreOffloadTests(StoreOffloadSite site) : IClassFixture<StoreOffloadSite>
{
    private const string Etag = "{etag}";

    private const string StoreFailed = "The build's file could not be fetched from the artifact store.\n";

    /// <summary>What a client sees of a response: the status, the headers a proxy does not own, and the body.</summary>
    private sealed record Answer(HttpStatusCode Status, string Headers, byte[] Body)
    {
        public override string ToString() => $"{(int)Status}\n{Headers}\n{Body.Length} bytes";

        public string? Header(string name) =>
            Headers.Split('\n').Where(h => h.StartsWith(name.ToLowerInvariant() + ": ", StringComparison.Ordinal)).Select(h => h[(name.Length + 2)..]).SingleOrDefault();
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
    [InlineData("GET", null, null, "all")]
    [InlineData("GET", "bytes=0-99", null, "bytes=0-99")]
    [InlineData("GET", "bytes=100-", null, "bytes=100-{last}")]
    [InlineData("GET", "bytes=-100", null, "bytes={size-100}-{last}")]
    [InlineData("GET", "bytes=0-", null, "bytes=0-{last}")]
    [InlineData("GET", "bytes=1000-999999999", null, "bytes=1000-{last}")]
    [InlineData("GET", "bytes=-999999999", null, "bytes=0-{last}")]
    [InlineData("GET", "bytes=0-99", Etag, "bytes=0-99")]
    [InlineData("GET", "bytes=0-99", "\"stale\"", "all")]
    [InlineData("GET", "bytes=0-99", "W/" + Etag, "all")]
    [InlineData("GET", "bytes=0-99", "Wed, 21 Oct 2015 07:28:00 GMT", "all")]
    [InlineData("GET", "bytes=0-1,5-6", null, "all")]
    [InlineData("GET", "bytes=5-2", null, "all")]
    [InlineData("GET", "bytes=5-5", null, "bytes=5-5")]
    [InlineData("GET", "bytes= 0-99", null, "bytes=0-99")]
    [InlineData("GET", "BYTES=0-99", null, "bytes=0-99")]
    [InlineData("GET", "bytes=abc", null, "all")]
    [InlineData("GET", "items=0-5", null, "all")]
    [InlineData("GET", "bytes=999999999-", null, null)]
    [InlineData("HEAD", null, null, null)]
    [InlineData("HEAD", "bytes=0-99", null, null)]
    [InlineData("HEAD", "bytes=999999999-", null, null)]
    public async Task ThroughNginxTheStoreOffloadAnswersByteForByteAndHeaderForHeaderAsTheDirectPath(string method, string? range, string? ifRange, string? handedOffAs)
    {
        var (direct, _) = await OffloadSite.MintAsync(site.Direct);
        var (offloaded, _) = await OffloadSite.MintAsync(site.Offloaded);
        using var straight = OffloadSite.PhoneStraightTo(site.Direct);
        using var throughNginx = site.PhoneThroughNginx();
        var logged = site.Nginx.ErrorLog.Length;

        var expected = await SendAsync(straight, new HttpMethod(method), $"/i/{direct}/app.ipa", range, ifRange is null ? null : Resolve(ifRange));
        var actual = await SendAsync(throughNginx, new HttpMethod(method), $"/i/{offloaded}/app.ipa", range, ifRange is null ? null : Resolve(ifRange));

        Assert.Equal(expected.Status, actual.Status);
        Assert.Equal(expected.Headers, actual.Headers);
        Assert.Equal(expected.Body, actual.Body);
        Assert.DoesNotContain("x-accel", actual.Headers, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("x-amz", actual.Headers, StringComparison.OrdinalIgnoreCase);
        // Other tests make the store fail on purpose; this one must log nothing.
        Assert.True(site.Nginx.ErrorLog.Length == logged, site.Nginx.ErrorLog[logged..]);
        // Whether nginx fetched these bytes from the store or the host answered: the same request straight to the
        // offloaded host says, and with which range.
        var (another, _) = await OffloadSite.MintAsync(site.Offloaded);
        using var straightToOffloaded = OffloadSite.PhoneStraightTo(site.Offloaded);
        var decision = await SendAsync(straightToOffloaded, new HttpMethod(method), $"/i/{another}/app.ipa", range, ifRange is null ? null : Resolve(ifRange));
        var expectedRedirect = handedOffAs?
            .Replace("{last}", (site.Ipa.Length - 1).ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{size-100}", (site.Ipa.Length - 100).ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        Assert.Equal(expectedRedirect is null ? null : $"/_chatopsbot/s3/{expectedRedirect}{site.ObjectPath}", decision.Header("x-accel-redirect")?.Split('?')[0]);
    }

    [Theory]
    [InlineData("If-None-Match", Etag)]
    [InlineData("If-Modified-Since", "Wed, 21 Oct 2099 07:28:00 GMT")]
    [InlineData("If-Match", "\"stale\"")]
    [InlineData("If-Match", Etag)]
    [InlineData("If-Unmodified-Since", "Wed, 21 Oct 2015 07:28:00 GMT")]
    public async Task ConditionalHeadersTheHostIgnoresAreIgnoredThroughNginxAndTheStoreToo(string name, string value)
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
    public async Task OffloadedHostHandsAGetToNginxWithAPresignedPathStyleObjectUrlAndNoBody()
    {
        var (token, _) = await OffloadSite.MintAsync(site.Offloaded);
        using var straight = OffloadSite.PhoneStraightTo(site.Offloaded);

        var answer = await SendAsync(straight, HttpMethod.Get, $"/i/{token}/app.ipa", "bytes=10-19");

        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Empty(answer.Body);
        var redirect = answer.Header("x-accel-redirect")!;
        Assert.StartsWith($"/_chatopsbot/s3/bytes=10-19{site.ObjectPath}?", redirect, StringComparison.Ordinal);
        var query = redirect[(redirect.IndexOf('?', StringComparison.Ordinal) + 1)..].Split('&');
        Assert.Contains("X-Amz-Expires=300", query);
        Assert.Contains(query, q => q.StartsWith("X-Amz-Signature=", StringComparison.Ordinal));
        Assert.Contains(query, q => q.StartsWith("X-Amz-Credential=" + S3.S3rverServer.AccessKeyId, StringComparison.Ordinal));
        Assert.DoesNotContain(query, q => q.StartsWith("response-", StringComparison.Ordinal));
        Assert.DoesNotContain(token, redirect, StringComparison.Ordinal);
        Assert.Equal("application/octet-stream", answer.Header("content-type"));
        Assert.Equal("no-store", answer.Header("cache-control"));
        Assert.Equal($"\"{site.Sha256}\"", answer.Header("etag"));
    }

    [Fact]
    public async Task TheStoreIsAskedForTheHostsRangeAtTheSignedHostWithNothingElseOfThePhonesRequest()
    {
        var (token, _) = await OffloadSite.MintAsync(site.Offloaded);
        using var phone = site.PhoneThroughNginx();
        var before = site.ObjectRequests().Count();

        var suffix = await SendAsync(phone, HttpMethod.Get, $"/i/{token}/app.ipa", "bytes=-100", ifRange: Resolve(Etag),
            other: ("Cookie", "session=secret"));
        var whole = await SendAsync(phone, HttpMethod.Get, $"/i/{token}/app.ipa", "bytes=0-99", ifRange: "\"stale\"");

        Assert.Equal(site.Ipa[^100..], suffix.Body);
        Assert.Equal(site.Ipa, whole.Body);
        var asked = site.ObjectRequests().Skip(before).ToList();
        Assert.Equal(2, asked.Count);
        Assert.All(asked, r =>
        {
            Assert.Equal("GET", r.Method);
            Assert.Equal(new Uri(site.Store.ServiceUrl).Authority, r.Headers["host"]);
            Assert.Contains("X-Amz-Signature=", r.PathAndQuery, StringComparison.Ordinal);
            foreach (var phoneHeader in new[] { "user-agent", "cookie", "if-range", "x-forwarded-for", "accept-encoding" })
                Assert.False(r.Headers.ContainsKey(phoneHeader), $"the store was sent {phoneHeader}");
        });
        Assert.Equal($"bytes={site.Ipa.Length - 100}-{site.Ipa.Length - 1}", asked[0].Headers["range"]);
        Assert.False(asked[1].Headers.ContainsKey("range"));
    }

    [Fact]
    public void OffloadedHostSaysAtStartWhichLocationAndWhichStoreOriginNginxNeeds()
    {
        var notice = Assert.Single(site.Offloaded.Logs, l => l.Contains("[6400]", StringComparison.Ordinal));

        Assert.Contains("X-Accel-Redirect to /_chatopsbot/s3/", notice, StringComparison.Ordinal);
        Assert.Contains($"proxy_pass {site.Store.ServiceUrl}/", notice, StringComparison.Ordinal);
        Assert.Contains($"proxy_set_header Host {new Uri(site.Store.ServiceUrl).Authority}", notice, StringComparison.Ordinal);
        Assert.DoesNotContain(site.Offloaded.Logs, l => l.Contains("[6200]", StringComparison.Ordinal));
        Assert.DoesNotContain(site.Direct.Logs, l => l.Contains("[6400]", StringComparison.Ordinal));
    }

    [Fact]
    public async Task StoreLocationIsNotReachableFromOutsideNginxAndTheHostNeverServesIt()
    {
        var (token, _) = await OffloadSite.MintAsync(site.Offloaded);
        using var straight = OffloadSite.PhoneStraightTo(site.Offloaded);
        var handedOff = await SendAsync(straight, HttpMethod.Get, $"/i/{token}/app.ipa");
        var path = handedOff.Header("x-accel-redirect")!;
        using var throughNginx = site.PhoneThroughNginx();

        var viaNginx = await SendAsync(throughNginx, HttpMethod.Get, path);
        var viaHost = await SendAsync(straight, HttpMethod.Get, path);

        Assert.Equal(HttpStatusCode.NotFound, viaNginx.Status);
        Assert.NotEqual(site.Ipa.Length, viaNginx.Body.Length);
        Assert.Equal(HttpStatusCode.NotFound, viaHost.Status);
        Assert.NotEqual(site.Ipa.Length, viaHost.Body.Length);
    }

    [Fact]
    public async Task HandedOffWholeFileCountsAsOneCompletedDownloadOfTheWholeFile()
    {
        var (token, id) = await OffloadSite.MintAsync(site.Offloaded);
        using var phone = site.PhoneThroughNginx();
        var started = site.Measurements.Sum("chatopsbot.install.steps", ("step", "download_started"));
        var completed = site.Measurements.Sum("chatopsbot.install.steps", ("step", "download_completed"));

        var answer = await SendAsync(phone, HttpMethod.Get, $"/i/{token}/app.ipa");

        Assert.Equal(site.Ipa, answer.Body);
        var download = Assert.Single(await OffloadSite.DownloadsAsync(site.Offloaded, id));
        Assert.Equal(site.Ipa.Length, download.GetProperty("bytesSent").GetInt64());
        Assert.True(download.GetProperty("completed").GetBoolean());
        Assert.Equal(StoreOffloadSite.Installer, download.GetProperty("userAgent").GetString());
        Assert.Equal(started + 1, site.Measurements.Sum("chatopsbot.install.steps", ("step", "download_started")));
        Assert.Equal(completed + 1, site.Measurements.Sum("chatopsbot.install.steps", ("step", "download_completed")));
    }

    [Fact]
    public async Task HandedOffRangesCountAsOneDownloadThatCompletesWithTheRangeReachingTheEnd()
    {
        var (token, id) = await OffloadSite.MintAsync(site.Offloaded);
        using var phone = site.PhoneThroughNginx();
        var half = site.Ipa.Length / 2;
        var completed = site.Measurements.Sum("chatopsbot.install.steps", ("step", "download_completed"));

        var first = await SendAsync(phone, HttpMethod.Get, $"/i/{token}/app.ipa", $"bytes=0-{half - 1}");
        var afterFirst = Assert.Single(await OffloadSite.DownloadsAsync(site.Offloaded, id));
        var completedAfterFirst = site.Measurements.Sum("chatopsbot.install.steps", ("step", "download_completed"));
        var rest = await SendAsync(phone, HttpMethod.Get, $"/i/{token}/app.ipa", $"bytes={half}-");

        Assert.Equal(HttpStatusCode.PartialContent, first.Status);
        Assert.Equal(HttpStatusCode.PartialContent, rest.Status);
        Assert.Equal(site.Ipa, first.Body.Concat(rest.Body).ToArray());
        Assert.Equal(half, afterFirst.GetProperty("bytesSent").GetInt64());
        Assert.False(afterFirst.GetProperty("completed").GetBoolean());
        Assert.Equal(completed, completedAfterFirst);
        var download = Assert.Single(await OffloadSite.DownloadsAsync(site.Offloaded, id));
        Assert.Equal(site.Ipa.Length, download.GetProperty("bytesSent").GetInt64());
        Assert.True(download.GetProperty("completed").GetBoolean());
        Assert.Equal(completed + 1, site.Measurements.Sum("chatopsbot.install.steps", ("step", "download_completed")));
    }

    [Fact]
    public async Task DeadLinksAreGoneThroughNginxAsOnTheDirectPathAndTheStoreIsNotAsked()
    {
        var (direct, directId) = await OffloadSite.MintAsync(site.Direct);
        var (offloaded, offloadedId) = await OffloadSite.MintAsync(site.Offloaded);
        foreach (var (app, id) in new[] { (site.Direct, directId), (site.Offloaded, offloadedId) })
        {
            using var releaseManager = app.CreateClient(ChatOpsBotApplication.ReleaseManagerKey);
            Assert.True((await releaseManager.DeleteAsync($"/api/v1/links/{id}")).IsSuccessStatusCode);
        }
        using var straight = OffloadSite.PhoneStraightTo(site.Direct);
        using var throughNginx = site.PhoneThroughNginx();
        var before = site.ObjectRequests().Count(r => r.Method == "GET");

        foreach (var range in new[] { null, "bytes=0-99" })
        {
            var expected = await SendAsync(straight, HttpMethod.Get, $"/i/{direct}/app.ipa", range);
            var actual = await SendAsync(throughNginx, HttpMethod.Get, $"/i/{offloaded}/app.ipa", range);

            Assert.Equal(HttpStatusCode.Gone, actual.Status);
            Assert.Equal(expected.Headers, actual.Headers);
            Assert.Equal("This install link has been revoked. Ask the bot for a new one.", Encoding.UTF8.GetString(actual.Body));
        }
        Assert.Equal(before, site.ObjectRequests().Count(r => r.Method == "GET"));
        Assert.Empty(await OffloadSite.DownloadsAsync(site.Offloaded, offloadedId));
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

        Assert.Equal(site.Ipa, part.Body.Concat(rest.Body).ToArray());
        Assert.Equal(HttpStatusCode.Gone, again.Status);
        Assert.Equal("This install link has reached its download limit. Ask the bot for a new one.", Encoding.UTF8.GetString(again.Body));
        Assert.True(Assert.Single(await OffloadSite.DownloadsAsync(site.Offloaded, id)).GetProperty("completed").GetBoolean());
    }

    [Theory]
    [InlineData("error")]
    [InlineData("gone")]
    public async Task AStoreThatFailsOrGoesAwayBecomesA502InPlainTextAndTheHostKeepsServing(string failure)
    {
        var (token, id) = await OffloadSite.MintAsync(site.Offloaded);
        using var phone = site.PhoneThroughNginx();
        var path = $"/i/{token}/app.ipa";
        Func<Microsoft.AspNetCore.Http.HttpRequest, bool> objectGets = r => r.Method == "GET" && r.Path.Value == site.ObjectPath;
        if (failure == "error")
            site.Store.Fails = objectGets;
        else
            site.Store.Aborts = objectGets;
        Answer failed;
        try
        {
            failed = await SendAsync(phone, HttpMethod.Get, path, "bytes=0-99");
        }
        finally
        {
            site.Store.Fails = _ => false;
            site.Store.Aborts = _ => false;
        }

        Assert.Equal(HttpStatusCode.BadGateway, failed.Status);
        Assert.Equal(StoreFailed, Encoding.UTF8.GetString(failed.Body));
        Assert.Equal("text/plain", failed.Header("content-type"));
        Assert.DoesNotContain("x-amz", failed.Headers, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("etag", failed.Headers, StringComparison.OrdinalIgnoreCase);
        // The host handed the range off and cannot see that nginx failed: it stays reserved as sent.
        var download = Assert.Single(await OffloadSite.DownloadsAsync(site.Offloaded, id));
        Assert.Equal(100, download.GetProperty("bytesSent").GetInt64());
        Assert.False(download.GetProperty("completed").GetBoolean());
        // The phone retries, and the same download goes on; the install page still works.
        var retried = await SendAsync(phone, HttpMethod.Get, path, "bytes=0-");
        Assert.Equal(HttpStatusCode.PartialContent, retried.Status);
        Assert.Equal(site.Ipa, retried.Body);
        var finished = Assert.Single(await OffloadSite.DownloadsAsync(site.Offloaded, id));
        Assert.True(finished.GetProperty("completed").GetBoolean());
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(phone, HttpMethod.Get, $"/i/{token}")).Status);
    }

    [Fact]
    public async Task AnObjectMissingFromTheBucketBecomesA502InPlainTextNotTheStoresXml()
    {
        var other = new TestIpaBuilder().WithAppFile("Payload.bin", RandomNumberGenerator.GetBytes(4096)).Build();
        await StoreOffloadSite.UploadAsync(site.Offloaded, other, channel: "missing");
        var sha = Convert.ToHexStringLower(SHA256.HashData(other));
        using (var s3 = site.S3.Client())
            await s3.DeleteObjectAsync(S3.S3rverServer.Bucket, $"{site.Prefix}{sha[..2]}/{sha}");
        var (token, _) = await MintAsync("missing");
        using var phone = site.PhoneThroughNginx();

        var failed = await SendAsync(phone, HttpMethod.Get, $"/i/{token}/app.ipa");

        Assert.Equal(HttpStatusCode.BadGateway, failed.Status);
        Assert.Equal(StoreFailed, Encoding.UTF8.GetString(failed.Body));
        Assert.Equal("text/plain", failed.Header("content-type"));
        Assert.DoesNotContain("NoSuchKey", Encoding.UTF8.GetString(failed.Body), StringComparison.Ordinal);
    }

    private async Task<(string Token, long Id)> MintAsync(string channel)
    {
        using var api = site.Offloaded.CreateClient(ChatOpsBotApplication.UploaderKey);
        using var response = await api.PostAsJsonAsync($"/api/v1/apps/{OffloadSite.AppSlug}/links", new { channel, requestedFor = "Ada Lovelace" });
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        var link = await response.Content.ReadFromJsonAsync<JsonElement>();
        return (new Uri(link.GetProperty("installPageUrl").GetString()!).AbsolutePath["/i/".Length..], link.GetProperty("id").GetInt64());
    }

    [Theory]
    [InlineData(null, "eu-central-1", false, "https://s3.eu-central-1.amazonaws.com")]
    [InlineData("https://account.r2.cloudflarestorage.com", "auto", false, "https://account.r2.cloudflarestorage.com")]
    [InlineData("http://127.0.0.1:9000", "us-east-1", true, "http://127.0.0.1:9000")]
    public async Task TheUrlNginxFetchesIsPathStyleAndSignedForTheOriginTheHostAnnounces(string? serviceUrl, string region, bool forcePathStyle, string origin)
    {
        var options = new S3ArtifactOptions
        {
            ServiceUrl = serviceUrl,
            Region = region,
            Bucket = "builds",
            Prefix = "chatopsbot/",
            ForcePathStyle = forcePathStyle,
            AccessKeyId = "AKIDEXAMPLE",
            SecretAccessKey = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        };
        var sha = new string('a', 64);
        using var store = new S3ArtifactStore(options, Microsoft.Extensions.Logging.Abstractions.NullLogger<S3ArtifactStore>.Instance);
        await using var reader = (await store.OpenRangesAsync(sha, 10, CancellationToken.None))!;

        var path = (await reader.PresignedPathAsync(TimeSpan.FromMinutes(5)))!;

        Assert.Equal(new Uri(origin), options.SignedOrigin());
        Assert.StartsWith($"/builds/chatopsbot/aa/{sha}?", path, StringComparison.Ordinal);
        var query = path[(path.IndexOf('?', StringComparison.Ordinal) + 1)..].Split('&');
        Assert.Contains("X-Amz-SignedHeaders=host", query);
        Assert.Contains(query, q => q.StartsWith($"X-Amz-Credential=AKIDEXAMPLE%2F", StringComparison.Ordinal) && q.Contains($"%2F{region}%2Fs3%2Faws4_request", StringComparison.Ordinal));
        Assert.DoesNotContain("wJalrXUtnFEMI", path, StringComparison.Ordinal);
    }

    [Fact]
    public void TheSignedOriginIsServiceUrlsOriginOrAwssRegionalEndpoint()
    {
        Assert.Equal(new Uri("http://127.0.0.1:9000"), new S3ArtifactOptions { ServiceUrl = "http://127.0.0.1:9000/" }.SignedOrigin());
        Assert.Equal(new Uri("https://rgw.example.com"), new S3ArtifactOptions { ServiceUrl = "https://rgw.example.com:443/s3" }.SignedOrigin());
        Assert.Equal(new Uri("https://s3.eu-central-1.amazonaws.com"), new S3ArtifactOptions { Region = "eu-central-1" }.SignedOrigin());
    }
}
