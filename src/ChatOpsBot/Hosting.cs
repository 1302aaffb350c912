using Microsoft.Extensions.Options;

namespace ChatOpsBot;

/// <summary>
/// Where the host listens and what its logs may say. The standard ASP.NET Core settings choose the addresses
/// (<c>ASPNETCORE_URLS</c>, <c>ASPNETCORE_HTTP_PORTS</c>, <c>--urls</c>, Kestrel endpoints); the documented default
/// applies only when none of them is set, so an operator's choice never silently loses to a shipped file.
/// </summary>
internal static class Hosting
{
    public const string DefaultUrls = "http://localhost:5080";

    /// <summary>
    /// Log categories that print request URLs (install tokens in paths, Slack <c>response_url</c>s) and the least
    /// severe level each may log at. They are held there whatever the configuration says, so turning on Debug for
    /// diagnosis never puts a capability into a log.
    /// </summary>
    internal static readonly IReadOnlyList<(string Category, LogLevel Minimum)> UrlBearingCategories =
    [
        // "Request starting/finished GET http://…/i/{token}", and a RequestPath scope on every line logged during
        // a request whenever the category is on at all: so it is off entirely.
        ("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None),
        // Debug: "candidate(s) found for the request path '/i/{token}'".
        ("Microsoft.AspNetCore.Routing.Matching", LogLevel.Information),
        // Debug: bad request lines, quoted with their target.
        ("Microsoft.AspNetCore.Server.Kestrel", LogLevel.Information),
        // "Sending HTTP request POST https://hooks.slack.com/…": the clients' loggers are removed below as well.
        ("System.Net.Http.HttpClient", LogLevel.Warning),
    ];

    public static WebApplicationBuilder AddHosting(this WebApplicationBuilder builder)
    {
        if (DefaultUrlsFor(builder.Configuration) is { } urls)
            builder.WebHost.UseUrls(urls);

        // HttpClientFactory's default loggers write every request URL at Information; none of ours is worth it.
        builder.Services.ConfigureHttpClientDefaults(http => http.RemoveAllLoggers());
        builder.Services.AddSingleton<IPostConfigureOptions<LoggerFilterOptions>, HoldUrlBearingCategories>();
        return builder;
    }

    /// <summary>The default listen address, or null when the operator chose addresses through a standard setting.</summary>
    internal static string? DefaultUrlsFor(IConfiguration configuration)
    {
        var chosen = !string.IsNullOrWhiteSpace(configuration[WebHostDefaults.ServerUrlsKey])
            || !string.IsNullOrWhiteSpace(configuration[WebHostDefaults.HttpPortsKey])
            || !string.IsNullOrWhiteSpace(configuration[WebHostDefaults.HttpsPortsKey])
            || configuration.GetSection("Kestrel:Endpoints").GetChildren().Any();
        return chosen ? null : DefaultUrls;
    }

    /// <summary>
    /// Runs after every other logging configuration: for each provider that has rules of its own (a provider's rule
    /// beats any rule without one) and for all providers, the held categories get the most specific rule, added last.
    /// </summary>
    private sealed class HoldUrlBearingCategories : IPostConfigureOptions<LoggerFilterOptions>
    {
        public void PostConfigure(string? name, LoggerFilterOptions options)
        {
            var providers = options.Rules.Select(r => r.ProviderName).Where(p => p is not null).Distinct(StringComparer.Ordinal).Prepend(null).ToList();
            foreach (var provider in providers)
            {
                foreach (var (category, minimum) in UrlBearingCategories)
                {
                    var configured = options.Rules
                        .Where(r => r.ProviderName == provider && r.CategoryName is not null
                            && r.CategoryName.StartsWith(category, StringComparison.OrdinalIgnoreCase) && r.LogLevel < minimum)
                        .ToList();
                    // A rule for a narrower category (".Matching.DfaMatcher") would still win on its length.
                    foreach (var rule in configured)
                        options.Rules.Add(new LoggerFilterRule(provider, rule.CategoryName, minimum, filter: null));
                    options.Rules.Add(new LoggerFilterRule(provider, category, minimum, filter: null));
                }
            }
        }
    }
}
