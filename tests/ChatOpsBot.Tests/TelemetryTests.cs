using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace ChatOpsBot.Tests;

/// <summary>
/// OpenTelemetry through the real host: the spans and measurements an upload, an install, a Slack request and an
/// announcement leave with the in-memory exporters, and that none of them carries a token or a response_url.
/// </summary>
public sealed class TelemetryTests
{
    private const string SafariOnIPhone =
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1";

    [Fact]
    public async Task UploadIsSeenAsAServerSpanWithItsRouteAndABuildUploadedMeasurement()
    {
        await using var host = await TelemetryHost.StartAsync();
        var measurements = host.Measurements;

        Activity server;
        using (var trace = TelemetryHost.StartTrace("upload"))
        {
            await host.UploadAsync("demo");
            server = await host.ServerSpanAsync(trace, "POST", "/api/v1/builds");
        }

        Assert.Equal("201", TelemetryHost.Tag(server, "http.response.status_code"));
        Assert.Equal("/api/v1/builds", TelemetryHost.Tag(server, "url.path"));
        Assert.Equal(1, measurements.Sum("chatopsbot.builds.uploaded", ("platform", "ios")));
        Assert.Contains("chatopsbot.builds.uploaded", host.ExportedMetricNames());
        Assert.Contains("http.server.request.duration", host.ExportedMetricNames());
    }

    [Fact]
    public async Task InstallPageManifestAndIpaAreSpansOnTemplatedRoutesAndFunnelStepsWithoutTheTokenAnywhere()
    {
        await using var host = await TelemetryHost.StartAsync();
        var measurements = host.Measurements;
        await host.UploadAsync("demo");
        using var api = host.App.CreateClient(ChatOpsBotApplication.UploaderKey);
        using var minted = await api.PostAsJsonAsync("/api/v1/apps/demo/links", new { channel = "beta" });
        var link = await minted.Content.ReadFromJsonAsync<JsonElement>();
        var page = new Uri(link.GetProperty("installPageUrl").GetString()!).AbsolutePath;
        var token = page["/i/".Length..];
        using var phone = host.App.CreateLoopbackClient();
        phone.DefaultRequestHeaders.TryAddWithoutValidation("User-Agent", SafariOnIPhone);

        using (var trace = TelemetryHost.StartTrace("install"))
        {
            Assert.Equal(HttpStatusCode.OK, (await phone.GetAsync(page)).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await phone.GetAsync(page + "/manifest.plist")).StatusCode);
            var ipa = await phone.GetByteArrayAsync(page + "/app.ipa");
            Assert.NotEmpty(ipa);
            foreach (var (route, path) in new[] { ("/i/{token}/", "/i/{token}"), ("/i/{token}/manifest.plist", "/i/{token}/manifest.plist"), ("/i/{token}/app.ipa", "/i/{token}/app.ipa") })
            {
                var server = await host.ServerSpanAsync(trace, "GET", route);
                Assert.Equal(path, TelemetryHost.Tag(server, "url.path"));
                Assert.Equal("GET " + route, server.DisplayName);
                Assert.Equal("200", TelemetryHost.Tag(server, "http.response.status_code"));
            }
        }
        await measurements.WaitForSumAsync(1, "chatopsbot.install.steps", ("step", "download_completed"));

        Assert.Equal(1, measurements.Sum("chatopsbot.links.minted", ("platform", "api")));
        Assert.Equal(1, measurements.Sum("chatopsbot.install.steps", ("step", "page")));
        Assert.Equal(1, measurements.Sum("chatopsbot.install.steps", ("step", "manifest")));
        Assert.Equal(1, measurements.Sum("chatopsbot.install.steps", ("step", "download_started")));
        Assert.Equal(1, measurements.Sum("chatopsbot.install.steps", ("step", "download_completed")));
        Assert.Contains("chatopsbot.install.steps", host.ExportedMetricNames());
        var exported = host.ExportedText();
        Assert.Contains("/i/{token}/app.ipa", exported, StringComparison.Ordinal);
        Assert.DoesNotContain(token, exported, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ResumedDownloadIsNotCountedAsAnotherStartButItsCompletionIs()
    {
        await using var host = await TelemetryHost.StartAsync();
        var measurements = host.Measurements;
        await host.UploadAsync("demo");
        using var api = host.App.CreateClient(ChatOpsBotApplication.UploaderKey);
        using var minted = await api.PostAsJsonAsync("/api/v1/apps/demo/links", new { channel = "beta" });
        var ipa = new Uri((await minted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("installPageUrl").GetString()!).AbsolutePath + "/app.ipa";
        using var phone = host.App.CreateLoopbackClient();

        using var first = new HttpRequestMessage(HttpMethod.Get, ipa);
        first.Headers.Range = new(0, 99);
        Assert.Equal(HttpStatusCode.PartialContent, (await phone.SendAsync(first)).StatusCode);
        using var rest = new HttpRequestMessage(HttpMethod.Get, ipa);
        rest.Headers.Range = new(100, null);
        Assert.Equal(HttpStatusCode.PartialContent, (await phone.SendAsync(rest)).StatusCode);
        await measurements.WaitForSumAsync(1, "chatopsbot.install.steps", ("step", "download_completed"));

        Assert.Equal(1, measurements.Sum("chatopsbot.install.steps", ("step", "download_started")));
        Assert.Equal(1, measurements.Sum("chatopsbot.install.steps", ("step", "download_completed")));
    }

    [Fact]
    public async Task SlackInteractionAnsweredThroughTheResponseUrlLeavesNeitherTheResponseUrlNorTheTokenInAnySpanOrMetric()
    {
        await using var host = await TelemetryHost.StartAsync();
        var measurements = host.Measurements;
        var buildId = await host.UploadAsync("demo");
        var view = new SlackEndToEndHost.View(host.Slack, () => host.App, () => host.Client, null);
        var responseUrl = view.ResponseUrl("actions/T0WORK/2/secret-response-path");
        var slackPort = new Uri(host.Slack.ApiBaseUrl).Port.ToString(CultureInfo.InvariantCulture);

        using (TelemetryHost.StartTrace("interaction"))
        {
            using var response = await view.InteractionAsync(new
            {
                type = "block_actions",
                team = new { id = "T0WORK", domain = "work" },
                user = new { id = "U0BOB", username = "bob", team_id = "T0WORK" },
                api_app_id = "A0APP",
                container = new { type = "message", message_ts = "1.2", channel_id = "C0GENERAL", is_ephemeral = false },
                trigger_id = "1.2.3",
                channel = new { id = "C0GENERAL", name = "general" },
                response_url = responseUrl,
                actions = new[] { new { type = "button", action_id = "get_link", block_id = "b1", value = buildId.ToString(CultureInfo.InvariantCulture), action_ts = "1.3" } },
            });
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        var call = await host.Slack.NextCallAsync();
        Assert.Equal(view.HookPath("actions/T0WORK/2/secret-response-path"), call.Path);
        var installUrl = call.Json.GetProperty("blocks").EnumerateArray().Where(b => b.TryGetProperty("elements", out _))
            .SelectMany(b => b.GetProperty("elements").EnumerateArray()).First(e => e.TryGetProperty("url", out _)).GetProperty("url").GetString()!;
        var token = new Uri(installUrl).AbsolutePath["/i/".Length..];
        var post = await Awaited.ValueAsync(
            () => host.Spans.Snapshot().FirstOrDefault(s => s.Kind == ActivityKind.Client && TelemetryHost.Tag(s, "server.port") == slackPort),
            "the client span of the post to the response_url");
        await measurements.WaitForSumAsync(1, "chatopsbot.chat.requests", ("platform", "slack"), ("endpoint", "interactions"), ("outcome", "accepted"));

        Assert.Equal($"http://127.0.0.1:{slackPort}/{{redacted}}", TelemetryHost.Tag(post, "url.full"));
        var exported = host.ExportedText();
        Assert.DoesNotContain("secret-response-path", exported, StringComparison.Ordinal);
        Assert.DoesNotContain("/hooks/", exported, StringComparison.Ordinal);
        Assert.DoesNotContain(token, exported, StringComparison.Ordinal);
        Assert.Contains("chatopsbot.chat.requests", host.ExportedMetricNames());
    }

    [Fact]
    public async Task SlackRequestWithABadSignatureIsCountedAsRejected()
    {
        await using var host = await TelemetryHost.StartAsync();
        var measurements = host.Measurements;
        var view = new SlackEndToEndHost.View(host.Slack, () => host.App, () => host.Client, null);

        using var response = await view.PostAsync("/slack/commands", view.SlashCommand("/install", "demo"), "application/x-www-form-urlencoded", signature: "v0=" + new string('0', 64));
        await measurements.WaitForSumAsync(1, "chatopsbot.chat.requests", ("platform", "slack"), ("endpoint", "commands"), ("outcome", "rejected"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(0, measurements.Sum("chatopsbot.chat.requests", ("outcome", "accepted")));
    }

    [Fact]
    public async Task AnnouncementIsCountedByOutcomeAndItsJobRunIsCountedAndTimed()
    {
        await using var host = await TelemetryHost.StartAsync();
        var measurements = host.Measurements;
        var view = new SlackEndToEndHost.View(host.Slack, () => host.App, () => host.Client, null);
        await host.UploadAsync("demo");
        using (var subscribed = await view.EventAsync(view.Mention("Ev-subscribe", "<@U0BOT> subscribe demo beta")))
            Assert.Equal(HttpStatusCode.OK, subscribed.StatusCode);
        Assert.StartsWith("Subscribed", (await host.Slack.NextCallAsync()).Json.GetProperty("text").GetString(), StringComparison.Ordinal);
        var callsBefore = host.Slack.Calls.Count;

        using (var trace = TelemetryHost.StartTrace("announce"))
        {
            await host.UploadAsync("demo", announce: true);
            var deliveries = await AnnouncementsTests.SettleAsync(host.App);
            Assert.Equal(Core.Chat.DeliveryState.Delivered, Assert.Single(deliveries).State);
            var post = host.SpansOf(trace).Where(s => s.Kind == ActivityKind.Client
                && TelemetryHost.Tag(s, "server.port") == new Uri(host.Slack.ApiBaseUrl).Port.ToString(CultureInfo.InvariantCulture)).ToList();
            Assert.NotEmpty(post);
            Assert.All(post, s => Assert.EndsWith("/{redacted}", TelemetryHost.Tag(s, "url.full"), StringComparison.Ordinal));
        }

        Assert.Contains(host.Slack.Calls.Skip(callsBefore), c => c.Path == "/api/chat.postMessage");
        Assert.Equal(1, measurements.Sum("chatopsbot.announcement.deliveries", ("platform", "slack"), ("outcome", "delivered")));
        Assert.Equal(1, measurements.Sum("chatopsbot.job.runs", ("job", "announcement-delivery"), ("outcome", "succeeded")));
        Assert.Equal(1, measurements.Count("chatopsbot.job.duration", ("job", "announcement-delivery"), ("outcome", "succeeded")));
        Assert.Equal(1, measurements.Sum("chatopsbot.chat.requests", ("platform", "slack"), ("endpoint", "events"), ("outcome", "accepted")));
        var names = host.ExportedMetricNames();
        Assert.Contains("chatopsbot.announcement.deliveries", names);
        Assert.Contains("chatopsbot.job.duration", names);
    }

    [Fact]
    public async Task JobThatThrowsIsCountedAsAFailedRun()
    {
        await using var host = await TelemetryHost.StartAsync();
        var measurements = host.Measurements;
        var metrics = host.App.Services.GetRequiredService<Telemetry.ChatOpsBotMetrics>();

        await Assert.ThrowsAsync<InvalidOperationException>(() => metrics.TimeJobAsync("retention", () => throw new InvalidOperationException("boom")));

        Assert.Equal(1, measurements.Sum("chatopsbot.job.runs", ("job", "retention"), ("outcome", "failed")));
        Assert.Equal(1, measurements.Count("chatopsbot.job.duration", ("job", "retention"), ("outcome", "failed")));
    }

    [Fact]
    public async Task NoTracerOrMeterProviderExistsWithoutAnOtlpEndpoint()
    {
        using var app = new ChatOpsBotApplication();
        using var client = app.CreateLoopbackClient();
        using var ready = await client.GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Null(app.Services.GetService<TracerProvider>());
        Assert.Null(app.Services.GetService<MeterProvider>());
    }

    [Fact]
    public async Task OtlpEndpointTurnsOnTracesAndMetrics()
    {
        // The discard port on loopback: nothing answers, so nothing leaves the machine, and failed exports are dropped.
        using var app = new ChatOpsBotApplication(new() { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:9" });
        using var client = app.CreateLoopbackClient();
        using var ready = await client.GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.NotNull(app.Services.GetService<TracerProvider>());
        Assert.NotNull(app.Services.GetService<MeterProvider>());
    }
}
