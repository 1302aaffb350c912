using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace ChatOpsBot.Telemetry;

/// <summary>
/// OpenTelemetry traces and metrics: ASP.NET Core, HttpClient and EF Core instrumentation plus the "ChatOpsBot"
/// meter. The instrumentation is only configured here; providers exist (and cost anything) only when something
/// exports: OTLP when the standard OTEL_EXPORTER_OTLP_ENDPOINT is set, Prometheus at /metrics when
/// ChatOpsBot:Metrics:Prometheus is true.
/// </summary>
internal static class TelemetryRegistration
{
    public const string OtlpEndpointKey = "OTEL_EXPORTER_OTLP_ENDPOINT";
    public const string MetricsPath = "/metrics";

    public static WebApplicationBuilder AddTelemetry(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSingleton<ChatOpsBotMetrics>();
        services.AddOptions<MetricsOptions>().BindConfiguration(MetricsOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<MetricsOptions>, MetricsOptionsValidator>();

        // Picked up by whichever provider gets built: the exporters' below, or a test's in-memory one.
        services.ConfigureOpenTelemetryTracerProvider(tracing => tracing
            // First, so every exporter after it sees only redacted URLs.
            .AddProcessor(new UrlRedaction())
            .AddAspNetCoreInstrumentation(aspNetCore => aspNetCore.EnrichWithHttpRequest = (activity, _) => UrlRedaction.Redact(activity))
            .AddHttpClientInstrumentation(http => http.EnrichWithHttpRequestMessage = (activity, _) => UrlRedaction.Redact(activity))
            .AddEntityFrameworkCoreInstrumentation());
        services.ConfigureOpenTelemetryMeterProvider(metrics => metrics
            .AddAspNetCoreInstrumentation()
            .AddHttpClientInstrumentation()
            .AddMeter(ChatOpsBotMetrics.MeterName));

        var otlp = !string.IsNullOrWhiteSpace(builder.Configuration[OtlpEndpointKey]);
        var prometheus = builder.Configuration.GetValue<bool>($"{MetricsOptions.Section}:{nameof(MetricsOptions.Prometheus)}");
        if (!otlp && !prometheus)
            return builder;
        var telemetry = services.AddOpenTelemetry();
        // OTEL_SERVICE_NAME, the standard setting, wins when it is set.
        if (string.IsNullOrWhiteSpace(builder.Configuration["OTEL_SERVICE_NAME"]))
            telemetry.ConfigureResource(resource => resource.AddService("chatopsbot"));
        if (otlp)
            telemetry.UseOtlpExporter();
        if (prometheus)
            telemetry.WithMetrics(metrics => metrics.AddPrometheusExporter());
        return builder;
    }

    /// <summary>Counts the requests Slack and Teams send, by outcome; after the handler, so the status is final.</summary>
    public static WebApplication UseTelemetry(this WebApplication app)
    {
        var metrics = app.Services.GetRequiredService<ChatOpsBotMetrics>();
        app.UseWhen(http => ChatEndpoint(http.Request.Path) is not null, chat => chat.Use(async (http, next) =>
        {
            var (platform, endpoint) = ChatEndpoint(http.Request.Path)!.Value;
            var outcome = "failed";
            try
            {
                await next(http);
                outcome = http.Response.StatusCode switch
                {
                    < 400 => "accepted",
                    < 500 => "rejected",
                    _ => "failed",
                };
            }
            finally
            {
                metrics.ChatRequest(platform, endpoint, outcome);
            }
        }));
        return app;
    }

    private static (string Platform, string Endpoint)? ChatEndpoint(PathString path) => path.Value switch
    {
        "/slack/commands" => ("slack", "commands"),
        "/slack/interactions" => ("slack", "interactions"),
        "/slack/events" => ("slack", "events"),
        "/api/messages" => ("teams", "messages"),
        _ => null,
    };

    /// <summary>Prometheus scraping at /metrics, when it is on: Admin API keys and the allowed networks only.</summary>
    public static WebApplication MapTelemetry(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<MetricsOptions>>().Value;
        if (options.Prometheus)
            app.MapPrometheusScrapingEndpoint(MetricsPath, meterProvider: null, configureBranchedPipeline: scrape => scrape.Use(Gate), optionsName: null);
        return app;
    }

    private static async Task Gate(HttpContext http, RequestDelegate next)
    {
        var options = http.RequestServices.GetRequiredService<IOptions<MetricsOptions>>().Value;
        if (http.User.IsInRole(nameof(ApiRole.Admin)) || InAllowedNetwork(http.Connection.RemoteIpAddress, options))
        {
            await next(http);
            return;
        }
        if (http.User.Identity?.IsAuthenticated == true)
        {
            await TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Metrics need an Admin key",
                detail: $"Metrics are served to Admin API keys and to {MetricsOptions.Section}:AllowedNetworks.").ExecuteAsync(http);
            return;
        }
        http.Response.Headers.WWWAuthenticate = "Bearer";
        await TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Metrics need an Admin key",
            detail: $"Send an Admin API key as 'Authorization: Bearer <key>', or scrape from {MetricsOptions.Section}:AllowedNetworks.").ExecuteAsync(http);
    }

    private static bool InAllowedNetwork(IPAddress? address, MetricsOptions options)
    {
        if (address is null)
            return false;
        if (address.IsIPv4MappedToIPv6)
            address = address.MapToIPv4();
        foreach (var network in options.AllowedNetworks)
        {
            if (TrustedProxies.TryParseNetwork(network, out var parsed, out _) && parsed.Contains(address))
                return true;
        }
        return false;
    }

    /// <summary>
    /// Request paths carry capabilities: /i/{token}/… and /d/{token}/… inbound, Slack's response_url and other signed
    /// URLs outbound. Inbound paths keep their shape with the token replaced; outbound URLs keep only their origin.
    /// <c>http.route</c> is the template already and stays.
    /// </summary>
    private sealed class UrlRedaction : BaseProcessor<Activity>
    {
        public override void OnStart(Activity data) => Redact(data);

        public override void OnEnd(Activity data) => Redact(data);

        public static void Redact(Activity activity)
        {
            if (activity.GetTagItem("url.path") is string path)
                activity.SetTag("url.path", RedactPath(path));
            if (activity.GetTagItem("http.target") is string target)
                activity.SetTag("http.target", RedactPath(target));
            foreach (var key in (ReadOnlySpan<string>)["url.full", "http.url"])
            {
                if (activity.GetTagItem(key) is not string url)
                    continue;
                activity.SetTag(key, Uri.TryCreate(url, UriKind.Absolute, out var uri)
                    ? activity.Kind == ActivityKind.Server ? uri.GetLeftPart(UriPartial.Authority) + RedactPath(uri.AbsolutePath) : uri.GetLeftPart(UriPartial.Authority) + "/{redacted}"
                    : "{redacted}");
            }
        }

        internal static string RedactPath(string path)
        {
            var segments = path.Split('/');
            // "", "i", token, rest…
            if (segments.Length >= 3 && segments[0].Length == 0 && segments[1] is "i" or "d" && segments[2].Length > 0)
                segments[2] = "{token}";
            return string.Join('/', segments);
        }
    }
}

internal sealed class MetricsOptions
{
    public const string Section = ChatOpsBotOptions.Section + ":Metrics";

    /// <summary>Serve Prometheus text at /metrics.</summary>
    public bool Prometheus { get; set; }

    /// <summary>Networks in CIDR notation whose clients may scrape /metrics without an API key, such as 10.0.0.0/24.</summary>
    public List<string> AllowedNetworks { get; set; } = [];
}

internal sealed class MetricsOptionsValidator : IValidateOptions<MetricsOptions>
{
    public ValidateOptionsResult Validate(string? name, MetricsOptions options)
    {
        var failures = new List<string>();
        for (var i = 0; i < options.AllowedNetworks.Count; i++)
        {
            if (!TrustedProxies.TryParseNetwork(options.AllowedNetworks[i], out _, out var problem))
                failures.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{MetricsOptions.Section}:AllowedNetworks:{i} {problem}"));
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
