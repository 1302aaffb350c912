using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using ChatOpsBot.Core.Tests.Builds;
using Npgsql;

namespace ChatOpsBot.Tests.Deploy;

/// <summary>
/// The compose deployment without Docker: its `migrate` service and its two replicas as real host processes with the
/// compose file's own environment, on one PostgreSQL database and one artifacts directory, behind Debian's nginx
/// running deploy/nginx/chatopsbot.conf. Only what a Docker host provides is substituted (see
/// <see cref="ComposeSettings"/> and <see cref="NginxServer.Substitute"/>). Started once for the tests below.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "xunit disposes through IAsyncLifetime.")]
public sealed class NginxDeployment : IAsyncLifetime
{
    /// <summary>A client address the replicas let scrape /metrics (a test-only setting): only X-Forwarded-For tells them.</summary>
    internal static readonly IPAddress Scraper = IPAddress.Parse("127.0.0.3");

    private ReplicaDatabase _database = null!;
    private ReplicaHosts _hosts = null!;

    internal NginxServer Nginx { get; private set; } = null!;

    internal string DataDirectory { get; private set; } = null!;

    internal IReadOnlyList<Replica> Replicas => _hosts.Replicas;

    internal string Logs() => $"{_hosts.Logs()}\n--- nginx\n{Nginx?.ErrorLog}";

    public async Task InitializeAsync()
    {
        DataDirectory = Directory.CreateTempSubdirectory("chatopsbot-deploy-").FullName;
        _database = await ReplicaDatabase.CreateAsync();
        var compose = ComposeFile.Load();

        // The `migrate` service: the image's entry point with the service's command, and the service's environment.
        var migrate = ComposeSettings(compose.Environment("migrate"), _database.ConnectionString);
        migrate["ChatOpsBot__DataDirectory"] = DataDirectory;
        var (exit, output) = await HostCommand.RunAsync(ComposeFile.Strings(compose.Service("migrate"), "command"), migrate, DataDirectory);
        Assert.True(exit == 0, "migrate failed:\n" + output);

        // The replicas: ChatOpsBot:Database:MigrateAtStart=false, so they start only on the migrated database.
        var replica = ComposeSettings(compose.Environment("chatopsbot-1"), _database.ConnectionString);
        Assert.Equal(replica, ComposeSettings(compose.Environment("chatopsbot-2"), _database.ConnectionString));
        replica["ChatOpsBot__Metrics__Prometheus"] = "true";
        replica["ChatOpsBot__Metrics__AllowedNetworks__0"] = $"{Scraper}/32";
        _hosts = new ReplicaHosts(new Dictionary<string, string>(), replica, DataDirectory);
        await _hosts.StartAsync("chatopsbot-1", "chatopsbot-2");

        Nginx = await NginxServer.StartAsync([.. Replicas.Select(r => r.Address)], Path.Combine(DataDirectory, "artifacts"));
    }

    /// <summary>
    /// A service's environment from the compose file, with what differs on this machine: the database (the compose
    /// file's connection options kept, its server and credentials this test's), nginx's address (loopback), the listen
    /// port (ReplicaHosts gives each replica a free loopback port, for ASPNETCORE_HTTP_PORTS), and the CI key.
    /// </summary>
    internal static Dictionary<string, string> ComposeSettings(Dictionary<string, string> environment, string connectionString)
    {
        var settings = new Dictionary<string, string>(environment, StringComparer.Ordinal);
        var compose = new NpgsqlConnectionStringBuilder(settings["ChatOpsBot__Database__ConnectionString"]);
        var test = new NpgsqlConnectionStringBuilder(connectionString);
        (compose.Host, compose.Port, compose.Database, compose.Username, compose.Password) = (test.Host, test.Port, test.Database, test.Username, test.Password);
        settings["ChatOpsBot__Database__ConnectionString"] = compose.ConnectionString;
        Assert.Equal("172.30.57.10", settings["ChatOpsBot__ForwardedHeaders__KnownProxies__0"]);
        settings["ChatOpsBot__ForwardedHeaders__KnownProxies__0"] = "127.0.0.1";
        Assert.True(settings.Remove("ASPNETCORE_HTTP_PORTS"));
        // The compose file's key 0 is CI's KeyHash (of ReplicaHosts.UploaderKey here); ReplicaHosts' own key 0 is a Key.
        Assert.Equal(DeployFiles.TestVariables()["CHATOPSBOT_CI_KEY_SHA256"], settings["ChatOpsBot__ApiKeys__0__KeyHash"]);
        settings["ChatOpsBot__ApiKeys__0__Key"] = "";
        return settings;
    }

    public async Task DisposeAsync()
    {
        Nginx?.Dispose();
        if (_hosts is not null)
            await _hosts.DisposeAsync();
        if (_database is not null)
            await _database.DisposeAsync();
        if (DataDirectory is not null && Directory.Exists(DataDirectory))
            Directory.Delete(DataDirectory, recursive: true);
    }
}

[Trait("Provider", "Postgres")]
public sealed partial class NginxTests(NginxDeployment deployment) : IClassFixture<NginxDeployment>
{
    private NginxServer Nginx => deployment.Nginx;

    [Fact]
    public async Task AnUploadLargerThanNginxsDefaultLimitGoesThroughOverHttpsAndInstallsFromBothReplicas()
    {
        // nginx refuses bodies over 1 MiB unless told otherwise; 3 MiB of incompressible bytes make a 3 MiB IPA.
        var (buildId, ipa) = await UploadAsync("through-nginx", extraBytes: 3 * 1024 * 1024);
        var page = await MintAsync(buildId);
        using var phone = Nginx.CreateClient();
        phone.DefaultRequestHeaders.UserAgent.ParseAdd("round-robin-phone/1.0");

        for (var round = 0; round < 2; round++)
        {
            using var installPage = await phone.GetAsync(page);
            using var manifest = await phone.GetAsync(page + "/manifest.plist");
            Assert.True(installPage.StatusCode == HttpStatusCode.OK, deployment.Logs());
            Assert.Equal(HttpStatusCode.OK, manifest.StatusCode);
            var ipaUrl = new Uri(ManifestIpaUrl().Match(await manifest.Content.ReadAsStringAsync()).Groups["url"].Value);
            Assert.Equal($"https://{NginxServer.PublicHost}{page}/app.ipa", ipaUrl.ToString());

            using var download = await phone.GetAsync(ipaUrl);
            Assert.Equal(HttpStatusCode.OK, download.StatusCode);
            Assert.Equal(ipa, await download.Content.ReadAsByteArrayAsync());
        }
        using var head = await phone.SendAsync(new HttpRequestMessage(HttpMethod.Head, page + "/app.ipa"));
        using var range = new HttpRequestMessage(HttpMethod.Get, page + "/app.ipa");
        range.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(ipa.Length - 100, null);
        using var tail = await phone.SendAsync(range);

        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(ipa.Length, head.Content.Headers.ContentLength);
        Assert.Equal(HttpStatusCode.PartialContent, tail.StatusCode);
        Assert.Equal(ipa[^100..], await tail.Content.ReadAsByteArrayAsync());
        // nginx took turns: the install requests reached both replicas. It writes a request's line once the answer
        // is sent, so the last lines may come just after the client has its answer.
        List<string> Lines() => [.. AccessLogLines().Where(l => l.Contains("\"round-robin-phone/1.0\"", StringComparison.Ordinal))];
        await Eventually.TrueAsync(() => Task.FromResult(Lines().Count == 8), TimeSpan.FromSeconds(30), () => string.Join("\n", Lines()));
        var upstreams = Lines().Select(l => UpstreamAddress().Match(l).Groups["port"].Value).ToHashSet();
        Assert.Superset(deployment.Replicas.Select(r => r.Address.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToHashSet(), upstreams);
    }

    [Fact]
    public async Task GeneratedUrlsAreHttpsOnThePublicBaseUrlWhateverHostAndForwardedHeadersTheClientSends()
    {
        var (buildId, _) = await UploadAsync("forwarded-headers");
        var page = await MintAsync(buildId);
        using var phone = Nginx.CreateClient();

        async Task<string> FetchAsync(string path)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Host = "evil.example";
            request.Headers.Add("X-Forwarded-Host", "evil.example");
            request.Headers.Add("X-Forwarded-Proto", "http");
            using var response = await phone.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return await response.Content.ReadAsStringAsync();
        }
        var html = await FetchAsync(page);
        var manifest = await FetchAsync(page + "/manifest.plist");

        Assert.Contains("url=https%3A%2F%2Fota.example.test%2Fi%2F", html, StringComparison.Ordinal);
        Assert.Contains($"<string>https://{NginxServer.PublicHost}{page}/app.ipa</string>", manifest, StringComparison.Ordinal);
        Assert.DoesNotContain("evil.example", html + manifest, StringComparison.Ordinal);
        Assert.DoesNotContain("http://ota.example.test", html + manifest, StringComparison.Ordinal);
        Assert.DoesNotContain("http%3A%2F%2F", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PlainHttpRedirectsToHttpsExceptTheAcmeChallenge()
    {
        var challenge = Path.Combine(Nginx.AcmeDirectory, ".well-known", "acme-challenge", "3x4mpl3-t0k3n");
        await File.WriteAllTextAsync(challenge, "3x4mpl3-t0k3n.thumbprint");
        using var client = Nginx.CreateClient();

        using var redirect = await client.GetAsync($"http://{NginxServer.PublicHost}/i/some-token/manifest.plist");
        using var acme = await client.GetAsync($"http://{NginxServer.PublicHost}/.well-known/acme-challenge/3x4mpl3-t0k3n");
        using var secure = await client.GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.MovedPermanently, redirect.StatusCode);
        Assert.Equal($"https://{NginxServer.PublicHost}/i/some-token/manifest.plist", redirect.Headers.Location?.ToString());
        Assert.Equal(HttpStatusCode.OK, acme.StatusCode);
        Assert.Equal("3x4mpl3-t0k3n.thumbprint", await acme.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, secure.StatusCode);
        Assert.Contains("max-age=", secure.Headers.GetValues("Strict-Transport-Security").Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheReplicasSeeTheClientsAddressThroughNginxAndNotOneTheClientClaims()
    {
        using var scraper = Nginx.CreateClient(source: NginxDeployment.Scraper);
        using var other = Nginx.CreateClient(source: IPAddress.Parse("127.0.0.4"));
        using var spoofed = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        spoofed.Headers.Add("X-Forwarded-For", NginxDeployment.Scraper.ToString());

        // Twice each in a row, so each replica answers each client (nginx takes turns).
        foreach (var _ in new[] { 1, 2 })
        {
            using var allowed = await scraper.GetAsync("/metrics");
            Assert.True(allowed.StatusCode == HttpStatusCode.OK, $"{allowed.StatusCode}\n{deployment.Logs()}");
        }
        foreach (var _ in new[] { 1, 2 })
        {
            using var refused = await other.GetAsync("/metrics");
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }
        using var claimed = await other.SendAsync(spoofed);
        Assert.Equal(HttpStatusCode.Unauthorized, claimed.StatusCode);
    }

    [Fact]
    public async Task NginxsAccessLogShowsInstallPathsWithoutTheirTokens()
    {
        var (buildId, _) = await UploadAsync("access-log");
        var page = await MintAsync(buildId);
        var token = page.Split('/')[2];
        using var phone = Nginx.CreateClient();
        using (var manifest = await phone.GetAsync(page + "/manifest.plist"))
            Assert.Equal(HttpStatusCode.OK, manifest.StatusCode);
        using (var icon = await phone.GetAsync(page + "/icon.png"))
            Assert.Equal(HttpStatusCode.OK, icon.StatusCode);

        // nginx writes a request's line once the answer is sent, so it may come just after the client has its answer.
        await Eventually.TrueAsync(() => Task.FromResult(Nginx.AccessLog.Contains("\"GET /i/{token}/icon.png HTTP/1.1\" 200", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(30), () => Nginx.AccessLog);
        var log = Nginx.AccessLog;
        Assert.Contains("\"GET /i/{token}/manifest.plist HTTP/1.1\" 200", log, StringComparison.Ordinal);
        Assert.Contains("\"POST /api/v1/builds HTTP/1.1\" 201", log, StringComparison.Ordinal);
        Assert.DoesNotContain(token, log, StringComparison.Ordinal);
    }

    /// <summary>
    /// The offload location exists, is internal, and aliases the replicas' artifact directory. The replicas here run
    /// with the compose file's ChatOpsBot:Delivery:Offload=XAccelRedirect, so the downloads of the tests above go
    /// through it; that a handed-off answer is byte for byte and header for header the direct one is shown by
    /// Offload/OffloadTests, whose location OffloadLocationTests holds this configuration's to, line for line.
    /// </summary>
    [Fact]
    public async Task TheArtifactOffloadLocationIsInternalAndIsWhereTheReplicasStoreArtifacts()
    {
        var (_, ipa) = await UploadAsync("offload-location");
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(ipa));
        using var client = Nginx.CreateClient();

        using var direct = await client.GetAsync($"/_chatopsbot/artifacts/{sha256[..2]}/{sha256}");

        // The alias nginx was given is the replicas' artifacts directory, and the file is there.
        Assert.True(File.Exists(Path.Combine(deployment.DataDirectory, "artifacts", sha256[..2], sha256)));
        Assert.Equal(HttpStatusCode.NotFound, direct.StatusCode);
        Assert.NotEqual(ipa, await direct.Content.ReadAsByteArrayAsync());
    }

    private async Task<(long Id, byte[] Ipa)> UploadAsync(string app, int extraBytes = 0)
    {
        var builder = new TestIpaBuilder().WithAppFile("AppIcon60x60@2x.png", TestPng.EncodeCrushed(RgbaImage.Sample(120, 120)));
        if (extraBytes > 0)
            builder.WithAppFile("Assets.car", RandomNumberGenerator.GetBytes(extraBytes));
        builder.Info["CFBundleIdentifier"] = $"com.example.{app}";
        var ipa = builder.Build();
        using var form = new MultipartFormDataContent
        {
            { new StringContent("beta"), "channel" },
            { new StringContent(app), "app" },
            { new ByteArrayContent(ipa), "file", "App.ipa" },
        };
        using var ci = Nginx.CreateClient(apiKey: ReplicaHosts.UploaderKey);
        using var response = await ci.PostAsync("/api/v1/builds", form);
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}\n{deployment.Logs()}");
        return ((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64(), ipa);
    }

    /// <summary>Mints a link through nginx; the install page's path (<c>/i/{token}</c>).</summary>
    private async Task<string> MintAsync(long buildId)
    {
        using var ci = Nginx.CreateClient(apiKey: ReplicaHosts.UploaderKey);
        using var response = await ci.PostAsJsonAsync($"/api/v1/builds/{buildId}/links", new { requestedFor = "Ada" });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var page = new Uri((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("installPageUrl").GetString()!);
        Assert.Equal($"https://{NginxServer.PublicHost}", page.GetLeftPart(UriPartial.Authority));
        return page.AbsolutePath;
    }

    private List<string> AccessLogLines() => [.. Nginx.AccessLog.Split('\n', StringSplitOptions.RemoveEmptyEntries)];

    [GeneratedRegex(@"<key>url</key>\s*<string>(?<url>https?://[^<]+/app\.ipa)</string>")]
    private static partial Regex ManifestIpaUrl();

    [GeneratedRegex(@"upstream=127\.0\.0\.1:(?<port>\d+)")]
    private static partial Regex UpstreamAddress();
}

/// <summary>The nginx configuration's limits against the host's, without running either.</summary>
public sealed partial class NginxConfigurationTests
{
    [Fact]
    public void NginxsBodyLimitCoversTheHostsUploadLimitAndItsMultipartAllowance()
    {
        var limit = BodyLimit().Match(DeployFiles.NginxConfigText);
        var megabytes = long.Parse(limit.Groups["m"].Value, System.Globalization.CultureInfo.InvariantCulture);

        Assert.True(limit.Success);
        Assert.True(megabytes * 1024 * 1024 >= new UploadOptions().MaxBytes + 1024 * 1024, $"client_max_body_size {megabytes}m is below ChatOpsBot:Uploads:MaxBytes + 1 MiB");
        Assert.Contains("proxy_request_buffering off;", DeployFiles.NginxConfigText, StringComparison.Ordinal);
    }

    [Fact]
    public void NginxSendsTheClientAddressTheWayTheHostTrustsIt()
    {
        var text = DeployFiles.NginxConfigText;

        // Replaced, not appended ($proxy_add_x_forwarded_for would pass on what the client claimed).
        Assert.Contains("proxy_set_header X-Forwarded-For $remote_addr;", text, StringComparison.Ordinal);
        Assert.DoesNotContain("$proxy_add_x_forwarded_for", text, StringComparison.Ordinal);
        Assert.Contains("proxy_set_header X-Forwarded-Proto $scheme;", text, StringComparison.Ordinal);
    }

    [Fact]
    public void TheSubstitutionRefusesAConfigurationThatNoLongerHasALineItReplaces()
    {
        var changed = DeployFiles.NginxConfigText.Replace("listen 443 ssl default_server;", "listen 443 ssl;", StringComparison.Ordinal);

        Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => NginxServer.Substitute(changed, "/tmp/x", [new("http://127.0.0.1:1"), new("http://127.0.0.1:2")], 80, 443, "/tmp/a"));
    }

    [GeneratedRegex(@"client_max_body_size (?<m>\d+)m;")]
    private static partial Regex BodyLimit();
}
