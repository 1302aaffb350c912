using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using ChatOpsBot.Features.Install;

namespace ChatOpsBot.Tests;

/// <summary>The host behind a proxy on loopback that is configured as known, with the shipped limits.</summary>
public sealed class ProxiedDeliverySite() : DeliverySite(new()
{
    ["ChatOpsBot:ForwardedHeaders:KnownProxies:0"] = "127.0.0.1",
});

public sealed class BehindTheProxyTests(ProxiedDeliverySite site) : IClassFixture<ProxiedDeliverySite>
{
    private const int Flood = 320;

    /// <summary>Made-up tokens on every /i/ route, well-formed and not; the statuses they got.</summary>
    private static async Task<List<HttpStatusCode>> FloodWithJunkAsync(HttpClient client)
    {
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < Flood; i++)
        {
            var token = i % 5 == 0 ? "junk" + i : Convert.ToBase64String(RandomNumberGenerator.GetBytes(16)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
            using var response = await client.GetAsync((i % 3) switch
            {
                0 => $"/i/{token}",
                1 => $"/i/{token}/manifest.plist",
                _ => $"/i/{token}/app.ipa",
            });
            statuses.Add(response.StatusCode);
        }
        return statuses;
    }

    private static async Task<HttpStatusCode[]> InstallAsync(HttpClient phone, string token)
    {
        using var page = await phone.GetAsync($"/i/{token}");
        using var manifest = await phone.GetAsync($"/i/{token}/manifest.plist");
        using var icon = await phone.GetAsync($"/i/{token}/icon.png");
        using var ipa = await phone.GetAsync($"/i/{token}/app.ipa");
        return [page.StatusCode, manifest.StatusCode, icon.StatusCode, ipa.StatusCode];
    }

    [Fact]
    public async Task JunkFromOneClientBehindTheProxyDoesNotStopAnotherClientsInstall()
    {
        var (token, _) = await site.MintAsync();
        using var attacker = site.Phone(forwardedFor: "203.0.113.7");
        using var colleague = site.Phone(forwardedFor: "198.51.100.20");

        var junk = await FloodWithJunkAsync(attacker);
        var install = await InstallAsync(colleague, token);

        Assert.Equal(Enumerable.Repeat(HttpStatusCode.NotFound, 30), junk.Take(30));
        Assert.All(junk.Skip(30), status => Assert.Equal(HttpStatusCode.TooManyRequests, status));
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK], install);
    }

    [Fact]
    public async Task JunkTokensFromAClientDoNotStopItsOwnValidLink()
    {
        var (token, _) = await site.MintAsync();
        using var phone = site.Phone(forwardedFor: "203.0.113.8");

        var junk = await FloodWithJunkAsync(phone);
        var install = await InstallAsync(phone, token);

        Assert.Contains(HttpStatusCode.TooManyRequests, junk);
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK], install);
    }

    [Fact]
    public async Task ClientsInTheSameIpv6Slash64ShareTheirBudgetForUnknownTokens()
    {
        using var first = site.Phone(forwardedFor: "2001:db8:5:7::1");
        using var sameSlash64 = site.Phone(forwardedFor: "2001:db8:5:7:ffff:1234:5678:9abc");
        using var nextSlash64 = site.Phone(forwardedFor: "2001:db8:5:8::1");

        var junk = await FloodWithJunkAsync(first);
        using var neighbour = await sameSlash64.GetAsync("/i/AAAAAAAAAAAAAAAAAAAAAA");
        using var other = await nextSlash64.GetAsync("/i/AAAAAAAAAAAAAAAAAAAAAA");

        Assert.Equal(HttpStatusCode.TooManyRequests, junk[^1]);
        Assert.Equal(HttpStatusCode.TooManyRequests, neighbour.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
    }

    [Fact]
    public async Task AddressesTheClientClaimsLeftOfWhatTheProxyAddedAreNotBelieved()
    {
        using var client = site.App.CreateLoopbackClient();
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 31; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/i/AAAAAAAAAAAAAAAAAAAAAA");
            // The client sent an X-Forwarded-For of its own; the proxy appended the address it saw.
            request.Headers.Add("X-Forwarded-For", $"198.51.100.{i + 1}, 203.0.113.60");
            using var response = await client.SendAsync(request);
            statuses.Add(response.StatusCode);
        }

        Assert.Equal([.. Enumerable.Repeat(HttpStatusCode.NotFound, 30), HttpStatusCode.TooManyRequests], statuses);
    }

    [Fact]
    public async Task ForwardedHostAndProtoFromTheKnownProxyChangeNoGeneratedUrl()
    {
        var (token, _) = await site.MintAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/apps/{DeliverySite.AppSlug}/links")
        {
            Content = JsonContent.Create(new { channel = DeliverySite.Channel }),
        };
        request.Headers.Host = "attacker.example";
        request.Headers.Add("X-Forwarded-For", "203.0.113.9");
        request.Headers.Add("X-Forwarded-Host", "attacker.example");
        request.Headers.Add("X-Forwarded-Proto", "http");
        using var phone = site.Phone(forwardedFor: "203.0.113.9");
        phone.DefaultRequestHeaders.Host = "attacker.example";
        phone.DefaultRequestHeaders.Add("X-Forwarded-Host", "attacker.example");
        phone.DefaultRequestHeaders.Add("X-Forwarded-Proto", "http");

        using var minted = await site.Api.SendAsync(request);
        var link = await minted.Content.ReadFromJsonAsync<JsonElement>();
        var page = await phone.GetStringAsync($"/i/{token}");
        var manifest = await phone.GetStringAsync($"/i/{token}/manifest.plist");

        Assert.Equal(HttpStatusCode.Created, minted.StatusCode);
        Assert.StartsWith(ChatOpsBotApplication.DefaultPublicBaseUrl + "/i/", link.GetProperty("installPageUrl").GetString(), StringComparison.Ordinal);
        Assert.StartsWith(ChatOpsBotApplication.DefaultPublicBaseUrl + "/i/", link.GetProperty("manifestUrl").GetString(), StringComparison.Ordinal);
        Assert.Contains($"{ChatOpsBotApplication.DefaultPublicBaseUrl}/i/{token}/app.ipa", manifest, StringComparison.Ordinal);
        Assert.Contains($"{ChatOpsBotApplication.DefaultPublicBaseUrl}/i/{token}", page, StringComparison.Ordinal);
        foreach (var text in new[] { link.ToString(), page, manifest })
        {
            Assert.DoesNotContain("attacker.example", text, StringComparison.Ordinal);
            Assert.DoesNotContain("http://ota.example.test", text, StringComparison.Ordinal);
        }
    }
}

public sealed class UnknownProxyTests
{
    [Fact]
    public async Task ForwardedForFromAProxyThatIsNotListedIsIgnored()
    {
        using var app = new ChatOpsBotApplication(new()
        {
            ["ChatOpsBot:ForwardedHeaders:KnownProxies:0"] = "10.9.9.9",
            ["ChatOpsBot:ForwardedHeaders:KnownNetworks:0"] = "192.168.0.0/16",
            ["ChatOpsBot:Install:UnknownTokenRequestsPerWindow"] = "5",
        });
        using var client = app.CreateLoopbackClient();

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 6; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/i/AAAAAAAAAAAAAAAAAAAAAA");
            // A different claimed client each time: believed, each would have a budget of its own.
            request.Headers.Add("X-Forwarded-For", $"203.0.113.{i + 1}");
            using var response = await client.SendAsync(request);
            statuses.Add(response.StatusCode);
        }

        Assert.Equal([.. Enumerable.Repeat(HttpStatusCode.NotFound, 5), HttpStatusCode.TooManyRequests], statuses);
    }
}

public sealed class InstallRateLimitWindowTests
{
    [Fact]
    public async Task EachLinkAndUnknownTokensHaveBudgetsOfTheirOwnThatTheNextWindowRenews()
    {
        using var site = new LimitedSite();
        await site.InitializeAsync();
        var (first, _) = await site.MintAsync();
        var (second, _) = await site.MintAsync();
        using var phone = site.Phone();

        var firstLink = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            using var response = await phone.GetAsync($"/i/{first}/manifest.plist");
            firstLink.Add(response.StatusCode);
        }
        using var limited = await phone.GetAsync($"/i/{first}");
        using var secondLink = await phone.GetAsync($"/i/{second}/manifest.plist");
        var unknown = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            using var response = await phone.GetAsync("/i/AAAAAAAAAAAAAAAAAAAAAA");
            unknown.Add(response.StatusCode);
        }
        site.App.Clock.Advance(TimeSpan.FromMinutes(1));
        using var renewed = await phone.GetAsync($"/i/{first}/manifest.plist");
        using var renewedUnknown = await phone.GetAsync("/i/AAAAAAAAAAAAAAAAAAAAAA");
        using var health = await phone.GetAsync("/healthz");

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], firstLink);
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Equal("text/html", limited.Content.Headers.ContentType!.MediaType);
        Assert.InRange(int.Parse(limited.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture), 1, 60);
        Assert.Equal(HttpStatusCode.OK, secondLink.StatusCode);
        Assert.Equal([HttpStatusCode.NotFound, HttpStatusCode.NotFound, HttpStatusCode.TooManyRequests], unknown);
        Assert.Equal(HttpStatusCode.OK, renewed.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, renewedUnknown.StatusCode);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    private sealed class LimitedSite() : DeliverySite(new()
    {
        ["ChatOpsBot:Install:RequestsPerWindow"] = "3",
        ["ChatOpsBot:Install:UnknownTokenRequestsPerWindow"] = "2",
        ["ChatOpsBot:Install:Window"] = "00:01:00",
    });
}

public sealed class ClientNetworkTests
{
    [Theory]
    [InlineData("203.0.113.7", "203.0.113.7/32")]
    [InlineData("::ffff:203.0.113.7", "203.0.113.7/32")]
    [InlineData("2001:db8:1:2::1", "2001:db8:1:2::/64")]
    [InlineData("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64")]
    [InlineData("2001:db8:1:3::1", "2001:db8:1:3::/64")]
    [InlineData("fe80::1%2", "fe80::/64")]
    [InlineData("::1", "::/64")]
    public void ClientsAreIpv4AddressesOrIpv6Slash64s(string address, string network)
    {
        Assert.Equal(IPNetwork.Parse(network), InstallRateLimiter.ClientNetwork(IPAddress.Parse(address)));
    }

    [Fact]
    public void AddressesInOneSlash64AreOneClientAndNeighboursAreNot()
    {
        var one = InstallRateLimiter.ClientNetwork(IPAddress.Parse("2001:db8:aa:bb:1::1"));

        Assert.Equal(one, InstallRateLimiter.ClientNetwork(IPAddress.Parse("2001:db8:aa:bb:9999::2")));
        Assert.NotEqual(one, InstallRateLimiter.ClientNetwork(IPAddress.Parse("2001:db8:aa:bc:1::1")));
        Assert.NotEqual(InstallRateLimiter.ClientNetwork(IPAddress.Parse("10.0.0.1")), InstallRateLimiter.ClientNetwork(IPAddress.Parse("10.0.0.2")));
    }
}

public sealed class TrustedProxySettingsTests
{
    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData(" 10.0.0.5 ")]
    [InlineData("::1")]
    [InlineData("fd00::5")]
    public void ProxyAddressesAreAccepted(string value)
    {
        Assert.True(TrustedProxies.TryParseAddress(value, out _, out _));
    }

    [Theory]
    [InlineData("")]
    [InlineData("proxy.internal")]
    [InlineData("10.0.0.300")]
    [InlineData("127.1")]
    [InlineData("010.0.0.1")]
    [InlineData("10.0.0.0/8")]
    [InlineData("10.0.0.1:8080")]
    public void ThingsThatAreNotOneAddressAreRefused(string value)
    {
        Assert.False(TrustedProxies.TryParseAddress(value, out _, out var problem));
        Assert.Contains("is not an IP address", problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("10.0.0.0/8")]
    [InlineData("172.16.0.0/12")]
    [InlineData("10.1.2.3/32")]
    [InlineData("fd00::/8")]
    public void NetworksInCidrNotationAreAccepted(string value)
    {
        Assert.True(TrustedProxies.TryParseNetwork(value, out _, out _));
    }

    [Theory]
    [InlineData("10.0.0.0", "not a network in CIDR notation")]
    [InlineData("10.0.0.0/33", "not a network in CIDR notation")]
    [InlineData("010.0.0.0/8", "not a network in CIDR notation")]
    [InlineData("everything", "not a network in CIDR notation")]
    [InlineData("10.0.0.5/8", "has bits set beyond its /8 prefix: write 10.0.0.0/8, or 10.0.0.5/32")]
    public void NetworksThatAreNotWhatTheySeemAreRefused(string value, string message)
    {
        Assert.False(TrustedProxies.TryParseNetwork(value, out _, out var problem));
        Assert.Contains(message, problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ChatOpsBot__ForwardedHeaders__KnownProxies__0", "proxy.internal", "ChatOpsBot:ForwardedHeaders:KnownProxies:0 'proxy.internal' is not an IP address")]
    [InlineData("ChatOpsBot__ForwardedHeaders__KnownNetworks__0", "10.0.0.5/8", "ChatOpsBot:ForwardedHeaders:KnownNetworks:0 '10.0.0.5/8' has bits set beyond")]
    public async Task ABadProxySettingStopsTheHostNamingTheKey(string key, string value, string message)
    {
        var (exit, output) = await HostProcess.RunUntilExitAsync(new() { [key] = value });

        Assert.Equal(1, exit);
        Assert.Contains("ChatOpsBot cannot start:", output, StringComparison.Ordinal);
        Assert.Contains(message, output, StringComparison.Ordinal);
    }
}
