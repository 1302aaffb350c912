using System.Globalization;

namespace ChatOpsBot;

/// <summary>
/// <c>dotnet ChatOpsBot.dll healthcheck</c>: asks the host running beside it (same container, same settings) for
/// <c>/healthz</c> on loopback and exits 0 when it answers 200, 1 otherwise. Container images based on ASP.NET Core's
/// runtime image have no curl or wget, so the image's HEALTHCHECK runs this. It reads the listen address the way the
/// host does (the standard settings, <c>appsettings.json</c> beside the binaries, the environment), and nothing else:
/// no database, no services.
/// </summary>
internal static class HealthCheckCommand
{
    public const string Name = "healthcheck";

    /// <summary>A probe that hangs is a failed probe; an orchestrator's own timeout may be shorter still.</summary>
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        var configuration = Configuration(args);
        if (!TryProbeAddress(configuration, out var address, out var problem))
        {
            await error.WriteLineAsync($"ChatOpsBot healthcheck: {problem}");
            return 1;
        }
        var url = new Uri(address, "/healthz");
        try
        {
            using var client = new HttpClient { Timeout = Timeout };
            using var response = await client.GetAsync(url);
            var body = await response.Content.ReadAsStringAsync();
            if (response.IsSuccessStatusCode)
            {
                await output.WriteLineAsync($"{url}: {(int)response.StatusCode} {body}");
                return 0;
            }
            await error.WriteLineAsync($"ChatOpsBot healthcheck: {url} answered {(int)response.StatusCode} {body}");
            return 1;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            await error.WriteLineAsync($"ChatOpsBot healthcheck: {url} did not answer: {e.Message}");
            return 1;
        }
    }

    /// <summary>
    /// The sources <see cref="WebApplication.CreateBuilder(WebApplicationOptions)"/> reads, in its order (later wins):
    /// DOTNET_ and ASPNETCORE_ variables, appsettings.json and its environment's file, unprefixed variables, arguments.
    /// </summary>
    internal static IConfiguration Configuration(string[] args)
    {
        var host = new ConfigurationBuilder()
            .AddEnvironmentVariables("DOTNET_")
            .AddEnvironmentVariables("ASPNETCORE_")
            .AddCommandLine(args)
            .Build();
        var environment = host[HostDefaults.EnvironmentKey] is { Length: > 0 } name ? name : Environments.Production;
        return new ConfigurationBuilder()
            .AddConfiguration(host)
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, $"appsettings.{environment}.json"), optional: true)
            .AddEnvironmentVariables()
            .AddCommandLine(args)
            .Build();
    }

    /// <summary>
    /// Where the host listens over plain http, as a loopback address: Kestrel's configured endpoints (which win over
    /// the rest), else <c>urls</c>, else <c>http_ports</c>, else the documented default. A wildcard host (<c>+</c>,
    /// <c>*</c>, <c>0.0.0.0</c>, a name) is reached at 127.0.0.1, <c>[::]</c> at [::1].
    /// </summary>
    internal static bool TryProbeAddress(IConfiguration configuration, out Uri address, out string problem)
    {
        var endpoints = configuration.GetSection("Kestrel:Endpoints").GetChildren().Select(e => e["Url"]).OfType<string>().ToList();
        string[] candidates;
        string source;
        if (endpoints.Count > 0)
            (candidates, source) = ([.. endpoints], "Kestrel:Endpoints");
        else if (configuration[WebHostDefaults.ServerUrlsKey] is { } urls && !string.IsNullOrWhiteSpace(urls))
            (candidates, source) = (urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), "urls");
        else if (configuration[WebHostDefaults.HttpPortsKey] is { } ports && !string.IsNullOrWhiteSpace(ports))
            (candidates, source) = ([.. ports.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(p => $"http://*:{p}")], "http_ports");
        else if (!string.IsNullOrWhiteSpace(configuration[WebHostDefaults.HttpsPortsKey]))
            (candidates, source) = ([], "https_ports");
        else
            (candidates, source) = ([Hosting.DefaultUrls], "the default");

        foreach (var candidate in candidates)
        {
            if (!candidate.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
                continue;
            // Uri does not read Kestrel's wildcards; any host name there means every interface too.
            var rest = candidate["http://".Length..];
            var end = rest.IndexOf('/', StringComparison.Ordinal);
            var authority = end < 0 ? rest : rest[..end];
            var colon = authority.LastIndexOf(':');
            if (colon < 0 || authority.EndsWith(']'))
            {
                (address, problem) = (new Uri(Hosting.DefaultUrls), $"the address {candidate} ({source}) names no port.");
                return false;
            }
            if (!int.TryParse(authority[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            {
                (address, problem) = (new Uri(Hosting.DefaultUrls), $"the address {candidate} ({source}) has no fixed port to probe.");
                return false;
            }
            var host = authority[..colon];
            var loopback = host switch
            {
                "[::]" or "[::1]" => "[::1]",
                _ when System.Net.IPAddress.TryParse(host.Trim('[', ']'), out var ip) && !ip.Equals(System.Net.IPAddress.Any) => host,
                _ => "127.0.0.1",
            };
            (address, problem) = (new Uri(string.Create(CultureInfo.InvariantCulture, $"http://{loopback}:{port}/")), "");
            return true;
        }
        (address, problem) = (new Uri(Hosting.DefaultUrls), $"the host has no plain http address to probe ({source}); set ASPNETCORE_HTTP_PORTS or an http:// address in ASPNETCORE_URLS.");
        return false;
    }
}
