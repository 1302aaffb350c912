using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.HttpOverrides;
using IPNetwork = System.Net.IPNetwork;
using Microsoft.Extensions.Options;

namespace ChatOpsBot;

/// <summary>
/// ChatOpsBot:ForwardedHeaders: X-Forwarded-For is believed only when the hop that sent it is a listed proxy, and it
/// changes only the client address (what the install rate limit partitions on). Host, X-Forwarded-Host and
/// X-Forwarded-Proto change nothing: generated URLs come from ChatOpsBot:PublicBaseUrl.
/// </summary>
internal static class TrustedProxies
{
    private const string Section = ChatOpsBotOptions.Section + ":ForwardedHeaders";

    public static IServiceCollection AddTrustedProxies(this IServiceCollection services)
    {
        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<ChatOpsBotOptions>>((forwarded, options) =>
        {
            forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor;
            // ASP.NET Core trusts loopback by default; here nothing is trusted that the operator did not list.
            forwarded.KnownProxies.Clear();
            forwarded.KnownIPNetworks.Clear();
            // Walk X-Forwarded-For from the right while each hop is a listed proxy, so a chain of proxies works and
            // an entry is believed only when a listed proxy put it there.
            forwarded.ForwardLimit = null;
            var settings = options.Value.ForwardedHeaders;
            foreach (var proxy in settings.KnownProxies)
            {
                if (TryParseAddress(proxy, out var address, out _))
                    forwarded.KnownProxies.Add(address);
            }
            foreach (var network in settings.KnownNetworks)
            {
                if (TryParseNetwork(network, out var parsed, out _))
                    forwarded.KnownIPNetworks.Add(parsed);
            }
        });
        return services;
    }

    /// <summary>Problems with the settings, each naming its key; start-up stops on any.</summary>
    public static IEnumerable<string> Validate(ForwardedHeadersSettings settings)
    {
        for (var i = 0; i < settings.KnownProxies.Count; i++)
        {
            if (!TryParseAddress(settings.KnownProxies[i], out _, out var problem))
                yield return string.Create(CultureInfo.InvariantCulture, $"{Section}:KnownProxies:{i} {problem}");
        }
        for (var i = 0; i < settings.KnownNetworks.Count; i++)
        {
            if (!TryParseNetwork(settings.KnownNetworks[i], out _, out var problem))
                yield return string.Create(CultureInfo.InvariantCulture, $"{Section}:KnownNetworks:{i} {problem}");
        }
    }

    /// <summary>
    /// An IPv4 address in its usual dotted form (no "127.1" or "010.0.0.1", which .NET reads as 127.0.0.1 and
    /// 8.0.0.1), or an IPv6 address.
    /// </summary>
    public static bool TryParseAddress(string? value, out IPAddress address, out string problem)
    {
        var text = value?.Trim() ?? "";
        if (IPAddress.TryParse(text, out var parsed)
            && (parsed.AddressFamily == AddressFamily.InterNetworkV6 || parsed.ToString() == text))
        {
            (address, problem) = (parsed, "");
            return true;
        }
        (address, problem) = (IPAddress.None, $"'{value}' is not an IP address, such as 10.0.0.5 or fd00::5.");
        return false;
    }

    /// <summary>A network in CIDR notation whose address has no bits set beyond the prefix.</summary>
    public static bool TryParseNetwork(string? value, out IPNetwork network, out string problem)
    {
        var text = value?.Trim() ?? "";
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0 || !TryParseAddress(text[..slash], out var address, out _) || !IPNetwork.TryParse(text, out var parsed))
        {
            (network, problem) = (default, $"'{value}' is not a network in CIDR notation, such as 10.0.0.0/24 or fd00::/64.");
            return false;
        }
        if (!parsed.BaseAddress.Equals(address))
        {
            // 10.0.0.5/8 would quietly trust 16 million addresses where one may have been meant.
            (network, problem) = (default, string.Create(CultureInfo.InvariantCulture,
                $"'{value}' has bits set beyond its /{parsed.PrefixLength} prefix: write {parsed}, or {address}/{(address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128)} for the one address."));
            return false;
        }
        (network, problem) = (parsed, "");
        return true;
    }
}
